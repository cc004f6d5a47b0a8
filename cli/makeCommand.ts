/** `memegen make`: memes of one photo, many photos or folders of them, written to disk. */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, relative } from 'node:path';
import {
  Analysis,
  Analyzer,
  ImageError,
  isLanguage,
  isMemeStyle,
  Language,
  LANGUAGES,
  LayoutSummary,
  MEME_STYLES,
  MemeStyle,
  OutputFormat,
  projectRoot,
  renderMeme,
  RenderedCaption,
  RenderedMeme,
  summarizeLayout,
} from '../functions/core';
import { fileProblem, isFileError } from './fileErrors';
import { expandInputs, InputPicture } from './inputs';
import { uniqueNames } from './outputNames';
import { Progress } from './progress';
import { UsageError } from './usage';

export interface MakeArguments {
  inputs: string[];
  out?: string;
  style?: string;
  top?: string;
  bottom?: string;
  lang?: string;
  format?: string;
  recursive: boolean;
  json: boolean;
}

const FORMAT_NAMES: Record<string, OutputFormat> = { jpg: 'jpeg', jpeg: 'jpeg', webp: 'webp', png: 'png' };
const EXTENSIONS: Record<OutputFormat, string> = { jpeg: '.jpg', webp: '.webp', png: '.png' };

/**
 * One input's entry in `--json` (docs/cli.md documents it): the meme made, or why not.
 * Built in `madeEntry` and `failedEntry` only, so a new field is one line there.
 */
export type MakeEntry = MadeEntry | FailedEntry;

export interface MadeEntry {
  output: string;
  width: number;
  height: number;
  caption: RenderedCaption;
  analysis: Analysis;
  /** Where the text went, in canvas pixels. */
  layout: LayoutSummary;
}

export interface FailedEntry {
  error: string;
  /** An ImageError code (NOT_AN_IMAGE, …) or a file-system one (ENOENT, EACCES, …). */
  code: string;
}

function madeEntry(output: string, meme: RenderedMeme, analysis: Analysis): MadeEntry {
  return {
    output,
    width: meme.width,
    height: meme.height,
    caption: meme.caption,
    analysis,
    layout: summarizeLayout(meme.layout),
  };
}

function failedEntry(error: unknown): FailedEntry {
  if (error instanceof ImageError) return { error: error.message, code: error.code };
  if (isFileError(error)) return { error: fileProblem(error), code: error.code };
  throw error; // a bug, not bad input
}

export async function makeCommand(args: MakeArguments): Promise<number> {
  const style = parseStyle(args.style);
  const lang = parseLanguage(args.lang);
  // `-o meme.png` alone is enough to ask for PNG.
  const outExtension = extname(args.out ?? '')
    .slice(1)
    .toLowerCase();
  const format = parseFormat(args.format ?? (FORMAT_NAMES[outExtension] ? outExtension : undefined));
  const samples = args.inputs.length === 0;
  const inputs = expandInputs(samples ? [samplePhotosDir()] : args.inputs, args.recursive);
  for (const dir of inputs.skippedSubfolders)
    console.error(`memegen make: left out the subfolders of ${dir} (add --recursive to include them)`);
  if (inputs.pictures.length === 0 && inputs.unreadable.length === 0)
    throw new UsageError(`no pictures found in ${args.inputs.join(', ')}`, 'make');
  const outputs = outputPaths(args.out ?? 'out', inputs.pictures, format);

  const results: Record<string, MakeEntry> = {};
  const progress = new Progress(inputs.pictures.length, args.json);
  const report = (file: string, entry: MakeEntry): void => {
    results[file] = entry;
    if (args.json) return;
    if ('error' in entry) progress.print(`memegen make: ${file}: ${entry.error}`, process.stderr);
    else progress.print(`${file} → ${entry.output}  ${captionText(entry.caption)}`, process.stdout);
  };
  for (const { path, error } of inputs.unreadable) report(path, failedEntry(error));

  const started = performance.now();
  if (inputs.pictures.length > 0) {
    const analyzer = await Analyzer.create();
    const options = { style, lang, format, top: args.top, bottom: args.bottom };
    for (const [i, picture] of inputs.pictures.entries()) {
      progress.start(picture.path);
      report(picture.path, await makeOne(picture.path, outputs[i], analyzer, options));
      progress.done();
    }
    progress.finish();
  }

  const failed = Object.values(results).filter((entry) => 'error' in entry).length;
  if (args.json) {
    console.log(JSON.stringify(results, null, 2));
  } else {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const where = args.out ?? 'out';
    const made = Object.keys(results).length - failed;
    console.log(
      `${made} meme(s) written to ${where}${failed ? `, ${failed} failed` : ''} in ${seconds} s` +
        (samples ? ` (made from the bundled sample photos in ${displayPath(samplePhotosDir())})` : ''),
    );
  }
  return failed ? 1 : 0;
}

