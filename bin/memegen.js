#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (npm start and npm test
// compile too). In a fresh clone nothing is compiled yet, so the first run compiles.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

if (!existsSync(join(__dirname, '..', 'dist', 'cli', 'main.js'))) {
  process.stderr.write('memegen: compiling the TypeScript into dist/ first (npm run build)…\n');
  if (!require('../local/build.js').build()) process.exit(1);
}
require('../dist/cli/main.js').main(process.argv.slice(2));
