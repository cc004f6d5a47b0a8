/** Builds one registry entry into ONNX bytes plus the manifest fields that describe it. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildExpressionNet } from './faceapi/expressionNet';
import { buildSsdMobilenetv1 } from './faceapi/ssdMobilenet';
import { Dim, GraphBuilder } from './onnx/graph';
import { ExportSpec } from './registry';
import { convertGraphModel } from './tfjs/convert';
import { loadGraphModel } from './tfjs/graphModel';
import { readWeightsManifest, WeightMap } from './tfjs/weights';

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

/**
 * face-api ships weights without a graph, so each net has a hand-written builder,
 * chosen by registry id (the manifest format alone does not say which net it is).
 */
const FACEAPI_BUILDERS: Readonly<Record<string, (weights: WeightMap) => GraphBuilder>> = {
  'faceapi-expression': buildExpressionNet,
  'ssd-mobilenetv1': buildSsdMobilenetv1,
};

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
    const build = FACEAPI_BUILDERS[spec.id];
    if (!build) throw new Error(`${spec.id}: no face-api graph builder for this id`);
    builder = build(readWeightsManifest(path));
    // The manifest describes what the builder declared, so the two cannot drift apart.
    const signature = builder.signature();
    const [graphInput] = signature.inputs;
    if (signature.inputs.length !== 1 || graphInput.name !== spec.inputName) {
      throw new Error(
        `${spec.id}: graph inputs ${signature.inputs.map((i) => i.name).join(',')}, registry says ${spec.inputName}`,
      );
    }
    input = { name: graphInput.name, shape: graphInput.dims, layout: 'NCHW' };
    outputs = signature.outputs.map((o) => ({ name: o.name, shape: o.dims }));
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
