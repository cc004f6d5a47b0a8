/**
 * The public API of functions/core: image bytes → faces → expressions → meme bytes, with no
 * cloud code. Everything outside core (the cloud handlers, the CLI, the local stack, the model
 * tooling, bench and the docs scripts) imports core from here.
 *
 * Loading this loads the models' runtime, sharp and canvas. Code that must not (the `upload`
 * function, and the wire contract the browser's type-check reads) may instead import core's
 * two dependency-free modules, which this file re-exports: ./vocabulary (styles, languages,
 * formats, emotions, default limits) and ./projectFiles (files shipped beside the code).
 * A unit test of one core module may import that module directly. eslint.config.mjs holds
 * everything else to these rules.
 */

// The vocabulary: styles, languages, formats, emotions, caption kinds, default limits.
export * from './vocabulary';
export { canonicalEmotion } from './emotions';

// Reading a photo: faces and their expressions.
export { Analyzer, analyzeImage, defaultAnalyzer } from './analyze';
export type { Analysis, AnalysisTimings, AnalyzedFace, AnalyzerOptions } from './analyze';
export { ImageError } from './errors';
export type { ImageErrorCode } from './errors';
export { decodeImage, PICTURE_FILE } from './image';
export type { DecodedImage, DecodeOptions, RgbImage } from './image';
export { iou } from './geometry';
export type { Box, Point } from './geometry';

// Making a meme: the caption library, the renderer and its fonts.
export { captionLibrary } from './captions/library';
export type { CaptionLibrary, CaptionPair } from './captions/library';
export { makeMeme, renderMeme, RenderOptionError } from './render/renderMeme';
export type {
  MakeMemeOptions,
  RenderedCaption,
  RenderedMeme,
  RenderOptions,
  RenderTimings,
} from './render/renderMeme';
export { FAMILY, fontShorthand, registerBundledFonts } from './render/fonts';

// The models, for the model tooling (export, fit, eval, bench): manifest, detector, ensemble.
export { modelEntry, modelsDir, readManifest } from './manifest';
export type { Manifest, ModelEntry, Preprocessing } from './manifest';
export { loadSession } from './sessions';
export { FaceDetector, tileRegions } from './detect/detector';
export type { DetectorOptions } from './detect/detector';
export { ExpressionModel } from './expression/expressionModel';
export { wholeImageFrame } from './expression/crop';
export type { Framing } from './expression/crop';
export { combineAll, LOG_FLOOR, readEnsemble } from './expression/ensemble';
export type { Combination, EnsembleConfig } from './expression/ensemble';

// Files that ship beside the code (fonts, the upload page, sample photos).
export { findUpwards, projectRoot } from './projectFiles';
