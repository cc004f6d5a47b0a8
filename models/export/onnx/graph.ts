/**
 * An ONNX graph builder that serialises straight to ModelProto bytes.
 *
 * Field numbers follow onnx/onnx.proto (proto2, so repeated scalars are written
 * unpacked). Only the parts of the schema our exporters use are covered.
 */
import { ProtoWriter } from './protobuf';

export const ONNX_OPSET = 13;
/** IR version 8 pairs with opset 13..17 and is read by every onnxruntime since 1.10. */
const IR_VERSION = 8;

export enum ElemType {
  FLOAT = 1,
  INT32 = 6,
  INT64 = 7,
}

export type Dim = number | string;

export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'floats'; value: readonly number[] };

export const attr = {
  int: (value: number): AttrValue => ({ kind: 'int', value }),
  float: (value: number): AttrValue => ({ kind: 'float', value }),
  string: (value: string): AttrValue => ({ kind: 'string', value }),
  ints: (value: readonly number[]): AttrValue => ({ kind: 'ints', value }),
  floats: (value: readonly number[]): AttrValue => ({ kind: 'floats', value }),
};

// AttributeProto.AttributeType values.
const ATTR_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7 } as const;

interface NodeSpec {
  opType: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs: Readonly<Record<string, AttrValue>>;
}

interface ValueInfo {
  name: string;
  elemType: ElemType;
  dims: readonly Dim[];
}

export type TensorData = Float32Array | Int32Array | BigInt64Array;

interface Initializer {
  name: string;
  dims: readonly number[];
  data: TensorData;
}

function elemTypeOf(data: TensorData): ElemType {
  if (data instanceof Float32Array) return ElemType.FLOAT;
  if (data instanceof Int32Array) return ElemType.INT32;
  return ElemType.INT64;
}

/** Little-endian raw bytes, independent of the host's byte order. */
function rawBytes(data: TensorData): Uint8Array {
  const out = new Uint8Array(data.length * data.BYTES_PER_ELEMENT);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) view.setFloat32(i * 4, data[i], true);
    else if (data instanceof Int32Array) view.setInt32(i * 4, data[i], true);
    else view.setBigInt64(i * 8, data[i], true);
  }
  return out;
}

export interface ModelInfo {
  producerName: string;
  producerVersion: string;
  docString: string;
  metadata: Readonly<Record<string, string>>;
}

export class GraphBuilder {
  private readonly nodes: NodeSpec[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly usedNames = new Set<string>();
  private readonly counters = new Map<string, number>();

  constructor(readonly name: string) {}

  /** A fresh tensor name with a readable prefix, deterministic for a given build order. */
  fresh(prefix: string): string {
    const base = prefix.replace(/[^A-Za-z0-9_./-]/g, '_');
    let n = this.counters.get(base) ?? 0;
    let candidate = n === 0 ? base : `${base}_${n}`;
    while (this.usedNames.has(candidate)) {
      n += 1;
      candidate = `${base}_${n}`;
    }
    this.counters.set(base, n + 1);
    this.usedNames.add(candidate);
    return candidate;
  }

  addInput(name: string, elemType: ElemType, dims: readonly Dim[]): string {
    this.usedNames.add(name);
    this.inputs.push({ name, elemType, dims });
    return name;
  }

  addOutput(name: string, elemType: ElemType, dims: readonly Dim[]): void {
    this.outputs.push({ name, elemType, dims });
  }

  /** The declared graph inputs and outputs, so callers describe the model from what was built. */
  signature(): { inputs: { name: string; dims: Dim[] }[]; outputs: { name: string; dims: Dim[] }[] } {
    const describe = (v: ValueInfo) => ({ name: v.name, dims: [...v.dims] });
    return { inputs: this.inputs.map(describe), outputs: this.outputs.map(describe) };
  }

  constant(prefix: string, dims: readonly number[], data: TensorData): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (expected !== data.length) {
      throw new Error(
        `initializer ${prefix}: dims ${dims.join('x')} need ${expected} values, got ${data.length}`,
      );
    }
    const name = this.fresh(prefix);
    this.initializers.push({ name, dims: [...dims], data });
    return name;
  }

  int64s(prefix: string, values: readonly number[]): string {
    return this.constant(prefix, [values.length], BigInt64Array.from(values.map((v) => BigInt(v))));
  }

  /** Adds a node and returns its output names (fresh ones unless given). */
  node(
    opType: string,
    inputs: readonly string[],
    attrs: Readonly<Record<string, AttrValue>> = {},
    outputs: readonly string[] | number = 1,
  ): string[] {
    const outNames =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()))
        : outputs.map((o) => {
            this.usedNames.add(o);
            return o;
          });
    this.nodes.push({ opType, name: this.fresh(`node_${opType}`), inputs, outputs: outNames, attrs });
    return outNames;
  }

  /** Single-output convenience wrapper around {@link node}. */
  op(
    opType: string,
    inputs: readonly string[],
    attrs: Readonly<Record<string, AttrValue>> = {},
    output?: string,
  ): string {
    return this.node(opType, inputs, attrs, output === undefined ? 1 : [output])[0];
  }

  serialize(info: ModelInfo): Uint8Array {
    const w = new ProtoWriter();
    w.int(1, IR_VERSION);
    w.string(2, info.producerName);
    w.string(3, info.producerVersion);
    w.string(6, info.docString);
    w.message(7, (g) => this.writeGraph(g));
    w.message(8, (o) => o.string(1, '').int(2, ONNX_OPSET));
    for (const key of Object.keys(info.metadata).sort()) {
      w.message(14, (m) => m.string(1, key).string(2, info.metadata[key]));
    }
    return w.finish();
  }

  private writeGraph(g: ProtoWriter): void {
    for (const node of this.nodes) g.message(1, (n) => writeNode(n, node));
    g.string(2, this.name);
    for (const init of this.initializers) g.message(5, (t) => writeTensor(t, init));
    for (const input of this.inputs) g.message(11, (v) => writeValueInfo(v, input));
    for (const output of this.outputs) g.message(12, (v) => writeValueInfo(v, output));
  }
}

function writeNode(w: ProtoWriter, node: NodeSpec): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name);
  w.string(4, node.opType);
  for (const key of Object.keys(node.attrs).sort()) {
    const value = node.attrs[key];
    w.message(5, (a) => {
      a.string(1, key);
      switch (value.kind) {
        case 'float':
          a.float(2, value.value);
          break;
        case 'int':
          a.int(3, value.value);
          break;
        case 'string':
          a.string(4, value.value);
          break;
        case 'floats':
          for (const f of value.value) a.float(7, f);
          break;
        case 'ints':
          for (const i of value.value) a.int(8, i);
          break;
      }
      a.int(20, ATTR_TYPE[value.kind]);
    });
  }
}

function writeTensor(w: ProtoWriter, init: Initializer): void {
  for (const d of init.dims) w.int(1, d);
  w.int(2, elemTypeOf(init.data));
  w.string(8, init.name);
  w.bytes(9, rawBytes(init.data));
}

function writeValueInfo(w: ProtoWriter, info: ValueInfo): void {
  w.string(1, info.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, info.elemType);
      tensor.message(2, (shape) => {
        for (const d of info.dims) {
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        }
      });
    }),
  );
}
