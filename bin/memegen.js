#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (which `npm ci` runs via "prepare").
require('../dist/cli/main.js').main(process.argv.slice(2));
