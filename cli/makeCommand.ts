/** `memegen make`: memes of one photo, many photos or a folder, written to disk. */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative } from 'node:path';
import {
  Analysis,
  Analyzer,
  ImageError,
  isLanguage,
  isMemeStyle,
  Language,
  LANGUAGES,
  MEME_STYLES,
  MemeStyle,
  OutputFormat,
  projectRoot,
  RenderedCaption,
  renderMeme,
} from '../functions/core';
import { expandInputs } from './analyzeCommand';
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
  json: boolean;
}

const FORMAT_NAMES: Record<string, OutputFormat> = { jpg: 'jpeg', jpeg: 'jpeg', webp: 'webp', png: 'png' };
const EXTENSIONS: Record<OutputFormat, string> = { jpeg: '.jpg', webp: '.webp', png: '.png' };

interface MadeMeme {
  output: string;
  width: number;
  height: number;
  caption: RenderedCaption;
  analysis: Analysis;
}

type Outcome = MadeMeme | { error: string; code: string };

export async function makeCommand(args: MakeArguments): Promise<number> {
  const style = parseStyle(args.style);
  const lang = parseLanguage(args.lang);
  // `-o meme.png` alone is enough to ask for PNG.
  const outExtension = extname(args.out ?? '')
    .slice(1)
    .toLowerCase();
  const format = parseFormat(args.format ?? (FORMAT_NAMES[outExtension] ? outExtension : undefined));
  const samples = args.inputs.length === 0;
  const files = expandInputs(samples ? [samplePhotosDir()] : args.inputs);
  if (files.length === 0) throw new UsageError(`no pictures found in ${args.inputs.join(', ')}`);
  const target = outputTarget(args.out ?? 'out', files, format);

  const analyzer = await Analyzer.create();
  const progress = new Progress(files.length, args.json);
  const results: Record<string, Outcome> = {};
  const started = performance.now();
  for (const file of files) {
    progress.start(file);
    results[file] = await makeOne(file, target(file), analyzer, {
      style,
      lang,
      format,
      top: args.top,
      bottom: args.bottom,
    });
    progress.done(
      file,
      'error' in results[file]
        ? `error: ${(results[file] as { error: string }).error}`
        : `→ ${(results[file] as MadeMeme).output}`,
    );
  }
  progress.finish();
  const failed = Object.values(results).filter((result) => 'error' in result).length;
  if (args.json) {
    console.log(JSON.stringify(results, null, 2));
  } else {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const where = args.out ?? 'out';
    console.log(
      `${files.length - failed} meme(s) written to ${where}${failed ? `, ${failed} failed` : ''} in ${seconds} s` +
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
): Promise<Outcome> {
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
    return { output, width: meme.width, height: meme.height, caption: meme.caption, analysis };
  } catch (error) {
    if (!(error instanceof ImageError)) throw error;
    return { error: error.message, code: error.code };
  }
}

/**
 * Where each meme goes: `-o meme.jpg` names the file when there is one input; otherwise
 * `-o` is a folder and each meme keeps its photo's name with the format's extension.
 */
function outputTarget(out: string, files: string[], format: OutputFormat): (file: string) => string {
  const namesAFile = /\.(jpe?g|webp|png)$/i.test(out) && !(existsSync(out) && statSync(out).isDirectory());
  if (namesAFile) {
    if (files.length !== 1)
      throw new UsageError(`-o ${out} names one file, but there are ${files.length} pictures; give a folder`);
    if (FORMAT_NAMES[extname(out).slice(1).toLowerCase()] !== format) {
      throw new UsageError(`-o ${out} does not match --format ${format}`);
    }
    return () => out;
  }
  return (file) => join(out, basename(file, extname(file)) + EXTENSIONS[format]);
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
    throw new UsageError(`--style must be one of ${MEME_STYLES.join(', ')}, got "${value}"`);
  return value;
}

function parseLanguage(value: string | undefined): Language {
  if (value === undefined) return 'en';
  if (!isLanguage(value))
    throw new UsageError(`--lang must be one of ${LANGUAGES.join(', ')}, got "${value}"`);
  return value;
}

function parseFormat(value: string | undefined): OutputFormat {
  if (value === undefined) return 'jpeg';
  const format = FORMAT_NAMES[value.toLowerCase()];
  if (!format) throw new UsageError(`--format must be one of jpg, webp, png, got "${value}"`);
  return format;
}
