/**
 * Builds the source zip that Terraform uploads for the Cloud Functions
 * (`npm run package:functions`, default output infra/build/functions-source.zip).
 *
 * What the Cloud Functions Node.js buildpack does with it: `npm ci` (honouring
 * package-lock.json and .npmrc), then the `gcp-build` script if there is one, else the
 * `build` script; with no build step it installs with NODE_ENV=production, i.e. without
 * devDependencies. The zip holds only what that needs and what the functions run (ZIP_GROUPS):
 *
 *   - a deploy-time package.json: the project's, with every script replaced by an empty
 *     `gcp-build` and no `bin`. No build runs in the cloud, `prepare` (= tsc) is not run by
 *     `npm ci`, and the devDependencies (TensorFlow.js, the model packages, Playwright:
 *     ~550 MB) are never downloaded. dependencies and devDependencies are kept as they are,
 *     so package-lock.json stays in sync with it and `npm ci` accepts it;
 *   - package-lock.json and .npmrc: .npmrc sets ignore-scripts=true; without it
 *     onnxruntime-node's install script downloads the CUDA execution provider;
 *   - dist/functions/: functions/ compiled here alone (no source maps, no declarations), so
 *     nothing of the CLI, the local stack or the tooling can be reached from it; with the
 *     caption library's JSON, which the compiled modules import;
 *   - what the code reads beside itself at run time: the upload page's files, the bundled
 *     font file, the three model manifests the runtime reads (models.json, ensemble.json,
 *     detector.json) and the ONNX models it loads: those ensemble.json and detector.json
 *     name, each checked against models.json's sha256. Other committed models (candidates
 *     models:fit weighs, marked shipped in models.json) stay out of the zip.
 *
 * No TypeScript, tests, docs, bench, bin, CLI, local stack or tooling. The zip is written
 * here (no `zip` binary needed) with fixed timestamps and sorted entries, so the same tree
 * always gives the same bytes, and the same md5: Terraform names the uploaded object after
 * that md5, so a changed build redeploys and an unchanged one does not.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { PAGE_CONTENT_TYPES } from '../functions/cloud/page';

export const DEFAULT_OUT = join('infra', 'build', 'functions-source.zip');

/** The model manifests the runtime reads (functions/core/manifest.ts, ensemble.ts, detector.ts). */
const RUNTIME_MANIFESTS = ['detector.json', 'ensemble.json', 'models.json'];

/** Files the buildpack needs at the root of the zip (package.json is written, not copied). */
const ROOT_FILES = ['package-lock.json', '.npmrc'];
const FONT_FILE = /\.(ttf|otf|woff2?)$/;

/**
 * Every file of the zip belongs to exactly one of these groups (the packager's summary and
 * test/infra-package.test.ts list the zip by them).
 */
export const ZIP_GROUPS: { name: string; test: (file: string) => boolean }[] = [
  { name: 'deploy manifests', test: (f) => ['package.json', ...ROOT_FILES].includes(f) },
  { name: 'compiled functions', test: (f) => /^dist\/functions\/.+\.js$/.test(f) },
  { name: 'caption library', test: (f) => /^dist\/functions\/core\/captions\/[^/]+\.json$/.test(f) },
  {
    name: 'upload page',
    test: (f) => /^functions\/cloud\/page\/[^/]+$/.test(f) && extname(f) in PAGE_CONTENT_TYPES,
  },
  { name: 'fonts', test: (f) => /^functions\/assets\/fonts\/[^/]+$/.test(f) && FONT_FILE.test(f) },
  { name: 'model manifests', test: (f) => /^models\/[^/]+\.json$/.test(f) },
  { name: 'models', test: (f) => /^models\/[^/]+\.onnx$/.test(f) },
];

export function zipGroup(file: string): string | undefined {
  return ZIP_GROUPS.find((group) => group.test(file))?.name;
}

export interface PackageOptions {
  /** The project root (default: the folder above infra/). */
  root?: string;
  /** Where to write the zip (default infra/build/functions-source.zip under root). */
  out?: string;
  log?: (line: string) => void;
}

export interface PackageResult {
  out: string;
  bytes: number;
  md5: string;
  files: string[];
  /** Per group of ZIP_GROUPS: files and bytes before compression. */
  groups: Record<string, { files: number; bytes: number }>;
}

