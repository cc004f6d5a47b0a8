/**
 * One canvas kept from one meme to the next. A new 1600×1067 canvas is 6.8 MB of fresh
 * memory: its first writes (putting the photo) paid a page fault per 4 KiB page, and its
 * first encode another 1,300 faults; renderMeme took 81–113 ms that way against 47–59 ms
 * with the canvas kept, on this project's machines (docs/speed.md, "Rendering"). A kept
 * canvas is cleared and its drawing state reset instead; a meme of another size resizes it.
 */
import { Canvas, createCanvas } from './canvas';

/** Absent while a meme is being drawn on it: a render that overlaps takes a new canvas. */
let kept: Canvas | undefined;

/**
 * Runs `draw` on a blank canvas of this size with a fresh drawing state, then keeps the
 * canvas for the next call; `draw` must not hold on to the canvas after it settles.
 */
export async function withCanvas<T>(
  width: number,
  height: number,
  draw: (canvas: Canvas) => Promise<T>,
): Promise<T> {
  const canvas = kept ?? createCanvas(width, height);
  kept = undefined;
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  // Transparent pixels, identity transform, default styles: what a new canvas starts with.
  canvas.getContext('2d').reset();
  try {
    return await draw(canvas);
  } finally {
    kept = canvas;
  }
}
