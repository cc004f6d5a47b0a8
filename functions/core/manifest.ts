/**
 * Types and loading for `models/models.json`, the manifest the exporter writes and
 * inference reads: which file, what input, how to preprocess, which classes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Emotion } from './emotions';

export interface Preprocessing {
  /** Channel order the model takes ('gray': BT.601 luma, one channel). */
  color: 'rgb' | 'bgr' | 'gray';
  /** Input size; for a model with dynamic input (`multipleOf`), its publishers' default. */
  width: number;
  height: number;
  /** value = (pixel - mean[channel]) * scale, pixels in 0..255. */
  mean: number[];
  scale: number;
  resize: string;
  /** Dynamic input: any height and width that are multiples of this (the picture is padded to them). */
  multipleOf?: number;
}

export interface ModelEntry {
  id: string;
  task: 'face-detection' | 'expression';
  description: string;
  file: string;
  /** False for comparison-only models: the file is not committed; `npm run models:export` makes it. */
  shipped: boolean;
  /** Face detectors: keypoints per detection (BlazeFace family: 6; YuNet: 5; SSD: 0, boxes only). */
  keypoints?: number;
  sha256: string;
  bytes: number;
  source: { package: string; version: string; path: string; format: string; upstream: string };
  licence: string;
  /** The licence text committed beside the model, relative to models/ (models copied as published). */
  licenceFile?: string;
  opset: number;
  input: { name: string; shape: (number | string)[]; layout: 'NCHW'; dtype: 'float32' };
  outputs: { name: string; shape: (number | string)[] }[];
  preprocessing: Preprocessing;
  /** Canonical emotion for each output index (expression models only). */
  classes?: Emotion[];
  nativeClasses?: string[];
  /** Models we train ourselves: data, config, PyTorch metrics (from models/training/<id>.record.json). */
  training?: Record<string, unknown>;
  /** Written by `npm run models:fit` / `memegen eval-faces`; absent until measured. */
  accuracy?: Record<string, unknown>;
}

export interface Manifest {
  comment: string;
  models: ModelEntry[];
}

/**
 * Where the committed ONNX files and manifests live: the nearest `models/` folder
 * above this module, so the same code works from `functions/` (ts) and `dist/` (js).
 */
export function modelsDir(): string {
  if (process.env.MEMEGEN_MODELS_DIR) return process.env.MEMEGEN_MODELS_DIR;
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'models', 'models.json'))) return join(dir, 'models');
  }
  throw new Error(`cannot find models/models.json above ${__dirname}; set MEMEGEN_MODELS_DIR`);
}

export function readManifest(dir = modelsDir()): Manifest {
  return JSON.parse(readFileSync(join(dir, 'models.json'), 'utf8')) as Manifest;
}

export function modelEntry(manifest: Manifest, id: string): ModelEntry {
  const entry = manifest.models.find((m) => m.id === id);
  if (!entry) throw new Error(`models.json has no model "${id}"`);
  return entry;
}