export function packageFunctions(options: PackageOptions = {}): PackageResult {
  const root = resolve(options.root ?? join(__dirname, '..'));
  const out = resolve(root, options.out ?? DEFAULT_OUT);
  const log = options.log ?? (() => undefined);
  const stage = mkdtempSync(join(tmpdir(), 'memegen-functions-'));
  try {
    const sources = functionSources(root);
    log(`compiling ${sources.length} TypeScript files of functions/ into dist/functions/`);
    compile(root, stage, sources);
    const entries = new Map<string, Buffer>();
    entries.set(
      'package.json',
      Buffer.from(deployPackageJson(readFileSync(join(root, 'package.json'), 'utf8'))),
    );
    for (const file of runtimeFiles(root)) entries.set(file, readFileSync(join(root, file)));
    for (const file of listFiles(join(stage, 'dist', 'functions')))
      entries.set(`dist/functions/${file}`, readFileSync(join(stage, 'dist', 'functions', file)));
    const files = [...entries.keys()].sort();
    const strays = files.filter((file) => zipGroup(file) === undefined);
    if (strays.length > 0)
      throw new Error(`files that belong to no group of ZIP_GROUPS: ${strays.join(', ')}`);
    const groups: PackageResult['groups'] = Object.fromEntries(
      ZIP_GROUPS.map((group) => [group.name, { files: 0, bytes: 0 }]),
    );
    for (const file of files) {
      const group = groups[zipGroup(file)!];
      group.files += 1;
      group.bytes += entries.get(file)!.length;
    }
    const zip = writeZip(files.map((name) => ({ name, data: entries.get(name)!, mode: 0o644 })));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, zip);
    return { out, bytes: zip.length, md5: createHash('md5').update(zip).digest('hex'), files, groups };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** The TypeScript the functions are compiled from: functions/**\/*.ts but the asset tools. */
export function functionSources(root: string): string[] {
  return listFiles(join(root, 'functions'))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.startsWith('assets/'))
    .map((file) => `functions/${file}`);
}

/** The files of the project the zip carries as they are, sorted. */
export function runtimeFiles(root: string): string[] {
  const files = new Set<string>();
  for (const file of ROOT_FILES) {
    if (!existsSync(join(root, file))) throw new Error(`${file} is missing: the buildpack needs it`);
    files.add(file);
  }
  for (const file of readdirSync(join(root, 'functions', 'cloud', 'page')))
    if (extname(file) in PAGE_CONTENT_TYPES) files.add(`functions/cloud/page/${file}`);
  for (const file of readdirSync(join(root, 'functions', 'assets', 'fonts')))
    if (FONT_FILE.test(file)) files.add(`functions/assets/fonts/${file}`);
  for (const file of RUNTIME_MANIFESTS) files.add(`models/${file}`);
  for (const file of shippedModels(root)) files.add(`models/${file}`);
  return [...files].sort();
}

interface ManifestEntry {
  id: string;
  file: string;
  sha256?: string;
}

/** The ONNX files the runtime loads: the ensemble's members and the detector. */
export function shippedModels(root: string): string[] {
  const dir = join(root, 'models');
  const manifest = JSON.parse(readFileSync(join(dir, 'models.json'), 'utf8')) as { models: ManifestEntry[] };
  const ids = new Set<string>();
  const ensemble = JSON.parse(readFileSync(join(dir, 'ensemble.json'), 'utf8')) as {
    members: { model: string }[];
  };
  for (const member of ensemble.members) ids.add(member.model);
  const detector = JSON.parse(readFileSync(join(dir, 'detector.json'), 'utf8')) as {
    options: { model: string };
  };
  ids.add(detector.options.model);
  const files: string[] = [];
  for (const id of [...ids].sort()) {
    const entry = manifest.models.find((m) => m.id === id);
    if (!entry) throw new Error(`model "${id}" is used but models/models.json does not list it`);
    const path = join(dir, entry.file);
    if (!existsSync(path))
      throw new Error(`models/${entry.file} (model "${id}") is missing: run npm run models:export`);
    const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
    if (entry.sha256 && entry.sha256 !== sha256)
      throw new Error(
        `models/${entry.file} does not match models.json's sha256 (${sha256} ≠ ${entry.sha256})`,
      );
    files.push(entry.file);
  }
  return files;
}

/** The package.json that is deployed: no scripts but an empty gcp-build, no bin (see the header). */
export function deployPackageJson(source: string): string {
  const { bin: _bin, ...pkg } = JSON.parse(source) as Record<string, unknown>;
  const deployed = {
    ...pkg,
    scripts: { 'gcp-build': '' },
    '//': 'Written by infra/package-functions.ts: dist/ is prebuilt, so the buildpack runs no build and installs only dependencies.',
  };
  return `${JSON.stringify(deployed, null, 2)}\n`;
}

/**
 * Compiles functions/ alone into <stage>/dist/functions with the project's compiler
 * options (no source maps or declarations: nothing in the cloud reads them).
 */
