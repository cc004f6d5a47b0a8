/** Confusion-matrix heat maps as PNG, drawn with the project's canvas and a bundled font. */
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { EMOTIONS } from '../../functions/core';

let fontsReady = false;
function registerFonts(): void {
  if (fontsReady) return;
  // Bundled (OFL) so the picture is the same on a machine with no system fonts.
  for (const weight of ['400Regular/Inter_400Regular.ttf', '700Bold/Inter_700Bold.ttf']) {
    GlobalFonts.registerFromPath(require.resolve(`@expo-google-fonts/inter/${weight}`), 'Inter');
  }
  fontsReady = true;
}

/** Rows are true classes, columns predictions; cells shaded by row-normalised rate. */
export function confusionPng(title: string, confusion: number[][]): Buffer {
  registerFonts();
  const cell = 64;
  const left = 110;
  const top = 96;
  const width = left + cell * EMOTIONS.length + 20;
  const height = top + cell * EMOTIONS.length + 40;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#111111';
  ctx.font = 'bold 18px Inter';
  ctx.fillText(title, 12, 28);
  ctx.font = '12px Inter';
  ctx.fillText('rows: true class · columns: predicted · cell: share of the row (count)', 12, 48);
  ctx.textAlign = 'center';
  EMOTIONS.forEach((e, j) => ctx.fillText(e, left + j * cell + cell / 2, top - 10));
  confusion.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    ctx.textAlign = 'right';
    ctx.fillStyle = '#111111';
    ctx.fillText(EMOTIONS[i], left - 8, top + i * cell + cell / 2 + 4);
    row.forEach((count, j) => {
      const rate = count / total;
      // White → deep blue; the diagonal is what we want dark.
      const shade = Math.round(255 - rate * 200);
      ctx.fillStyle = `rgb(${shade}, ${Math.round(255 - rate * 150)}, 255)`;
      ctx.fillRect(left + j * cell, top + i * cell, cell - 2, cell - 2);
      ctx.fillStyle = rate > 0.5 ? '#ffffff' : '#111111';
      ctx.textAlign = 'center';
      ctx.font = `${i === j ? 'bold ' : ''}13px Inter`;
      ctx.fillText(`${(rate * 100).toFixed(0)}%`, left + j * cell + cell / 2, top + i * cell + cell / 2 - 2);
      ctx.font = '10px Inter';
      ctx.fillText(`(${count})`, left + j * cell + cell / 2, top + i * cell + cell / 2 + 13);
    });
  });
  return canvas.toBuffer('image/png');
}
