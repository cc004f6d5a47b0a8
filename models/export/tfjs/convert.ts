/**
 * TensorFlow.js graph model → ONNX graph, NHWC → NCHW.
 *
 * 4-D activations live in NCHW (what onnxruntime's CPU kernels are fastest on);
 * a tensor is only transposed back to TF's NHWC order right before an op whose
 * meaning depends on element order (Reshape, Softmax over a 4-D tensor). The ONNX
 * input is NCHW; outputs keep the TF shapes so they compare 1:1 with TF.js.
 */
import { attr, ElemType, GraphBuilder } from '../onnx/graph';
import {
  Activation,
  activate,
  applyActivation,
  channelConstant,
  conv2d,
  depthwiseConv2d,
  Feature,
  Padding,
  pool,
  toNhwc,
} from '../onnx/tfLayers';
import { attrs, LoadedGraphModel, tensorName, TfNode } from './graphModel';
import { NamedTensor } from './weights';

type Value =
  | { kind: 'const'; tensor: NamedTensor }
  | { kind: 'feature'; feature: Feature }
  /** Any tensor held in TF's own element order; -1 marks the dynamic batch. */
  | { kind: 'plain'; name: string; shape: number[] };

export interface ConvertOptions {
  graphName: string;
  /** ONNX name of the single image input. */
  inputName: string;
  /** Maps TF output names (e.g. "Identity_1") to ONNX output names. */
  outputNames: Record<string, string>;
}

export interface ConvertedGraph {
  builder: GraphBuilder;
  input: { name: string; dims: (number | string)[] };
  outputs: { name: string; tfName: string; dims: (number | string)[] }[];
}

const BATCH = 'batch';

function paddingOf(node: TfNode): Padding {
  const mode = attrs.string(node, 'padding');
  if (mode === 'SAME' || mode === 'VALID') return mode;
  if (mode === 'EXPLICIT') {
    const p = attrs.ints(node, 'explicit_paddings'); // NHWC pairs
    return { explicit: [p[2], p[4], p[3], p[5]] };
  }
  throw new Error(`${node.name}: unsupported padding ${mode}`);
}

function spatial(node: TfNode, key: string, fallback: [number, number]): [number, number] {
  const v = attrs.ints(node, key);
  if (v.length === 0) return fallback;
  if (v[0] !== 1 || v[3] !== 1) throw new Error(`${node.name}: ${key} must be 1 on batch and channels`);
  return [v[1], v[2]];
}

function checkNhwc(node: TfNode): void {
  const format = attrs.string(node, 'data_format');
  if (format !== undefined && format !== 'NHWC') throw new Error(`${node.name}: data_format ${format} is not supported`);
}

function activationOf(name: string, node: TfNode, extra?: NamedTensor): Activation {
  switch (name) {
    case 'Relu':
    case 'Relu6':
    case 'Sigmoid':
    case 'Tanh':
    case 'Elu':
      return name;
    case 'LeakyRelu':
      return { leakyRelu: attrs.float(node, 'leakyrelu_alpha') ?? attrs.float(node, 'alpha') ?? 0.2 };
    case 'Prelu':
      if (!extra) throw new Error(`${node.name}: Prelu without slope`);
      return { prelu: Float32Array.from(extra.data) };
    default:
      throw new Error(`${node.name}: unsupported fused activation ${name}`);
  }
}