async function makeOne(
  file: string,
  output: string,
  analyzer: Analyzer,
  options: { style: MemeStyle; lang: Language; format: OutputFormat; top?: string; bottom?: string },
): Promise<MakeEntry> {
  try {
    const bytes = readFileSync(file);
    const analysis = await analyzer.analyze(bytes);
    const caption =
      options.top !== undefined || options.bottom !== undefined
        ? { top: options.top, bottom: options.bottom }
        : undefined;
    const meme = await renderMeme(bytes, analysis, {
      style: options.style,
      lang: options.lang,
      format: options.format,
      caption,
    });
    mkdirSync(dirname(output), { recursive: true });
    writeFileSync(output, meme.bytes);
    return madeEntry(output, meme, analysis);
  } catch (error) {
    return failedEntry(error);
  }
}

/** `"top" / "bottom"`, as chosen (the meme may show it upper-cased). */
function captionText(caption: RenderedCaption): string {
  const lines = [caption.top, caption.bottom].filter((line) => line !== undefined && line !== '');
  return lines.length > 0 ? lines.map((line) => `"${line}"`).join(' / ') : '(face tags only)';
}

/**
 * Where each meme goes: `-o meme.jpg` names the file when there is one input; otherwise
 * `-o` is a folder and each meme takes its photo's name (and, with --recursive, subfolder)
 * with the format's extension, made unique within the run.
 */
function outputPaths(out: string, pictures: readonly InputPicture[], format: OutputFormat): string[] {
  const namesAFile = /\.(jpe?g|webp|png)$/i.test(out) && !(existsSync(out) && statSync(out).isDirectory());
  if (namesAFile) {
    if (pictures.length > 1)
      throw new UsageError(
        `-o ${out} names one file, but there are ${pictures.length} pictures; give a folder`,
        'make',
      );
    if (FORMAT_NAMES[extname(out).slice(1).toLowerCase()] !== format)
      throw new UsageError(`-o ${out} does not match --format ${format}`, 'make');
    return pictures.map(() => out);
  }
  return uniqueNames(
    pictures.map((picture) => picture.outputStem),
    EXTENSIONS[format],
  ).map((name) => join(out, name));
}

function displayPath(path: string): string {
  const near = relative(process.cwd(), path);
  return near === '' ? '.' : near.startsWith('..') ? path : near;
}

/** The photos shipped with memegen (test/photos). */
export function samplePhotosDir(): string {
  return join(projectRoot(), 'test', 'photos');
}

function parseStyle(value: string | undefined): MemeStyle {
  if (value === undefined) return 'classic';
  if (!isMemeStyle(value))
    throw new UsageError(`--style must be one of ${MEME_STYLES.join(', ')}, got "${value}"`, 'make');
  return value;
}

function parseLanguage(value: string | undefined): Language {
  if (value === undefined) return 'en';
  if (!isLanguage(value))
    throw new UsageError(`--lang must be one of ${LANGUAGES.join(', ')}, got "${value}"`, 'make');
  return value;
}

function parseFormat(value: string | undefined): OutputFormat {
  if (value === undefined) return 'jpeg';
  const format = FORMAT_NAMES[value.toLowerCase()];
  if (!format) throw new UsageError(`--format must be one of jpg, webp, png, got "${value}"`, 'make');
  return format;
}
