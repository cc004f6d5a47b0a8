/**
 * The README's benchmark chart, drawn with the project's own canvas and fonts: per photo,
 * memegen's analyzeImage on one thread split into its stages, then render + encode, next to
 * face-api on TensorFlow.js WASM doing detection and expressions only.
 */
import { writeFileSync } from 'node:fs';
import { createCanvas } from '@napi-rs/canvas';
import { FAMILY, fontShorthand, registerBundledFonts } from '../functions/core';
import { BaselineResult } from './baseline';
import { PhotoStages } from './stages';

const SEGMENTS = [
  { stage: 'decode', label: 'decode', colour: '#9aa5b1' },
  { stage: 'detect', label: 'detect faces', colour: '#4c6ef5' },
  { stage: 'classify (all models)', label: 'expressions', colour: '#f59f00' },
  { stage: 'render + encode', label: 'render + encode', colour: '#37b24d' },
] as const;

export function drawChart(
  stages: PhotoStages[],
  baseline: BaselineResult[],
  file: string,
  baselineName: string,
): void {
  registerBundledFonts();
  const rows = stages.filter((s) => baseline.some((b) => b.photo === s.photo));
  const width = 1200;
  const rowHeight = 86;
  const top = 96;
  const left = 250;
  const height = top + rows.length * rowHeight + 70;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#111111';
  ctx.font = fontShorthand(FAMILY.sansBold, 26);
  ctx.fillText('Time per photo, one CPU thread (median, ms)', 24, 40);
  ctx.font = fontShorthand(FAMILY.sans, 15);
  ctx.fillStyle = '#555555';
  ctx.fillText(`memegen (stacked stages) vs ${baselineName}: detection + expressions only`, 24, 66);

  const memegenTotal = (s: PhotoStages): number =>
    SEGMENTS.reduce((sum, segment) => sum + (s.stages['1 thread'][segment.stage]?.median ?? 0), 0);
  const max = Math.max(
    ...rows.map((s) =>
      Math.max(memegenTotal(s), baseline.find((b) => b.photo === s.photo)!.detectAndClassify.median),
    ),
  );
  const scale = (width - left - 120) / max;
  rows.forEach((s, i) => {
    const y = top + i * rowHeight;
    const base = baseline.find((b) => b.photo === s.photo)!;
    ctx.fillStyle = '#111111';
    ctx.font = fontShorthand(FAMILY.sansBold, 15);
    ctx.fillText(s.photo.replace(/\.(jpe?g|png)$/, ''), 24, y + 22);
    ctx.font = fontShorthand(FAMILY.sans, 13);
    ctx.fillStyle = '#666666';
    ctx.fillText(`${s.width}×${s.height}, ${s.faces} face(s)`, 24, y + 42);
    let x = left;
    for (const segment of SEGMENTS) {
      const ms = s.stages['1 thread'][segment.stage]?.median ?? 0;
      ctx.fillStyle = segment.colour;
      ctx.fillRect(x, y + 6, ms * scale, 24);
      x += ms * scale;
    }
    ctx.fillStyle = '#111111';
    ctx.font = fontShorthand(FAMILY.sans, 13);
    ctx.fillText(`memegen ${memegenTotal(s).toFixed(0)}`, x + 8, y + 23);
    const baseWidth = base.detectAndClassify.median * scale;
    ctx.fillStyle = '#e03131';
    ctx.fillRect(left, y + 36, baseWidth, 24);
    ctx.fillStyle = '#111111';
    ctx.fillText(`face-api ${base.detectAndClassify.median.toFixed(0)}`, left + baseWidth + 8, y + 53);
  });
  let x = 24;
  const legendY = height - 30;
  for (const item of [
    ...SEGMENTS.map((s) => ({ label: s.label, colour: s.colour })),
    { label: 'face-api + tfjs WASM', colour: '#e03131' },
  ]) {
    ctx.fillStyle = item.colour;
    ctx.fillRect(x, legendY - 12, 16, 16);
    ctx.fillStyle = '#333333';
    ctx.font = fontShorthand(FAMILY.sans, 14);
    ctx.fillText(item.label, x + 22, legendY + 1);
    x += 44 + ctx.measureText(item.label).width;
  }
  writeFileSync(file, canvas.toBuffer('image/png'));
}
