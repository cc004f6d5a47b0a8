/** Types and attribute decoding for TensorFlow.js graph-model JSON (a GraphDef in JSON form). */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { readWeights, WeightGroup, WeightMap } from './weights';

interface AttrValue {
  s?: string;
  i?: string;
  f?: number;
  b?: boolean;
  type?: string;
  list?: { s?: string[]; i?: string[]; f?: number[] };
  shape?: { dim?: { size: string }[] };
  tensor?: { dtype: string; tensorShape?: { dim?: { size: string }[] } };
}

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, AttrValue>;
}

interface TensorSignature {
  name: string;
  dtype: string;
  tensorShape: { dim: { size: string }[] };
}

export interface GraphModelJson {
  format: string;
  modelTopology: { node: TfNode[] };
  weightsManifest: WeightGroup[];
  signature?: { inputs: Record<string, TensorSignature>; outputs: Record<string, TensorSignature> };
  userDefinedMetadata?: { signature?: GraphModelJson['signature'] };
}

export interface LoadedGraphModel {
  json: GraphModelJson;
  nodes: TfNode[];
  weights: WeightMap;
  inputs: { name: string; shape: number[] }[];
  outputs: { name: string; shape: number[] }[];
}

const decodeBase64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

export const attrs = {
  string(node: TfNode, key: string): string | undefined {
    const s = node.attr?.[key]?.s;
    return s === undefined ? undefined : decodeBase64(s);
  },
  strings(node: TfNode, key: string): string[] {
    return (node.attr?.[key]?.list?.s ?? []).map(decodeBase64);
  },
  ints(node: TfNode, key: string): number[] {
    return (node.attr?.[key]?.list?.i ?? []).map(Number);
  },
  int(node: TfNode, key: string): number | undefined {
    const i = node.attr?.[key]?.i;
    return i === undefined ? undefined : Number(i);
  },
  float(node: TfNode, key: string): number | undefined {
    return node.attr?.[key]?.f;
  },
  bool(node: TfNode, key: string): boolean {
    return node.attr?.[key]?.b ?? false;
  },
};

/** Strips the ":0" output suffix; control inputs ("^name") are dropped by the caller. */
export const tensorName = (ref: string): string => ref.replace(/:\d+$/, '');

const dims = (sig: TensorSignature): number[] => sig.tensorShape.dim.map((d) => Number(d.size));

export function loadGraphModel(jsonPath: string): LoadedGraphModel {
  const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as GraphModelJson;
  if (json.format !== 'graph-model')
    throw new Error(`${jsonPath}: not a TF.js graph model (format ${json.format})`);
  const signature = json.signature ?? json.userDefinedMetadata?.signature;
  if (!signature) throw new Error(`${jsonPath}: the model has no signature`);
  const sortedSigs = (r: Record<string, TensorSignature>) =>
    Object.values(r)
      .map((s) => ({ name: tensorName(s.name), shape: dims(s) }))
      .sort((a, b) => a.name.localeCompare(b.name));
  return {
    json,
    nodes: json.modelTopology.node,
    weights: readWeights(json.weightsManifest, dirname(jsonPath)),
    inputs: sortedSigs(signature.inputs),
    outputs: sortedSigs(signature.outputs),
  };
}
