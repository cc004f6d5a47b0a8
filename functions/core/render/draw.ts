/** Paints a MemeLayout onto a canvas that already holds the photo. */
import { SKRSContext2D } from '@napi-rs/canvas';
import { fontShorthand } from './fonts';
import { MemeLayout, TextBlock } from './layout';

export function drawLayout(ctx: SKRSContext2D, layout: MemeLayout): void {
  if (layout.band) {
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(layout.band.x, layout.band.y, layout.band.width, layout.band.height);
  }
  // Every outline and pointer first, so no tag is ever drawn under another face's outline.
  for (const block of layout.blocks) if (block.face) drawTie(ctx, block);
  for (const block of layout.blocks) drawBlock(ctx, block);
}

/**
 * A thin outline of the tagged face and a pointer from it to the tag: white over a dark halo,
 * so the tie shows on light and dark photos alike.
 */
function drawTie(ctx: SKRSContext2D, block: TextBlock): void {
  const face = block.face!;
  const line = Math.max(1.5, block.size * 0.12);
  ctx.save();
  ctx.lineJoin = 'round';
  ctx.lineCap = 'round';
  for (const [colour, width] of [
    ['rgba(17, 17, 17, 0.55)', line * 2.2],
    ['#ffffff', line],
  ] as const) {
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    ctx.beginPath();
    ctx.roundRect(face.x, face.y, face.width, face.height, Math.min(face.width, face.height) * 0.12);
    if (block.pointer) {
      ctx.moveTo(block.pointer.from.x, block.pointer.from.y);
      ctx.lineTo(block.pointer.to.x, block.pointer.to.y);
    }
    ctx.stroke();
  }
  ctx.restore();
}

function drawBlock(ctx: SKRSContext2D, block: TextBlock): void {
  ctx.save();
  ctx.font = fontShorthand(block.family, block.size);
  ctx.textAlign = 'left';
  // Skia's 'middle' baseline centres the em box, which sits capitals visibly high; put the
  // alphabetic baseline half a cap height below each line's centre instead.
  ctx.textBaseline = 'alphabetic';
  const baseline = capHeight(ctx) / 2;
  switch (block.look) {
    case 'outlined':
      // Stroke first, then fill over it: the outline stays outside the letters.
      ctx.lineJoin = 'round';
      ctx.miterLimit = 2;
      ctx.lineWidth = block.strokeWidth;
      ctx.strokeStyle = '#000000';
      ctx.fillStyle = '#ffffff';
      block.lines.forEach((line, i) =>
        ctx.strokeText(line, block.origins[i]!.x, block.origins[i]!.y + baseline),
      );
      block.lines.forEach((line, i) =>
        ctx.fillText(line, block.origins[i]!.x, block.origins[i]!.y + baseline),
      );
      break;
    case 'plain':
      ctx.fillStyle = '#000000';
      block.lines.forEach((line, i) =>
        ctx.fillText(line, block.origins[i]!.x, block.origins[i]!.y + baseline),
      );
      break;
    case 'tag': {
      const { x, y, width, height } = block.box;
      ctx.fillStyle = 'rgba(17, 17, 17, 0.78)';
      ctx.beginPath();
      ctx.roundRect(x, y, width, height, height / 2);
      ctx.fill();
      ctx.fillStyle = '#ffffff';
      ctx.fillText(block.lines[0]!, block.origins[0]!.x, block.origins[0]!.y + baseline);
      break;
    }
  }
  ctx.restore();
}

/** Height of a capital H in the context's current font, in pixels. */
function capHeight(ctx: SKRSContext2D): number {
  return ctx.measureText('H').actualBoundingBoxAscent;
}
