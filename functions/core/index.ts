/**
 * The public API of functions/core: image bytes → faces → expressions → meme bytes, with no
 * cloud code. Everything outside core (the cloud handlers, the CLI, the local stack, the model
 * tooling, bench and the docs scripts) imports core from here.
 *
 * Loading this loads the models' runtime, sharp and canvas. A deployed function loads only
 * what it uses (its cold start pays for every module), so the same API is also cut into three
 * parts by weight, which this file re-exports:
 *   - ./vocabulary: dependency-free names, defaults and the user-facing errors (the `upload`
 *     function, the wire contract the browser's type-check reads, every settings check);
 *   - ./analysis: a photo → faces and expressions (the `analyze` function: no canvas, no fonts);
 *   - ./rendering: a photo and its analysis → meme (the `render` function: no models).
 * ./projectFiles (files shipped beside the code) is dependency-free too.
 * A unit test of one core module may import that module directly. eslint.config.mjs holds
 * everything else to these rules.
 */

// The vocabulary: styles, languages, formats, emotions, caption kinds, default limits.
export * from './vocabulary';
export { canonicalEmotion } from './emotions';

// Reading a photo (onnxruntime and sharp, no canvas): ./analysis.
export * from './analysis';

// Making a meme from a known analysis (canvas, sharp and the fonts, no models): ./rendering.
export * from './rendering';
export { makeMeme } from './render/renderMeme';
export type { MakeMemeOptions } from './render/renderMeme';
export { captionLibrary } from './captions/library';
export type { CaptionLibrary, CaptionPair } from './captions/library';
export { FAMILY, fontShorthand, registerBundledFonts } from './render/fonts';
// Canvas loaded without scanning the machine's fonts (memegen draws only with its own).
export { createCanvas } from './render/canvas';
// Where the text goes: the layout planner, its plain summary (make --json) and text measuring.
export { layoutMeme, overlapArea } from './render/layout';
export type { BlockRole, LayoutFace, Measurer, MemeLayout, TextBlock } from './render/layout';
export { summarizeLayout } from './render/layoutSummary';
export type { LayoutSummary } from './render/layoutSummary';
export { canvasMeasurer, sharedMeasurer } from './render/measure';

// The models, for the model tooling (export, fit, eval, bench): manifest, detector, ensemble.
export { modelEntry, modelsDir, readManifest } from './manifest';
export type { Manifest, ModelEntry, Preprocessing } from './manifest';
export { loadSession } from './sessions';
export { FaceDetector, tileRegions } from './detect/detector';
export type { CloseUpOptions, DetectedFace, DetectorOptions } from './detect/detector';
export { paddedTo } from './detect/yunet';
export type { SessionOptions } from './sessions';
export { ExpressionModel } from './expression/expressionModel';
export type { FrameInput } from './expression/expressionModel';
export {
  faceFrame,
  faceRoll,
  faceSize,
  landmarkCentre,
  mirrored,
  warpFrame,
  wholeImageFrame,
} from './expression/crop';
export type { FaceFrame, Framing } from './expression/crop';
export { combineAll, LOG_FLOOR, readEnsemble } from './expression/ensemble';
export type { Combination, EnsembleConfig } from './expression/ensemble';

// Files that ship beside the code (fonts, the upload page, sample photos).
export { findUpwards, projectRoot } from './projectFiles';
