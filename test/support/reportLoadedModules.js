// Preloaded (node --require) into a function's process by test/function-loading.test.ts:
// when the process exits, writes every module it loaded (require.cache) to the file named
// by MEMEGEN_LOADED_MODULES_FILE.
const { writeFileSync } = require('node:fs');

process.on('exit', () => {
  writeFileSync(process.env.MEMEGEN_LOADED_MODULES_FILE, JSON.stringify(Object.keys(require.cache)));
});
