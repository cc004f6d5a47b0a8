/** `npm run models:export` must regenerate the committed ONNX files byte for byte. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelsDir, readManifest } from '../functions/core';
import { buildModel, sourceVersion } from '../models/export/build';
import { COPIED, EXPORTS } from '../models/export/registry';

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

describe.each(COPIED.map((spec) => [spec.id, spec] as const))('copied model %s', (id, spec) => {
  const entry = manifest.models.find((m) => m.id === id);

  it('is listed in models.json with its source commit, pinned sha256 and licence', () => {
    expect(entry?.source.version).toBe(spec.source.commit);
    expect(entry?.sha256).toBe(spec.sha256);
    expect(entry?.licence).toMatch(/Apache-2\.0/);
    expect(existsSync(join(modelsDir(), spec.licenceFile))).toBe(true);
  });

  if (spec.shipped) {
    it('is committed byte for byte as its authors published it', () => {
      expect(sha256(readFileSync(join(modelsDir(), spec.file)))).toBe(spec.sha256);
    });
  }
});
