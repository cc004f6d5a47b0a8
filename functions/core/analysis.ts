/**
 * Core's API for reading a photo: faces and their expressions. Loads onnxruntime and sharp,
 * never the canvas or the fonts, so the `analyze` function does not pay for drawing.
 * Re-exported by index.ts, core's public API.
 */
export { Analyzer, analyzeImage, defaultAnalyzer } from './analyze';
export type { Analysis, AnalysisTimings, AnalyzedFace, AnalyzerOptions } from './analyze';
export { decodeImage, pictureSize, PICTURE_FILE } from './image';
export type { DecodedImage, DecodeOptions, RgbImage } from './image';
export { iou } from './geometry';
export type { Box, Point } from './geometry';
