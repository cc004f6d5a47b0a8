/** Builds one registry entry into ONNX bytes plus the manifest fields that describe it. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildExpressionNet } from './faceapi/expressionNet';
import { Dim, GraphBuilder } from './onnx/graph';
import { ExportSpec } from './registry';
import { convertGraphModel } from './tfjs/convert';
import { loadGraphModel } from './tfjs/graphModel';
import { readWeightsManifest } from './tfjs/weights';

export interface BuiltModel {
  bytes: Uint8Array;
  packageVersion: string;
  input: { name: string; shape: Dim[]; layout: 'NCHW' };
  outputs: { name: string; shape: Dim[] }[];
}

/** Resolves a file inside an installed source package (a devDependency). */
export function sourcePath(spec: ExportSpec): string {
  const pkgJson = require.resolve(`${spec.source.package}/package.json`);
  return join(dirname(pkgJson), spec.source.path);
}

export function sourceVersion(spec: ExportSpec): string {
  const pkgJson = require.resolve(`${spec.source.package}/package.json`);
  return (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string }).version;
}

export function buildModel(spec: ExportSpec, producerVersion: string): BuiltModel {
  const path = sourcePath(spec);
  let builder: GraphBuilder;
  let input: BuiltModel['input'];
  let outputs: BuiltModel['outputs'];
  if (spec.source.format === 'tfjs-graph-model') {
    const converted = convertGraphModel(loadGraphModel(path), {
      graphName: spec.id,
      inputName: spec.inputName,
      outputNames: spec.outputNames,
    });
    builder = converted.builder;
    input = { name: converted.input.name, shape: converted.input.dims, layout: 'NCHW' };
    outputs = converted.outputs.map((o) => ({ name: o.name, shape: o.dims }));
  } else {
    builder = buildExpressionNet(readWeightsManifest(path));
    const { width, height } = spec.preprocessing;
    input = { name: spec.inputName, shape: ['batch', 3, height, width], layout: 'NCHW' };
    outputs = [{ name: 'probabilities', shape: ['batch', spec.nativeClasses?.length ?? 0] }];
  }
  const packageVersion = sourceVersion(spec);
  const bytes = builder.serialize({
    producerName: 'memegen-exporter',
    producerVersion,
    docString: spec.description,
    metadata: {
      source: `${spec.source.package}@${packageVersion}/${spec.source.path}`,
      upstream: spec.source.upstream,
    },
  });
  return { bytes, packageVersion, input, outputs };
}
