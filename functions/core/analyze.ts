/**
 * The public vision API: image bytes → faces with expressions.
 *
 * Pure with respect to the cloud: bytes in, plain data out. Models load once per
 * process (the first call pays for it) and are shared by every later call.
 */
import { Emotion, EmotionScores } from './emotions';
import { Box, Point } from './geometry';
import { decodeImage, DecodeOptions, RgbImage } from './image';
import { readManifest, Manifest, modelEntry } from './manifest';
import { SessionOptions } from './sessions';
import { DetectedFace, DetectorOptions, FaceDetector, Keypoints } from './detect/detector';
import { faceFrame, warpFrame } from './expression/crop';
import {
  combineAll,
  dominantEmotion,
  EnsembleConfig,
  readEnsemble,
  toEmotionScores,
} from './expression/ensemble';
import { ExpressionModel, FrameInput } from './expression/expressionModel';

export interface AnalyzedFace {
  /**
   * The face as YuNet boxes it (WIDER FACE's framing): from the top of the forehead, about
   * the hairline, to the bottom of the chin, and from cheek to cheek (ears mostly outside);
   * taller than wide. Hair above the forehead and the neck are outside it. Clipped to the picture.
   */
  box: Box;
  /**
   * Centres of the person's right and left eye (the right one on the picture's left when
   * they face the camera), the tip of the nose, and the middle of the mouth (the midpoint
   * of its corners). In a frontal face the eyes sit about 40 % down the box, the mouth about three quarters.
   */
  keypoints: Keypoints;
  /** Detector confidence, 0..1. */
  score: number;
  emotions: EmotionScores;
  dominant: Emotion;
}

export interface Analysis {
  width: number;
  height: number;
  faces: AnalyzedFace[];
}

export interface AnalyzerOptions extends DecodeOptions {
  detector?: Partial<DetectorOptions>;
  session?: SessionOptions;
  /** At most this many faces (the largest) get expressions; crowds stay fast. */
  maxFaces?: number;
  manifest?: Manifest;
  ensemble?: EnsembleConfig;
}

/**
 * Milliseconds per stage of one analysis. cropMs: cutting every face's crop once; classifyMs:
 * per ensemble member, its inputs (resampled from the crops, mirrored) and inference, all faces.
 */
export interface AnalysisTimings {
  decodeMs: number;
  detectMs: number;
  cropMs: number;
  classifyMs: Record<string, number>;
  combineMs: number;
  totalMs: number;
}

export const DEFAULT_MAX_FACES = 20;

/** Maps an analysis of a downscaled raster back onto the full-size picture. */
function scaleAnalysis(analysis: Analysis, fullWidth: number, fullHeight: number): Analysis {
  const sx = fullWidth / analysis.width;
  const sy = fullHeight / analysis.height;
  if (sx === 1 && sy === 1) return analysis;
  const point = (p: Point): Point => ({ x: p.x * sx, y: p.y * sy });
  const keypoints = (k: Keypoints): Keypoints => ({
    rightEye: point(k.rightEye),
    leftEye: point(k.leftEye),
    nose: point(k.nose),
    mouth: point(k.mouth),
  });
  return {
    width: fullWidth,
    height: fullHeight,
    faces: analysis.faces.map((f) => ({
      ...f,
      box: { x: f.box.x * sx, y: f.box.y * sy, width: f.box.width * sx, height: f.box.height * sy },
      keypoints: keypoints(f.keypoints),
    })),
  };
}

export class Analyzer {
  private constructor(
    private readonly detector: FaceDetector,
    private readonly members: { model: ExpressionModel; flip: boolean }[],
    private readonly ensemble: EnsembleConfig,
    private readonly options: AnalyzerOptions,
  ) {}

  static async create(options: AnalyzerOptions = {}): Promise<Analyzer> {
    const manifest = options.manifest ?? readManifest();
    const ensemble = options.ensemble ?? readEnsemble();
    const [detector, ...models] = await Promise.all([
      FaceDetector.load(manifest, options.detector, options.session),
      ...ensemble.members.map((m) => ExpressionModel.load(modelEntry(manifest, m.model), options.session)),
    ]);
    const members = ensemble.members.map((m, i) => ({ model: models[i], flip: m.flip }));
    return new Analyzer(detector, members, ensemble, options);
  }

