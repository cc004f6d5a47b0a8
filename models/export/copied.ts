/**
 * Manifest entries for models copied as their authors published them (registry COPIED):
 * the file is checked against its pinned sha256, never rebuilt. A comparison-only copy that
 * is missing is fetched from the read-only `../shared/models` beside the repository.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CopiedSpec } from './registry';
import { ModelEntry } from '../../functions/core';

/** Reads a protobuf varint at `at`; returns the value and the offset after it. */
function varint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    if (byte === undefined) throw new Error('truncated protobuf varint');
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, at];
    shift += 7;
  }
}

/** The top-level fields of a protobuf message as [field number, wire type, payload or value]. */
function* fields(bytes: Uint8Array): Generator<[number, number, Uint8Array | number]> {
  let at = 0;
  while (at < bytes.length) {
    let key: number;
    [key, at] = varint(bytes, at);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      let value: number;
      [value, at] = varint(bytes, at);
      yield [field, wire, value];
    } else if (wire === 2) {
      let length: number;
      [length, at] = varint(bytes, at);
      yield [field, wire, bytes.subarray(at, at + length)];
      at += length;
    } else if (wire === 5) {
      at += 4;
    } else if (wire === 1) {
      at += 8;
    } else {
      throw new Error(`unsupported protobuf wire type ${wire}`);
    }
  }
}

/** The default-domain opset an ONNX file imports (ModelProto.opset_import, field 8). */
export function onnxOpset(bytes: Uint8Array): number {
  for (const [field, wire, payload] of fields(bytes)) {
    if (field !== 8 || wire !== 2) continue;
    let domain = '';
    let version = 0;
    for (const [f, , v] of fields(payload as Uint8Array)) {
      if (f === 1) domain = Buffer.from(v as Uint8Array).toString('utf8');
      if (f === 2) version = v as number;
    }
    if (domain === '' || domain === 'ai.onnx') return version;
  }
  throw new Error('the ONNX file imports no default-domain opset');
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Where the read-only shared data and models lie: ../shared beside the repository. */
export const SHARED_DIR = resolve(__dirname, '..', '..', '..', 'shared');

/**
 * The manifest entry of a copied model. Its file in `modelsDir` must match the pin; a
 * comparison-only file that is missing is copied from ../shared first (when there).
 * Returns undefined for a comparison-only model whose file is nowhere to be had.
 */
export function copiedEntry(spec: CopiedSpec, modelsDir: string): { entry: ModelEntry; note: string } {
  const target = join(modelsDir, spec.file);
  let note = 'committed copy checked';
  if (!existsSync(target)) {
    const from = join(SHARED_DIR, spec.sharedCopy);
    if (spec.shipped) throw new Error(`${spec.file} is missing from models/: the checkout is incomplete`);
    if (existsSync(from)) {
      copyFileSync(from, target);
      note = `copied from ${from}`;
    } else {
      note = `not present (${from} not found): listed, not runnable`;
    }
  }
  let opset = 0;
  let bytes = 0;
  if (existsSync(target)) {
    const data = readFileSync(target);
    const actual = sha256(data);
    if (actual !== spec.sha256) {
      throw new Error(
        `models/${spec.file} has sha256 ${actual}; ${spec.source.url} is pinned at ${spec.sha256}`,
      );
    }
    opset = onnxOpset(data);
    bytes = data.length;
  }
  return {
    note,
    entry: {
      id: spec.id,
      task: spec.task,
      description: spec.description,
      file: spec.file,
      shipped: spec.shipped,
      keypoints: spec.keypoints,
      sha256: spec.sha256,
      bytes,
      source: {
        package: `github:${spec.source.repository}`,
        version: spec.source.commit,
        path: spec.source.path,
        format: 'onnx, copied byte for byte',
        upstream: spec.source.url,
      },
      licence: spec.licence,
      licenceFile: spec.licenceFile,
      opset,
      input: {
        name: spec.inputName,
        shape: ['batch', 3, 'height', 'width'],
        layout: 'NCHW',
        dtype: 'float32',
      },
      outputs: spec.outputs,
      preprocessing: spec.preprocessing,
    },
  };
}
