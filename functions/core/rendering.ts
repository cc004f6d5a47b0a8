/**
 * Core's API for drawing a meme from a photo and a known analysis. Loads the canvas, sharp and
 * the fonts, never the models (makeMeme, which may have to analyse, is in index.ts), so the
 * `render` function does not pay for onnxruntime. Re-exported by index.ts, core's public API.
 */
export { renderMeme } from './render/renderMeme';
export type { RenderedCaption, RenderedMeme, RenderOptions, RenderTimings } from './render/renderMeme';
