/**
 * Meme quality on a folder of photos: renders each photo in every style with the library's
 * caption and scores how often the text hides a face, both the faces a person annotated
 * (the truth, detected or not) and the faces the detector found (what layout could see).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import {
  Analysis,
  AnalyzedFace,
  Analyzer,
  Box,
  EMOTIONS,
  EmotionScores,
  ImageError,
  MemeLayout,
  MemeStyle,
  MEME_STYLES,
  overlapArea,
  PICTURE_FILE,
  pictureSize,
  renderMeme,
  RenderedMeme,
} from '../../functions/core';
import { AnnotatedImage } from './detection';

/** The photos scored with annotations: groups of one to eight faces big enough to matter. */
export const SELECTION = { minFaceHeight: 40, minFaces: 1, maxFaces: 8 } as const;
/** A face counts as hidden when text covers more than this share of it… */
export const COVER_SHARE = 0.15;
/** …and it is at least this tall in the photo's own pixels (smaller ones are background). */
export const SCORED_FACE_HEIGHT = 32;

/** Photos with 1–8 valid annotated faces at least 40 px high. */
export function selectAnnotated(images: readonly AnnotatedImage[]): AnnotatedImage[] {
  return images.filter((image) => {
    const big = image.faces.filter((face) => !face.invalid && face.height >= SELECTION.minFaceHeight).length;
    return big >= SELECTION.minFaces && big <= SELECTION.maxFaces;
  });
}

/** Every picture under `dir`, in subfolders too, as paths relative to it (sorted). */
export function listPictures(dir: string): string[] {
  const found: string[] = [];
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (PICTURE_FILE.test(name)) found.push(relative(dir, path).split(sep).join('/'));
    }
  };
  walk(dir);
  return found;
}

/**
 * Share of `face` (photo pixels) under the meme's text blocks. Blocks never overlap each
 * other by much (tags never do; top and bottom text are stacked), so their overlaps add up.
 */
export function textCover(layout: MemeLayout, face: Box, photoWidth: number): number {
  const scale = layout.photo.width / photoWidth;
  const onCanvas: Box = {
    x: layout.photo.x + face.x * scale,
    y: layout.photo.y + face.y * scale,
    width: face.width * scale,
    height: face.height * scale,
  };
  const area = onCanvas.width * onCanvas.height;
  if (area <= 0) return 0;
  const covered = layout.blocks.reduce((sum, block) => sum + overlapArea(block.box, onCanvas), 0);
  return Math.min(1, covered / area);
}

/** Faces (photo pixels) at least SCORED_FACE_HEIGHT tall that the text covers more than COVER_SHARE of. */
export function hiddenFaces(layout: MemeLayout, faces: readonly Box[], photoWidth: number): Box[] {
  return faces.filter(
    (face) => face.height >= SCORED_FACE_HEIGHT && textCover(layout, face, photoWidth) > COVER_SHARE,
  );
}

export interface ScoredMeme {
  file: string;
  style: MemeStyle;
  meme: RenderedMeme;
  analysis: Analysis;
  /** Annotated faces the text hides (undefined without annotations). */
  hiddenAnnotated?: Box[];
  hiddenDetected: Box[];
}

export interface StyleReport {
  style: MemeStyle;
  memes: number;
  /** Memes whose text hides an annotated face; null without annotations. */
  hideAnnotated: { memes: number; share: number; files: string[] } | null;
  hideDetected: { memes: number; share: number; files: string[] };
}

export interface MemeReport {
  photos: number;
  annotated: boolean;
  /** Which faces the text was placed around: the detector's, or the annotated ones. */
  placedAround: 'detected' | 'annotated';
  /** Annotated photos left out because they do not have 1–8 faces ≥ 40 px. */
  skipped: number;
  /** Files that could not be read as pictures, with the reason; they count nowhere else. */
  unreadable: { file: string; error: string }[];
  styles: StyleReport[];
}

