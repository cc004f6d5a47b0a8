// The start-up memegen's stack costs before memegen does any work of its own, for the
// benchmark's cold starts (bench/coldStart.ts): Node, loading sharp, onnxruntime and
// @napi-rs/canvas, onnxruntime's sessions for the shipped detector and ensemble (created
// as memegen creates them), and Skia's scan of the installed fonts on its first font use.
// No picture is read, nothing is detected or drawn. Plain JavaScript on the compiled core,
// so no TypeScript compiler adds to the time.
const { readDetectorOptions } = require('../dist/functions/core/detect/detector');
const { readEnsemble } = require('../dist/functions/core/expression/ensemble');
const { modelEntry, readManifest } = require('../dist/functions/core/manifest');
const { loadSession } = require('../dist/functions/core/sessions');
const { GlobalFonts } = require('../dist/functions/core/render/canvas');
require('sharp');

const manifest = readManifest();
const models = [readDetectorOptions().model, ...readEnsemble().members.map((member) => member.model)];
Promise.all(models.map((id) => loadSession(modelEntry(manifest, id)))).then(
  () => {
    void GlobalFonts.families;
    process.exit(0);
  },
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