  async analyze(bytes: Uint8Array): Promise<Analysis> {
    return (await this.analyzeTimed(bytes)).analysis;
  }

  /** analyze, reporting where the time went (for benchmarks and status documents). */
  async analyzeTimed(bytes: Uint8Array): Promise<{ analysis: Analysis; timings: AnalysisTimings }> {
    const started = performance.now();
    // Decoded once, straight to the detector's input size: JPEG (and WebP) decoders shrink
    // while decoding, so a 12 MP photo costs little more than a small one, and the detector's
    // view needs no second resize. The expression crops are cut from the same raster.
    const image = await decodeImage(bytes, { maxLongSide: this.detector.inputLongSide, ...this.options });
    const timings: AnalysisTimings = {
      decodeMs: performance.now() - started,
      detectMs: 0,
      cropMs: 0,
      classifyMs: {},
      combineMs: 0,
      totalMs: 0,
    };
    const analysis = await this.analyzeDecoded(image, timings);
    timings.totalMs = performance.now() - started;
    return { analysis: scaleAnalysis(analysis, image.fullWidth, image.fullHeight), timings };
  }

  /** Analysis in the decoded raster's own pixels. */
  async analyzeDecoded(image: RgbImage, timings?: AnalysisTimings): Promise<Analysis> {
    const detectStart = performance.now();
    const detected = await this.detector.detect(image);
    if (timings) timings.detectMs = performance.now() - detectStart;
    const faces = this.largest(detected, this.options.maxFaces ?? DEFAULT_MAX_FACES);
    const probabilities = await this.classify(
      faces.map((f) => ({ image, frame: faceFrame(f.box, f.keypoints, this.ensemble.framing) })),
      timings,
    );
    return {
      width: image.width,
      height: image.height,
      faces: faces.map((f, i) => ({
        box: f.box,
        keypoints: f.keypoints,
        score: f.score,
        emotions: toEmotionScores(probabilities[i]),
        dominant: dominantEmotion(probabilities[i]),
      })),
    };
  }

  /**
   * Ensemble probabilities (EMOTIONS order) for ready-made frames. Each face is cut once, at
   * the largest member's input size; smaller inputs are resampled from that crop. Every crop
   * of the picture (each face, and its mirror where the member uses it) goes through each
   * member in one session run. Members run one after another: each session already uses
   * the threads it is given.
   */
  async classify(inputs: FrameInput[], timings?: AnalysisTimings): Promise<Float32Array[]> {
    if (inputs.length === 0) return [];
    const side = Math.max(...this.members.map((m) => m.model.size));
    const cropStart = performance.now();
    const crops = inputs.map((input) => warpFrame(input.image, input.frame, side));
    if (timings) timings.cropMs = performance.now() - cropStart;
    const perModel: Record<string, Float32Array[]> = {};
    for (const m of this.members) {
      const start = performance.now();
      perModel[m.model.id] = await m.model.predictCrops(crops, side, m.flip);
      if (timings) timings.classifyMs[m.model.id] = performance.now() - start;
    }
    const combineStart = performance.now();
    const combined = combineAll(perModel, this.ensemble);
    if (timings) timings.combineMs = performance.now() - combineStart;
    return combined;
  }

  private largest(faces: DetectedFace[], max: number): DetectedFace[] {
    const sorted = [...faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
    // Keep reading order (left to right) for the faces we return.
    return sorted.slice(0, max).sort((a, b) => a.box.x - b.box.x);
  }
}

let shared: Promise<Analyzer> | undefined;

/** The process-wide analyzer with default options, created on first use. */
export function defaultAnalyzer(): Promise<Analyzer> {
  if (!shared) {
    shared = Analyzer.create();
    shared.catch(() => (shared = undefined));
  }
  return shared;
}

/** Finds the faces in an image and reads each one's expression. */
export async function analyzeImage(bytes: Uint8Array): Promise<Analysis> {
  return (await defaultAnalyzer()).analyze(bytes);
}