export function convertGraphModel(model: LoadedGraphModel, opts: ConvertOptions): ConvertedGraph {
  const g = new GraphBuilder(opts.graphName);
  const values = new Map<string, Value>();
  if (model.inputs.length !== 1) throw new Error('only single-input models are supported');
  const [inputSig] = model.inputs;
  const [n, h, w, c] = inputSig.shape;
  const inputDims: (number | string)[] = [n === -1 ? BATCH : n, c, h, w];
  g.addInput(opts.inputName, ElemType.FLOAT, inputDims);
  values.set(inputSig.name, {
    kind: 'feature',
    feature: { name: opts.inputName, batch: n, channels: c, height: h, width: w },
  });

  const get = (ref: string): Value => {
    const v = values.get(tensorName(ref));
    if (!v) throw new Error(`tensor ${ref} used before it is defined`);
    return v;
  };
  const constOf = (ref: string): NamedTensor => {
    const v = get(ref);
    if (v.kind !== 'const') throw new Error(`${ref} must be a constant`);
    return v.tensor;
  };
  const featureOf = (ref: string): Feature => {
    const v = get(ref);
    if (v.kind !== 'feature') throw new Error(`${ref} must be a 4-D activation`);
    return v.feature;
  };
  const plainOf = (v: Value): { name: string; shape: number[] } => {
    if (v.kind === 'plain') return v;
    if (v.kind === 'feature') {
      const f = v.feature;
      return { name: toNhwc(g, f), shape: [f.batch, f.height, f.width, f.channels] };
    }
    const t = v.tensor;
    return { name: g.constant('const', t.shape, Float32Array.from(t.data)), shape: t.shape };
  };

  for (const node of model.nodes) {
    const inputs = (node.input ?? []).filter((i) => !i.startsWith('^'));
    const set = (v: Value) => values.set(node.name, v);
    switch (node.op) {
      case 'Placeholder':
        if (!values.has(node.name)) throw new Error(`placeholder ${node.name} is not in the signature`);
        break;
      case 'Const': {
        const t = model.weights.get(node.name);
        if (!t) throw new Error(`constant ${node.name} has no weights`);
        set({ kind: 'const', tensor: t });
        break;
      }
      case 'Identity':
        set(get(inputs[0]));
        break;
      case 'Conv2D':
      case '_FusedConv2D':
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative': {
        checkNhwc(node);
        const x = featureOf(inputs[0]);
        const kernel = constOf(inputs[1]);
        const fused = attrs.strings(node, 'fused_ops');
        if (fused.length > 0 && fused[0] !== 'BiasAdd') throw new Error(`${node.name}: fused ops ${fused.join('+')}`);
        const bias = fused[0] === 'BiasAdd' ? constOf(inputs[2]).data : undefined;
        const convOpts = {
          strides: spatial(node, 'strides', [1, 1]),
          dilations: spatial(node, 'dilations', [1, 1]),
          padding: paddingOf(node),
          bias,
        };
        const isDepthwise = node.op.includes('Depthwise');
        let y = isDepthwise ? depthwiseConv2d(g, x, kernel, convOpts) : conv2d(g, x, kernel, convOpts);
        if (fused.length > 1) {
          const extra = inputs[3] ? constOf(inputs[3]) : undefined;
          y = activate(g, y, activationOf(fused[1], node, extra));
        }
        set({ kind: 'feature', feature: y });
        break;
      }
      case 'Relu':
      case 'Relu6':
      case 'Sigmoid':
      case 'Tanh':
      case 'Elu':
      case 'LeakyRelu': {
        const v = get(inputs[0]);
        const act = activationOf(node.op, node);
        if (v.kind === 'feature') set({ kind: 'feature', feature: activate(g, v.feature, act) });
        else {
          const p = plainOf(v);
          set({ kind: 'plain', name: applyActivation(g, p.name, act), shape: p.shape });
        }
        break;
      }
      case 'Add':
      case 'AddV2':
      case 'Mul':
      case 'Sub': {
        const [a, b] = inputs.map(get);
        const onnxOp = { Add: 'Add', AddV2: 'Add', Mul: 'Mul', Sub: 'Sub' }[node.op] as string;
        if (a.kind === 'feature' && b.kind === 'feature') {
          set({ kind: 'feature', feature: { ...a.feature, name: g.op(onnxOp, [a.feature.name, b.feature.name]) } });
        } else if (a.kind === 'feature' && b.kind === 'const' && b.tensor.shape.length <= 1) {
          // A per-channel (or scalar) vector broadcast over NHWC's last axis → [C,1,1] in NCHW.
          const k = channelConstant(g, 'bcast', b.tensor.data);
          set({ kind: 'feature', feature: { ...a.feature, name: g.op(onnxOp, [a.feature.name, k]) } });
        } else {
          const pa = plainOf(a);
          const pb = plainOf(b);
          set({ kind: 'plain', name: g.op(onnxOp, [pa.name, pb.name]), shape: pa.shape });
        }
        break;
      }
      case 'MaxPool':
      case 'AvgPool': {
        checkNhwc(node);
        const x = featureOf(inputs[0]);
        const kind = node.op === 'MaxPool' ? 'MaxPool' : 'AveragePool';
        const y = pool(g, x, kind, spatial(node, 'ksize', [1, 1]), spatial(node, 'strides', [1, 1]), paddingOf(node));
        set({ kind: 'feature', feature: y });
        break;
      }
      case 'Pad':
      case 'PadV2': {
        const x = featureOf(inputs[0]);
        const p = Array.from(constOf(inputs[1]).data); // [[nb,ne],[hb,he],[wb,we],[cb,ce]]
        const value = node.op === 'PadV2' ? constOf(inputs[2]).data[0] : 0;
        const pads = g.int64s('pads', [p[0], p[6], p[2], p[4], p[1], p[7], p[3], p[5]]);
        const fill = g.constant('pad_value', [], Float32Array.of(value));
        const name = g.op('Pad', [x.name, pads, fill], { mode: attr.string('constant') });
        set({
          kind: 'feature',
          feature: {
            name,
            batch: x.batch,
            channels: x.channels + p[6] + p[7],
            height: x.height + p[2] + p[3],
            width: x.width + p[4] + p[5],
          },
        });
        break;
      }
      case 'Reshape': {
        const x = plainOf(get(inputs[0]));
        const target = Array.from(constOf(inputs[1]).data);
        const known = x.shape.reduce((a, b) => a * Math.abs(b), 1);
        const rest = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
        const shape = target.map((d) => (d === -1 ? known / rest : d));
        const name = g.op('Reshape', [x.name, g.int64s('shape', target)]);
        set({ kind: 'plain', name, shape });
        break;
      }
      case 'Mean': {
        const v = get(inputs[0]);
        const axes = Array.from(constOf(inputs[1]).data).sort();
        const keep = attrs.bool(node, 'keep_dims');
        if (v.kind === 'feature' && axes.join() === '1,2') {
          const f = v.feature;
          const name = g.op('ReduceMean', [f.name], { axes: attr.ints([2, 3]), keepdims: attr.int(keep ? 1 : 0) });
          // Without keepdims NCHW and NHWC both collapse to [N, C].
          if (keep) set({ kind: 'feature', feature: { ...f, name, height: 1, width: 1 } });
          else set({ kind: 'plain', name, shape: [f.batch, f.channels] });
        } else {
          const p = plainOf(v);
          const name = g.op('ReduceMean', [p.name], { axes: attr.ints(axes), keepdims: attr.int(keep ? 1 : 0) });
          const shape = keep ? p.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : p.shape.filter((_, i) => !axes.includes(i));
          set({ kind: 'plain', name, shape });
        }
        break;
      }
      case 'Softmax': {
        const p = plainOf(get(inputs[0]));
        set({ kind: 'plain', name: g.op('Softmax', [p.name], { axis: attr.int(-1) }), shape: p.shape });
        break;
      }
      default:
        throw new Error(`${node.name}: TF op ${node.op} is not supported by the exporter`);
    }
  }

  const outputs = model.outputs.map((sig) => {
    const onnxName = opts.outputNames[sig.name] ?? sig.name;
    const p = plainOf(get(sig.name));
    g.op('Identity', [p.name], {}, onnxName);
    const dims = p.shape.map((d, i) => (i === 0 && d === -1 ? BATCH : d));
    g.addOutput(onnxName, ElemType.FLOAT, dims);
    return { name: onnxName, tfName: sig.name, dims };
  });
  return { builder: g, input: { name: opts.inputName, dims: inputDims }, outputs };
}
