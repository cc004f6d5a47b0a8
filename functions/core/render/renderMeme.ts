/**
 * The public rendering API: photo bytes + analysis → meme bytes. Pure with respect to the
 * cloud, like analyzeImage.
 */
import { createHash } from 'node:crypto';
import { Canvas, ImageData } from './canvas';
import { withCanvas } from './keptCanvas';
import sharp from 'sharp';
// Types only: the analyser (onnxruntime) is loaded by makeMeme when it has to analyse, so
// rendering from a known analysis (the `render` function) never loads the models.
import type { Analysis, Analyzer } from '../analyze';
import { RenderOptionError } from '../errors';

import { chooseCaption } from '../captions/choose';
import { expressionTag, shortExpressionTag } from '../captions/labels';
import { CaptionPair } from '../captions/library';
import { decodeImageRgba, DecodeOptions, pictureSize } from '../image';
import { drawLayout } from './draw';
import { layoutMeme, LayoutFace, MemeLayout } from './layout';
import { sharedMeasurer } from './measure';
import { cleanCaption } from './text';
import { registerBundledFonts } from './fonts';
import {
  CaptionKind,
  DEFAULT_MAX_SIDE,
  isLanguage,
  isMemeStyle,
  isOutputFormat,
  Language,
  LANGUAGES,
  MEME_STYLES,
  MemeStyle,
  OutputFormat,
  OUTPUT_FORMATS,
} from '../vocabulary';

export const DEFAULT_QUALITY = 88;

export interface RenderOptions extends Pick<DecodeOptions, 'limitInputPixels'> {
  style?: MemeStyle;
  /** The user's own caption; without it one is chosen from the library. */
  caption?: CaptionPair;
  lang?: Language;
  /** Makes the library's choice repeatable: the job id. Defaults to a hash of the photo. */
  seed?: string;
  format?: OutputFormat;
  /** Long side of the output in pixels (the label band included). */
  maxSide?: number;
  /** JPEG/WebP quality, 1..100. */
  quality?: number;
}

export interface RenderedCaption extends CaptionPair {
  source: 'user' | 'library';
  /** For library captions: which set it came from. */
  kind?: CaptionKind;
}

export interface RenderedMeme {
  bytes: Buffer;
  contentType: string;
  width: number;
  height: number;
  style: MemeStyle;
  format: OutputFormat;
  /** The caption as written on the meme (before upper-casing); empty for a tags-only `faces` meme. */
  caption: RenderedCaption;
  layout: MemeLayout;
  /** Where the time went: planning the layout, decoding the photo, drawing, encoding. */
  timings: RenderTimings;
}

export interface RenderTimings {
  layoutMs: number;
  decodeMs: number;
  drawMs: number;
  encodeMs: number;
}

const CONTENT_TYPES: Record<OutputFormat, string> = {
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  png: 'image/png',
};

export async function renderMeme(
  imageBytes: Uint8Array,
  analysis: Analysis,
  options: RenderOptions = {},
): Promise<RenderedMeme> {
  const settings = checkOptions(options);
  registerBundledFonts();
  const full = await pictureSize(imageBytes, options);
  const chosen = captionFor(imageBytes, analysis, settings);
  // The faces style speaks through its tags; a library caption would compete with them, so
  // only the user's caption, or the no-face caption when there are no tags, is written.
  const caption: RenderedCaption =
    settings.style === 'faces' && chosen.source === 'library' && chosen.kind !== 'noFace'
      ? { source: 'library' }
      : chosen;
  const started = performance.now();
  const { layout, photo } = planLayout(full, analysis, caption, settings);
  const planned = performance.now();
  // Decoded once, straight to the size planned (JPEGs shrink while decoding).
  const pixels = await decodeImageRgba(imageBytes, {
    size: photo,
    limitInputPixels: options.limitInputPixels,
  });
  const decoded = performance.now();
  let drawn = decoded;
  const bytes = await withCanvas(layout.width, layout.height, (canvas) => {
    const ctx = canvas.getContext('2d');
    const clamped = new Uint8ClampedArray(pixels.data.buffer, pixels.data.byteOffset, pixels.data.length);
    ctx.putImageData(new ImageData(clamped, pixels.width, pixels.height), layout.photo.x, layout.photo.y);
    drawLayout(ctx, layout);
    drawn = performance.now();
    return encode(canvas, settings);
  });
  const encoded = performance.now();
  return {
    timings: {
      layoutMs: planned - started,
      decodeMs: decoded - planned,
      drawMs: drawn - decoded,
      encodeMs: encoded - drawn,
    },
    bytes,
    contentType: CONTENT_TYPES[settings.format],
    width: layout.width,
    height: layout.height,
    style: settings.style,
    format: settings.format,
    caption,
    layout,
  };
}

export interface MakeMemeOptions extends RenderOptions {
  analysis?: Analysis;
  /** The analyzer to use (default: the shared one with default options). */
  analyzer?: Analyzer;
}