export interface MemeEvalOptions {
  imagesDir: string;
  annotations?: AnnotatedImage[];
  styles?: readonly MemeStyle[];
  analyzer?: Analyzer;
  /** Called with every meme as it is made (for the contact sheet and progress). */
  onMeme?: (scored: ScoredMeme) => void | Promise<void>;
  /** Rendered memes are capped to this long side (default: renderMeme's own, 1,600 px). */
  maxSide?: number;
  /**
   * Lay text out around the annotated faces instead of the detector's: what layout achieves
   * on its own, whatever the detector misses. Captions then read every face as happy.
   */
  annotatedAsDetected?: boolean;
}

export async function evaluateMemes(options: MemeEvalOptions): Promise<MemeReport> {
  const styles = options.styles ?? MEME_STYLES;
  const selected = options.annotations ? selectAnnotated(options.annotations) : undefined;
  const photos = selected
    ? selected.map((image) => ({ file: image.file, truth: image.faces.filter((face) => !face.invalid) }))
    : listPictures(options.imagesDir).map((file) => ({ file, truth: undefined }));
  if (options.annotatedAsDetected && !selected)
    throw new Error('annotated faces as detected needs annotations');
  const analyzer = options.annotatedAsDetected ? undefined : (options.analyzer ?? (await Analyzer.create()));
  const tallies = new Map(
    styles.map((style) => [style, { annotated: [] as string[], detected: [] as string[] }]),
  );
  const unreadable: MemeReport['unreadable'] = [];
  for (const { file, truth } of photos) {
    const bytes = readFileSync(join(options.imagesDir, file));
    let analysis: Analysis;
    try {
      analysis = analyzer ? await analyzer.analyze(bytes) : asDetected(truth!, await pictureSize(bytes));
    } catch (error) {
      if (!(error instanceof ImageError)) throw error;
      unreadable.push({ file, error: error.message });
      continue;
    }
    const detected = analysis.faces.map((face) => face.box);
    for (const style of styles) {
      // The file name seeds the caption, so reruns give the same memes.
      const meme = await renderMeme(bytes, analysis, { style, seed: file, maxSide: options.maxSide });
      const hiddenAnnotated = truth && hiddenFaces(meme.layout, truth, analysis.width);
      const hiddenDetected = hiddenFaces(meme.layout, detected, analysis.width);
      const tally = tallies.get(style)!;
      if (hiddenAnnotated && hiddenAnnotated.length > 0) tally.annotated.push(file);
      if (hiddenDetected.length > 0) tally.detected.push(file);
      await options.onMeme?.({ file, style, meme, analysis, hiddenAnnotated, hiddenDetected });
    }
  }
  const made = photos.length - unreadable.length;
  const share = (files: string[]): { memes: number; share: number; files: string[] } => ({
    memes: files.length,
    share: made ? files.length / made : 0,
    files,
  });
  return {
    photos: made,
    annotated: selected !== undefined,
    placedAround: options.annotatedAsDetected ? 'annotated' : 'detected',
    skipped: options.annotations ? options.annotations.length - photos.length : 0,
    unreadable,
    styles: styles.map((style) => ({
      style,
      memes: made,
      hideAnnotated: selected ? share(tallies.get(style)!.annotated) : null,
      hideDetected: share(tallies.get(style)!.detected),
    })),
  };
}

/** An analysis whose faces are the annotated ones, each read happy with confidence 0.9. */
function asDetected(faces: readonly Box[], size: { width: number; height: number }): Analysis {
  const emotions = Object.fromEntries(
    EMOTIONS.map((emotion) => [emotion, emotion === 'happy' ? 0.9 : 0.1 / (EMOTIONS.length - 1)]),
  ) as EmotionScores;
  const face = (box: Box): AnalyzedFace => {
    const at = (fx: number, fy: number) => ({ x: box.x + fx * box.width, y: box.y + fy * box.height });
    return {
      box: { x: box.x, y: box.y, width: box.width, height: box.height },
      keypoints: {
        rightEye: at(0.3, 0.4),
        leftEye: at(0.7, 0.4),
        nose: at(0.5, 0.6),
        mouth: at(0.5, 0.8),
        rightEar: at(0.05, 0.45),
        leftEar: at(0.95, 0.45),
      },
      score: 1,
      emotions,
      dominant: 'happy',
    };
  };
  return { ...size, faces: faces.map(face) };
}
