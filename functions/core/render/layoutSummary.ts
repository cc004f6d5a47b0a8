/**
 * Where the text went on a meme, as plain data for `memegen make --json` and the meme-quality
 * report: the canvas, the photo on it and each block's lines and ink box, in canvas pixels.
 */
import { Box } from '../geometry';
import { BlockRole, MemeLayout } from './layout';

export interface LayoutSummary {
  width: number;
  height: number;
  photo: Box;
  blocks: { role: BlockRole; lines: string[]; box: Box }[];
}

export function summarizeLayout(layout: MemeLayout): LayoutSummary {
  return {
    width: layout.width,
    height: layout.height,
    photo: roundBox(layout.photo),
    blocks: layout.blocks.map((block) => ({
      role: block.role,
      lines: block.lines,
      box: roundBox(block.box),
    })),
  };
}

/** A tenth of a pixel is finer than anything drawn; more digits would only be noise in the JSON. */
function roundBox(box: Box): Box {
  const round = (value: number): number => Math.round(value * 10) / 10;
  return { x: round(box.x), y: round(box.y), width: round(box.width), height: round(box.height) };
}
