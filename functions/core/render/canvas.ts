/**
 * @napi-rs/canvas, loaded without scanning the machine's fonts: memegen draws only with its
 * bundled fonts (./fonts.ts), so a meme looks the same everywhere, and the scan of the
 * installed fonts was the largest part of a cold start (measured by `npm run bench`).
 * Every module takes the canvas from here, so the setting is made before the first load.
 */
process.env.DISABLE_SYSTEM_FONTS_LOAD ??= '1';

export { Canvas, createCanvas, GlobalFonts, ImageData } from '@napi-rs/canvas';
export type { SKRSContext2D } from '@napi-rs/canvas';
