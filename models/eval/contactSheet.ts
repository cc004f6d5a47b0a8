/**
 * A contact sheet: many memes as one picture, one row per photo and one column per style,
 * with the faces a meme's text hides outlined (red: annotated, orange: detected), so a
 * person can look over a whole evaluation at once.
 */
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import sharp from 'sharp';
import { Box, FAMILY, fontShorthand, MemeStyle, registerBundledFonts } from '../../functions/core';
import { ScoredMeme } from './memes';

const CELL_WIDTH = 320;
const LABEL_HEIGHT = 22;
const GAP = 8;

interface Cell {
  file: string;
  style: MemeStyle;
  /** The meme as a small JPEG: hundreds of full-size memes would not fit in memory. */
  thumbnail: Buffer;
  memeWidth: number;
  memeHeight: number;
  photo: Box;
  photoWidth: number;
  hiddenAnnotated: Box[];
  hiddenDetected: Box[];
}

export class ContactSheet {
  private readonly cells: Cell[] = [];

  async add(scored: ScoredMeme): Promise<void> {
    const { meme } = scored;
    this.cells.push({
      file: scored.file,
      style: scored.style,
      thumbnail: await sharp(meme.bytes).resize({ width: CELL_WIDTH }).jpeg({ quality: 85 }).toBuffer(),
      memeWidth: meme.width,
      memeHeight: meme.height,
      photo: meme.layout.photo,
      photoWidth: scored.analysis.width,
      hiddenAnnotated: scored.hiddenAnnotated ?? [],
      hiddenDetected: scored.hiddenDetected,
    });
  }

  /** Writes the sheet as JPEG, or PNG when `path` ends in .png. */
  async write(path: string): Promise<void> {
    registerBundledFonts();
    const styles = [...new Set(this.cells.map((cell) => cell.style))];
    const height = (cell: Cell): number => Math.round((cell.memeHeight * CELL_WIDTH) / cell.memeWidth);
    const files = [...new Set(this.cells.map((cell) => cell.file))];
    // Several photos side by side keep a big evaluation roughly square instead of one long strip.
    const meanHeight =
      this.cells.reduce((sum, cell) => sum + height(cell) + LABEL_HEIGHT + GAP, 0) /
      Math.max(1, this.cells.length);
    const photosPerRow = Math.max(
      1,
      Math.round(Math.sqrt((files.length * meanHeight) / (styles.length * (CELL_WIDTH + GAP)))),
    );
    const columns = photosPerRow * styles.length;
    const rowHeights: number[] = [];
    const at = new Map<Cell, { column: number; row: number }>();
    for (const cell of this.cells) {
      const index = files.indexOf(cell.file);
      const row = Math.floor(index / photosPerRow);
      const column = (index % photosPerRow) * styles.length + styles.indexOf(cell.style);
      at.set(cell, { column, row });
      rowHeights[row] = Math.max(rowHeights[row] ?? 0, height(cell) + LABEL_HEIGHT);
    }
    const rowTops = rowHeights.reduce<number[]>((tops, h, i) => [...tops, (tops[i] ?? GAP) + h + GAP], [GAP]);
    const canvas = createCanvas(GAP + columns * (CELL_WIDTH + GAP), rowTops[rowHeights.length] ?? GAP);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#202020';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    for (const cell of this.cells) {
      const { column, row } = at.get(cell)!;
      const x = GAP + column * (CELL_WIDTH + GAP);
      const y = rowTops[row]!;
      const scale = CELL_WIDTH / cell.memeWidth;
      ctx.drawImage(await loadImage(cell.thumbnail), x, y, CELL_WIDTH, height(cell));
      const toSheet = (face: Box): Box => {
        const toCanvas = cell.photo.width / cell.photoWidth;
        return {
          x: x + (cell.photo.x + face.x * toCanvas) * scale,
          y: y + (cell.photo.y + face.y * toCanvas) * scale,
          width: face.width * toCanvas * scale,
          height: face.height * toCanvas * scale,
        };
      };
      ctx.lineWidth = 2;
      for (const [faces, colour] of [
        [cell.hiddenDetected, '#ff9900'],
        [cell.hiddenAnnotated, '#ff2020'],
      ] as const) {
        ctx.strokeStyle = colour;
        for (const face of faces) {
          const box = toSheet(face);
          ctx.strokeRect(box.x, box.y, box.width, box.height);
        }
      }
      const hidden = cell.hiddenAnnotated.length + cell.hiddenDetected.length > 0;
      ctx.fillStyle = hidden ? '#ff6060' : '#d0d0d0';
      ctx.font = fontShorthand(FAMILY.sans, 12);
      ctx.textBaseline = 'middle';
      const name = cell.file.split('/').pop() ?? cell.file;
      ctx.fillText(`${cell.style} · ${name}`, x + 2, y + height(cell) + LABEL_HEIGHT / 2, CELL_WIDTH - 4);
    }
    const png = extname(path).toLowerCase() === '.png';
    writeFileSync(path, png ? await canvas.encode('png') : await canvas.encode('jpeg', 80));
  }
}