/** analyzeImage + renderMeme; the analysis is returned too, for status documents and --json. */
export async function makeMeme(
  imageBytes: Uint8Array,
  options: MakeMemeOptions = {},
): Promise<RenderedMeme & { analysis: Analysis }> {
  checkOptions(options); // fail on a bad option before spending time on the models
  const analysis =
    options.analysis ??
    (options.analyzer
      ? await options.analyzer.analyze(imageBytes)
      : await (await import('../analyze')).analyzeImage(imageBytes));
  return { ...(await renderMeme(imageBytes, analysis, options)), analysis };
}

interface Settings {
  style: MemeStyle;
  lang: Language;
  format: OutputFormat;
  maxSide: number;
  quality: number;
  seed?: string;
  caption?: CaptionPair;
}

function checkOptions(options: RenderOptions): Settings {
  const style = options.style ?? 'classic';
  const lang = options.lang ?? 'en';
  const format = options.format ?? 'jpeg';
  const maxSide = options.maxSide ?? DEFAULT_MAX_SIDE;
  const quality = options.quality ?? DEFAULT_QUALITY;
  if (!isMemeStyle(style))
    throw new RenderOptionError(`unknown style "${String(style)}" (use ${MEME_STYLES.join(', ')})`);
  if (!isLanguage(lang))
    throw new RenderOptionError(`unknown language "${String(lang)}" (use ${LANGUAGES.join(', ')})`);
  if (!isOutputFormat(format)) {
    throw new RenderOptionError(`unknown format "${String(format)}" (use ${OUTPUT_FORMATS.join(', ')})`);
  }
  if (!Number.isInteger(maxSide) || maxSide < 16 || maxSide > 8192)
    throw new RenderOptionError(`maxSide must be a whole number of pixels from 16 to 8192, got ${maxSide}`);
  if (!Number.isInteger(quality) || quality < 1 || quality > 100)
    throw new RenderOptionError(`quality must be a whole number from 1 to 100, got ${quality}`);
  return { style, lang, format, maxSide, quality, seed: options.seed, caption: options.caption };
}

/** The user's caption when it has any drawable text, else the library's choice for this photo. */
function captionFor(imageBytes: Uint8Array, analysis: Analysis, settings: Settings): RenderedCaption {
  const top = cleanCaption(settings.caption?.top ?? '');
  const bottom = cleanCaption(settings.caption?.bottom ?? '');
  if (top !== '' || bottom !== '')
    return { source: 'user', ...(top !== '' && { top }), ...(bottom !== '' && { bottom }) };
  const seed = settings.seed ?? createHash('sha256').update(imageBytes).digest('hex');
  const { kind, top: libraryTop, bottom: libraryBottom } = chooseCaption(analysis.faces, settings.lang, seed);
  return {
    source: 'library',
    kind,
    ...(libraryTop && { top: libraryTop }),
    ...(libraryBottom && { bottom: libraryBottom }),
  };
}

/**
 * Sizes the photo so the whole meme (the label band included) fits maxSide, and lays it out.
 * Layout is cheap and decoding is not, so the size is settled before any pixel is decoded.
 */
function planLayout(
  full: { width: number; height: number },
  analysis: Analysis,
  caption: CaptionPair,
  settings: Settings,
): { layout: MemeLayout; photo: { width: number; height: number } } {
  const measure = sharedMeasurer();
  let scale = Math.min(1, settings.maxSide / Math.max(full.width, full.height));
  for (let attempt = 1; ; attempt++) {
    const photo = {
      width: Math.max(1, Math.round(full.width * scale)),
      height: Math.max(1, Math.round(full.height * scale)),
    };
    const toPhoto = photo.width / analysis.width;
    const faces: LayoutFace[] = analysis.faces.map((face) => ({
      box: {
        x: face.box.x * toPhoto,
        y: face.box.y * toPhoto,
        width: face.box.width * toPhoto,
        height: face.box.height * toPhoto,
      },
      tag: expressionTag(face.dominant, face.emotions[face.dominant], settings.lang),
      shortTag: shortExpressionTag(face.dominant, face.emotions[face.dominant]),
      score: face.score,
    }));
    const layout = layoutMeme({ style: settings.style, ...photo, faces, caption, measure });
    const longSide = Math.max(layout.width, layout.height);
    // The band grows with the text, which wraps differently at each width: shrink until it all fits.
    if (longSide <= settings.maxSide || photo.width * photo.height <= 1) return { layout, photo };
    scale *= (settings.maxSide / longSide) * (attempt > 3 ? 0.99 : 1);
  }
}

/**
 * Skia encodes JPEG and WebP fastest straight from the canvas; its PNG encoder is 3-4× slower
 * than libvips', so PNG goes through sharp (measured on a 1600×1067 meme: 283 ms vs 85 ms).
 * Neither writes metadata: no EXIF, GPS or camera data leaves with the meme.
 */
async function encode(canvas: Canvas, settings: Settings): Promise<Buffer> {
  if (settings.format !== 'png') return canvas.encode(settings.format, settings.quality);
  // The canvas is opaque (photo and band cover it), so its premultiplied pixels are plain RGBA.
  return sharp(canvas.data(), { raw: { width: canvas.width, height: canvas.height, channels: 4 } })
    .removeAlpha()
    .png({ compressionLevel: 6 })
    .toBuffer();
}
