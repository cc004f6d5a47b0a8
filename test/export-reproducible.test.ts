/** `npm run models:export` must regenerate the committed ONNX files byte for byte. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelsDir, readManifest } from '../functions/core';
import { buildModel, sourceVersion } from '../models/export/build';
import { EXPORTS } from '../models/export/registry';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const projectVersion = (
  JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }
).version;
const manifest = readManifest();

describe.each(EXPORTS.map((spec) => [spec.id, spec] as const))('export of %s', (id, spec) => {
  const entry = manifest.models.find((m) => m.id === id);

  it('is listed in models.json with its pinned source version (and, if shipped, the committed file’s sha256)', () => {
    expect(entry).toBeDefined();
    expect(entry?.source.version).toBe(sourceVersion(spec));
    expect(entry?.shipped).toBe(spec.shipped);
    if (spec.shipped) expect(entry?.sha256).toBe(sha256(readFileSync(join(modelsDir(), `${id}.onnx`))));
  });

  it('rebuilds byte-identically from the source package', () => {
    const rebuilt = buildModel(spec, projectVersion);
    expect(sha256(rebuilt.bytes)).toBe(entry?.sha256);
  });
});