function compile(root: string, stage: string, sources: string[]): void {
  for (const file of sources) {
    mkdirSync(dirname(join(stage, file)), { recursive: true });
    copyFileSync(join(root, file), join(stage, file));
  }
  // JSON the sources import (the caption library) is emitted beside the compiled modules.
  for (const file of listFiles(join(root, 'functions')))
    if (file.endsWith('.json') && !file.startsWith('assets/') && !file.startsWith('cloud/page/'))
      copyFileSync(join(root, 'functions', file), join(stage, 'functions', file));
  const project = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as {
    compilerOptions: Record<string, unknown>;
  };
  writeFileSync(
    join(stage, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        ...project.compilerOptions,
        types: ['node'],
        rootDir: '.',
        outDir: 'dist',
        sourceMap: false,
        declaration: false,
      },
      include: ['functions/**/*.ts'],
      exclude: ['functions/assets/**'],
    }),
  );
  // The staged tree compiles against the project's node_modules (types), through a link.
  symlinkSync(join(root, 'node_modules'), join(stage, 'node_modules'), 'dir');
  try {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', join(stage, 'tsconfig.json')], {
      cwd: stage,
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`tsc failed:\n${result.stdout}${result.stderr}`);
  } finally {
    rmSync(join(stage, 'node_modules'));
  }
  if (!existsSync(join(stage, 'dist', 'functions', 'index.js')))
    throw new Error('tsc did not write dist/functions/index.js (package.json "main")');
}

/** Files under dir, relative, with forward slashes, sorted; symbolic links are not followed. */
function listFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) found.push(relative(dir, path).split(sep).join('/'));
    }
  };
  walk(dir);
  return found.sort();
}

// ---------------------------------------------------------------------------------------
// A minimal, deterministic ZIP writer and reader (no zip64: the archive stays far below 4 GB).

export interface ZipEntry {
  name: string;
  data: Buffer;
  /** Unix permission bits (default 0644). */
  mode?: number;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** 1980-01-01 00:00, the earliest DOS timestamp: every entry gets it, so builds are reproducible. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

export function writeZip(entries: ZipEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of sorted) {
    const name = Buffer.from(entry.name, 'utf8');
    const deflated = deflateRawSync(entry.data, { level: 9 });
    const stored = deflated.length >= entry.data.length;
    const body = stored ? entry.data : deflated;
    const crc = crc32(entry.data);
    const method = stored ? 0 : 8;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0 (so the mode bits count)
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((((0o100000 | (entry.mode ?? 0o644)) & 0xffff) << 16) >>> 0, 38); // regular file + permissions
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  if (sorted.length > 0xffff || offset + directory.length > 0xffffffff)
    throw new Error('too large for a zip without zip64');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(sorted.length, 8);
  end.writeUInt16LE(sorted.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** Reads back what writeZip writes (stored and deflated entries), checking every CRC. */
export function readZip(zip: Buffer): ZipEntry[] {
  const endAt = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (endAt < 0) throw new Error('not a zip: no end of central directory');
  const count = zip.readUInt16LE(endAt + 10);
  let at = zip.readUInt32LE(endAt + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('bad central directory entry');
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const mode = zip.readUInt32LE(at + 38) >>> 16;
    const localAt = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const bodyAt = localAt + 30 + zip.readUInt16LE(localAt + 26) + zip.readUInt16LE(localAt + 28);
    const body = zip.subarray(bodyAt, bodyAt + size);
    const data = method === 0 ? Buffer.from(body) : inflateRawSync(body);
    if (crc32(data) !== crc) throw new Error(`${name}: CRC mismatch`);
    entries.push({ name, data, mode: mode & 0o777 });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  if (args.some((arg) => arg === '--help' || arg === '-h') || (outIndex >= 0 && !args[outIndex + 1])) {
    console.log(`usage: npm run package:functions [-- --out PATH]   (default ${DEFAULT_OUT})`);
    process.exit(outIndex >= 0 ? 2 : 0);
  }
  try {
    const result = packageFunctions({
      out: outIndex >= 0 ? args[outIndex + 1] : undefined,
      log: (line) => console.error(line),
    });
    console.log(
      `${relative(process.cwd(), result.out) || result.out}: ${result.files.length} files, ${(result.bytes / 1048576).toFixed(1)} MB, md5 ${result.md5}`,
    );
    for (const [group, { files, bytes }] of Object.entries(result.groups))
      console.log(
        `  ${group.padEnd(20)} ${String(files).padStart(4)} files ${(bytes / 1024).toFixed(0).padStart(7)} KiB`,
      );
  } catch (error) {
    console.error(`package:functions: ${(error as Error).message}`);
    process.exit(1);
  }
}
