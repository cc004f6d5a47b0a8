/**
 * Manifest entries for the models this project trains (registry TRAINED): built from
 * the committed ONNX file and the training record that models/training/train.py wrote
 * beside it, and refused when the two disagree (a retrained file without its record,
 * or a record whose input or classes differ from what the registry says inference does).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalEmotion, ModelEntry } from '../../functions/core';
import { TrainedSpec } from './registry';

export interface TrainingRecord {
  id: string;
  onnx: { file: string; sha256: string; bytes: number; opset: number };
  data: {
    tarball: string;
    tarballSha256: string;
    trainImages: number;
    droppedValidationDuplicates: { count: number };
    trainImagesUsed: number;
    trainUsedPixelsSha256: string;
    trainClassCounts: Record<string, number>;
    validation: string;
    validationImagesUsed: number;
    /** FER+ crowd votes as soft targets (models/training/photo-config.json). */
    ferplus?: { votes: string; votesSha256: string; cropsWithVotes: number };
    /** expressions-wild training people, cut by our detector (models/training/prepare-wild.ts). */
    wild?: {
      cropsSha256: string;
      trainPictures: number;
      trainPeople: number;
      trainClassCounts: Record<string, number>;
      validationPictures: number;
      validationPeople: number;
    };
  };

  config: {
    seed: number;
    classes: string[];
    input: { size: number; mean: number; scale: number };
    [key: string]: unknown;
  };
  variant: string;
  architecture: { name: string; stages: number[][]; params: number };
  balance: string;
  samplingPower: number;
  lossWeightPower: number;
  /** Soft targets: this share of the FER2013 label, the rest FER+ votes. */
  fer2013Weight?: number;
  environment: Record<string, unknown>;
  trainingSeconds: number;
  secondsPerEpoch: number;
  validationPyTorch: Record<string, { accuracy: number; macroRecall: number }>;
  history: unknown[];
  learningCurves: string;
}

export function readTrainingRecord(spec: TrainedSpec, modelsDir: string): TrainingRecord {
  return JSON.parse(readFileSync(join(modelsDir, spec.record), 'utf8')) as TrainingRecord;
}

/** The manifest entry for a trained model, less the accuracy that `models:fit` adds. */
export function trainedEntry(spec: TrainedSpec, modelsDir: string, projectVersion: string): ModelEntry {
  const record = readTrainingRecord(spec, modelsDir);
  const file = `${spec.id}.onnx`;
  const bytes = readFileSync(join(modelsDir, file));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const fail = (why: string) => {
    throw new Error(`${spec.id}: ${why}; retrain or re-export with models/training/train.py`);
  };
  if (record.id !== spec.id || record.onnx.file !== file)
    fail(`record ${spec.record} is for ${record.onnx.file}`);
  if (record.onnx.sha256 !== sha256)
    fail(`models/${file} has sha256 ${sha256}, the training record says ${record.onnx.sha256}`);
  const pre = spec.preprocessing;
  const input = record.config.input;
  if (pre.color !== 'gray' || pre.width !== input.size || pre.height !== input.size)
    fail(`trained on ${input.size}×${input.size} grey`);
  if (pre.mean[0] !== input.mean || Math.abs(pre.scale - input.scale) > 1e-12)
    fail('trained with another normalisation');
  if (record.config.classes.join() !== spec.classes.join())
    fail(`trained with classes ${record.config.classes.join()}`);
  const round = (v: number) => Math.round(v * 10000) / 10000;
  return {
    id: spec.id,
    task: spec.task,
    description: spec.description,
    file,
    shipped: true,
    sha256,
    bytes: bytes.length,
    source: {
      package: 'memegen',
      version: projectVersion,
      path: spec.trainer,
      format: 'pytorch-trained',
      upstream:
        `FER2013 training split (${record.data.tarball}, sha256 ${record.data.tarballSha256})` +
        (record.data.ferplus ? `, FER+ votes (${record.data.ferplus.votes})` : '') +
        (record.data.wild ? `, expressions-wild training people (LFW)` : ''),
    },
    licence: spec.licence,
    opset: record.onnx.opset,
    input: {
      name: spec.inputName,
      shape: ['batch', 1, pre.height, pre.width],
      layout: 'NCHW',
      dtype: 'float32',
    },
    outputs: [{ name: spec.outputName, shape: ['batch', spec.classes.length] }],
    preprocessing: pre,
    classes: spec.classes.map(canonicalEmotion),
    nativeClasses: spec.classes,
    training: {
      record: `models/${spec.record}`,
      data: {
        tarball: record.data.tarball,
        tarballSha256: record.data.tarballSha256,
        images: record.data.trainImages,
        droppedValidationDuplicates: record.data.droppedValidationDuplicates.count,
        imagesUsed: record.data.trainImagesUsed,
        usedPixelsSha256: record.data.trainUsedPixelsSha256,
        classCounts: record.data.trainClassCounts,
        ...(record.data.ferplus
          ? {
              ferplus: {
                votes: record.data.ferplus.votes,
                votesSha256: record.data.ferplus.votesSha256,
                cropsWithVotes: record.data.ferplus.cropsWithVotes,
                fer2013Weight: record.fer2013Weight,
              },
            }
          : {}),
        ...(record.data.wild
          ? {
              wild: {
                cropsSha256: record.data.wild.cropsSha256,
                pictures: record.data.wild.trainPictures,
                people: record.data.wild.trainPeople,
                classCounts: record.data.wild.trainClassCounts,
              },
            }
          : {}),
      },
      ...(record.config.init ? { initialisedFrom: (record.config.init as { onnx: string }).onnx } : {}),
      config: spec.config,
      seed: record.config.seed,
      variant: record.variant,
      architecture: record.architecture,
      balance: record.balance,
      samplingPower: record.samplingPower,
      lossWeightPower: record.lossWeightPower,
      epochs: record.history.length,
      environment: record.environment,
      trainingSeconds: record.trainingSeconds,
      secondsPerEpoch: record.secondsPerEpoch,
      validationPyTorch: {
        data: `${record.data.validation} less training-split duplicates (${record.data.validationImagesUsed} crops)`,
        ...Object.fromEntries(
          Object.entries(record.validationPyTorch).map(([k, m]) => [
            k,
            { accuracy: round(m.accuracy), macroRecall: round(m.macroRecall) },
          ]),
        ),
      },
      learningCurves: `models/${record.learningCurves}`,
    },
  };
}
