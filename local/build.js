#!/usr/bin/env node
/**
 * Compiles the TypeScript into dist/ (tsc -p tsconfig.build.json, incremental).
 *
 *   node local/build.js               compile (what `npm run build` runs)
 *   node local/build.js --if-changed  compile only if a source changed since the last build
 *                                     (what `npm start` and `npm test` run)
 *
 * "Changed" means a file or folder under the trees tsconfig.build.json includes, a tsconfig,
 * package.json or the lock file is newer than dist/.build-stamp, which a successful build
 * writes. Plain JavaScript, so that it runs before anything is compiled.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  utimesSync,
  writeFileSync,
} = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.build-stamp');

/** The newest modification time under `path` (files and folders, so deletions count too). */
function newest(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

/** The folders tsconfig.build.json compiles: "functions/**\/*.ts" → functions. */
function sourceTrees() {
  const config = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8'));
  return config.include.map((pattern) => pattern.split('/**')[0]);
}

function isUpToDate() {
  const built = statSync(STAMP, { throwIfNoEntry: false });
  if (!built || !existsSync(join(DIST, 'cli', 'main.js'))) return false;
  const inputs = [
    ...sourceTrees(),
    'tsconfig.json',
    'tsconfig.build.json',
    'package.json',
    'package-lock.json',
  ];
  return inputs.every((input) => newest(join(ROOT, input)) <= built.mtimeMs);
}

/** Compiles; returns false (after tsc has printed why) if that failed. */
function build() {
  // The stamp gets the time the build started: a file saved while tsc runs counts as changed.
  const started = new Date();
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  const result = spawnSync(
    process.execPath,
    [tsc, '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', join('dist', '.tsbuildinfo')],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (result.status !== 0) return false;
  mkdirSync(DIST, { recursive: true });
  writeFileSync(STAMP, `${started.toISOString()}\n`);
  utimesSync(STAMP, started, started);
  return true;
}

module.exports = { build, isUpToDate };

if (require.main === module) {
  const ifChanged = process.argv.includes('--if-changed');
  if (!(ifChanged && isUpToDate()) && !build()) process.exit(1);
}
