/**
 * TensorFlow.js graph model → ONNX graph, NHWC → NCHW.
 *
 * 4-D activations live in NCHW (what onnxruntime's CPU kernels are fastest on);
 * a tensor is only transposed back to TF's NHWC order right before an op whose
 * meaning depends on element order (Reshape, Softmax over a 4-D tensor). The ONNX
 * input is NCHW; outputs keep the TF shapes so they compare 1:1 with TF.js.
 *
 * Shape arithmetic (Shape → StridedSlice → Pack feeding a Reshape, as Keras emits
 * for `Reshape` layers) is folded at export time from the statically tracked
 * shapes, so the ONNX graph only holds constant reshape targets. The one unknown,
 * a dynamic batch size, is carried symbolically and written as 0 (ONNX Reshape's
 * "copy this dimension from the input"), because Keras targets such as
 * [batch, -1, 16] already spend the single -1 that Reshape may infer.
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
  | { kind: 'plain'; name: string; shape: number[] }
  /**
   * An integer scalar or vector known at export time (a constant, or shape
   * arithmetic folded from static shapes); 'batch' stands for the dynamic batch
   * size. Only shape ops and Reshape accept it, so an op that would do arithmetic
   * on an unknown size fails instead of computing garbage.
   */
  | { kind: 'host'; values: HostDim[]; scalar: boolean };

type HostDim = number | 'batch';

export interface ConvertOptions {
  graphName: string;
  /** ONNX name of the single image input. */
  inputName: string;
  /**
   * TF tensors to output (signature outputs such as "Identity_1" or any node of the
   * graph) → ONNX output names, in output order. Empty: every signature output,
   * under its TF name. Nodes that no output depends on are not converted.
   */
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
  if (format !== undefined && format !== 'NHWC')
    throw new Error(`${node.name}: data_format ${format} is not supported`);
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

function product(values: readonly number[]): number {
  return values.reduce((a, b) => a * b, 1);
}

/** TF's StridedSlice over a 1-D host vector (the only rank shape arithmetic needs). */
function stridedSlice1d(
  node: TfNode,
  values: HostDim[],
  begin: number[],
  end: number[],
  strides: number[],
): Value {
  for (const mask of ['ellipsis_mask', 'new_axis_mask']) {
    if ((attrs.int(node, mask) ?? 0) !== 0)
      throw new Error(`${node.name}: StridedSlice ${mask} is not supported`);
  }
  if (begin.length !== 1 || end.length !== 1 || strides.length !== 1) {
    throw new Error(`${node.name}: StridedSlice is only supported on 1-D shape vectors`);
  }
  const n = values.length;
  const step = strides[0];
  if (step === 0) throw new Error(`${node.name}: StridedSlice stride 0`);
  const norm = (i: number) => (i < 0 ? i + n : i);
  if ((attrs.int(node, 'shrink_axis_mask') ?? 0) & 1) {
    const i = norm(begin[0]);
    if (i < 0 || i >= n)
      throw new Error(`${node.name}: StridedSlice index ${begin[0]} out of range for ${n} values`);
    return { kind: 'host', values: [values[i]], scalar: true };
  }
  // Out-of-range bounds clamp as in TF: to [0, n] going forwards, [-1, n-1] backwards.
  const clamp = (i: number) =>
    step > 0 ? Math.min(Math.max(norm(i), 0), n) : Math.min(Math.max(norm(i), -1), n - 1);
  const first = (attrs.int(node, 'begin_mask') ?? 0) & 1 ? (step > 0 ? 0 : n - 1) : clamp(begin[0]);
  const last = (attrs.int(node, 'end_mask') ?? 0) & 1 ? (step > 0 ? n : -1) : clamp(end[0]);
  const out: HostDim[] = [];
  for (let i = first; step > 0 ? i < last : i > last; i += step) out.push(values[i]);
  return { kind: 'host', values: out, scalar: false };
}

/**
 * A Reshape's ONNX target and static result shape (-1 there marks the dynamic batch).
 * The symbolic batch becomes 0, ONNX's "copy the input's dimension", which is only
 * the batch at index 0; TF's own -1 is inferred by ONNX exactly as by TF.
 */
function reshapeOf(
  node: TfNode,
  input: number[],
  target: HostDim[],
): { onnxTarget: number[]; shape: number[] } {
  const fail = (why: string) => {
    throw new Error(`${node.name}: Reshape of [${input.join(',')}] to [${target.join(',')}]: ${why}`);
  };
  const dynamicBatch = input[0] === -1;
  if (target.some((d, i) => d === 'batch' && (i !== 0 || !dynamicBatch)))
    fail('the batch size is only kept in place');
  // TF's 0 is an empty dimension, ONNX's (without allowzero) a copied one.
  if (target.includes(0)) fail('zero-sized dimensions are not supported');
  const rest = target.slice(target[0] === 'batch' ? 1 : 0) as number[];
  const free = rest.filter((d) => d === -1).length;
  if (free > 1) fail('more than one unknown dimension');
  const perItem = product(dynamicBatch ? input.slice(1) : input);
  let shape: number[];
  if (target[0] === 'batch') {
    const known = product(rest.filter((d) => d !== -1));
    if (perItem % known !== 0) fail('sizes do not divide');
    shape = [-1, ...rest.map((d) => (d === -1 ? perItem / known : d))];
  } else if (dynamicBatch) {
    // With an unknown batch, the -1 can only be inferred statically if it is the batch itself.
    if (target[0] !== -1 || product(rest.slice(1)) !== perItem)
      fail('the result depends on the dynamic batch size');
    shape = rest;
  } else if (free === 1) {
    const known = product(rest.filter((d) => d !== -1));
    if (perItem % known !== 0) fail('sizes do not divide');
    shape = rest.map((d) => (d === -1 ? perItem / known : d));
  } else {
    shape = rest;
  }
  return { onnxTarget: target.map((d) => (d === 'batch' ? 0 : d)), shape };
}

/** TF nodes that the requested outputs depend on (control inputs included, as TF would run them). */
function neededNodes(nodes: TfNode[], outputs: string[]): Set<string> {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const needed = new Set<string>();
  const stack = [...outputs];
  while (stack.length > 0) {
    const name = tensorName(stack.pop() as string).replace(/^\^/, '');
    if (needed.has(name)) continue;
    const node = byName.get(name);
    if (!node) throw new Error(`tensor ${name} is not in the graph`);
    needed.add(name);
    stack.push(...(node.input ?? []));
  }
  return needed;
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
  /** Integer values known at export time: a constant or folded shape arithmetic. */
  const hostOf = (ref: string): Value & { kind: 'host' } => {
    const v = get(ref);
    if (v.kind === 'host') return v;
    if (v.kind === 'const' && v.tensor.dtype === 'int32' && v.tensor.shape.length <= 1) {
      return { kind: 'host', values: Array.from(v.tensor.data), scalar: v.tensor.shape.length === 0 };
    }
    throw new Error(`${ref} must be an integer scalar or vector known at export time`);
  };
  const hostInts = (ref: string): number[] => {
    const { values } = hostOf(ref);
    if (values.includes('batch')) throw new Error(`${ref} depends on the dynamic batch size`);
    return values as number[];
  };
  const plainOf = (v: Value): { name: string; shape: number[] } => {
    if (v.kind === 'plain') return v;
    if (v.kind === 'host')
      throw new Error('shape arithmetic is only supported where it ends in a Reshape target');
    if (v.kind === 'feature') {
      const f = v.feature;
      return { name: toNhwc(g, f), shape: [f.batch, f.height, f.width, f.channels] };
    }
    const t = v.tensor;
    return { name: g.constant('const', t.shape, Float32Array.from(t.data)), shape: t.shape };
  };

  const outputRefs =
    Object.keys(opts.outputNames).length > 0
      ? Object.entries(opts.outputNames).map(([tfName, onnxName]) => ({
          tfName: tensorName(tfName),
          onnxName,
        }))
      : model.outputs.map((sig) => ({ tfName: sig.name, onnxName: sig.name }));
  const needed = neededNodes(
    model.nodes,
    outputRefs.map((o) => o.tfName),
  );

  for (const node of model.nodes) {
    if (!needed.has(node.name)) continue;
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
        if (fused.length > 0 && fused[0] !== 'BiasAdd')
          throw new Error(`${node.name}: fused ops ${fused.join('+')}`);
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
          set({
            kind: 'feature',
            feature: { ...a.feature, name: g.op(onnxOp, [a.feature.name, b.feature.name]) },
          });
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
        const y = pool(
          g,
          x,
          kind,
          spatial(node, 'ksize', [1, 1]),
          spatial(node, 'strides', [1, 1]),
          paddingOf(node),
        );
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
        const { onnxTarget, shape } = reshapeOf(node, x.shape, hostOf(inputs[1]).values);
        const name = g.op('Reshape', [x.name, g.int64s('shape', onnxTarget)]);
        set({ kind: 'plain', name, shape });
        break;
      }
      case 'Shape': {
        const v = get(inputs[0]);
        let shape: number[];
        if (v.kind === 'feature')
          shape = [v.feature.batch, v.feature.height, v.feature.width, v.feature.channels];
        else if (v.kind === 'plain') shape = v.shape;
        else if (v.kind === 'const') shape = v.tensor.shape;
        else shape = v.scalar ? [] : [v.values.length];
        // Features and plain tensors mark a dynamic batch (always dimension 0) as -1.
        set({
          kind: 'host',
          values: shape.map((d, i) => (i === 0 && d === -1 ? 'batch' : d)),
          scalar: false,
        });
        break;
      }
      case 'StridedSlice': {
        const x = hostOf(inputs[0]);
        if (x.scalar) throw new Error(`${node.name}: StridedSlice of a scalar`);
        const [begin, end, strides] = inputs.slice(1, 4).map(hostInts);
        set(stridedSlice1d(node, x.values, begin, end, strides));
        break;
      }
      case 'Pack': {
        // Stacking scalars gives a vector, whose only axis is 0 (or -1).
        const axis = attrs.int(node, 'axis') ?? 0;
        if (axis !== 0 && axis !== -1) throw new Error(`${node.name}: Pack is only supported on axis 0`);
        const parts = inputs.map(hostOf);
        if (parts.some((p) => !p.scalar)) throw new Error(`${node.name}: Pack is only supported on scalars`);
        set({ kind: 'host', values: parts.map((p) => p.values[0]), scalar: false });
        break;
      }
      case 'ConcatV2': {
        const parts = inputs.slice(0, -1).map(get);
        const [axis] = hostInts(inputs[inputs.length - 1]);
        if (parts.every((p) => p.kind === 'feature') && (axis === 3 || axis === -1)) {
          // Channel concatenation of NHWC activations is axis 1 of their NCHW layout.
          const fs = parts.map((p) => (p as Value & { kind: 'feature' }).feature);
          if (fs.some((f) => f.height !== fs[0].height || f.width !== fs[0].width)) {
            throw new Error(`${node.name}: cannot concatenate activations of different spatial sizes`);
          }
          const name = g.op(
            'Concat',
            fs.map((f) => f.name),
            { axis: attr.int(1) },
          );
          set({
            kind: 'feature',
            feature: { ...fs[0], name, channels: fs.reduce((a, f) => a + f.channels, 0) },
          });
          break;
        }
        const ps = parts.map(plainOf);
        const rank = ps[0].shape.length;
        const at = axis < 0 ? axis + rank : axis;
        for (const p of ps) {
          if (p.shape.length !== rank || p.shape.some((d, i) => i !== at && d !== ps[0].shape[i])) {
            throw new Error(
              `${node.name}: cannot concatenate shapes ${ps.map((q) => `[${q.shape.join(',')}]`).join(' ')} on axis ${axis}`,
            );
          }
        }
        if (at === 0 && ps.some((p) => p.shape[0] === -1))
          throw new Error(`${node.name}: concatenation along the dynamic batch`);
        const name = g.op(
          'Concat',
          ps.map((p) => p.name),
          { axis: attr.int(at) },
        );
        const shape = ps[0].shape.map((d, i) => (i === at ? ps.reduce((a, p) => a + p.shape[i], 0) : d));
        set({ kind: 'plain', name, shape });
        break;
      }
      case 'ResizeBilinear': {
        const x = featureOf(inputs[0]);
        const [outHeight, outWidth] = hostInts(inputs[1]);
        const alignCorners = attrs.bool(node, 'align_corners');
        const halfPixel = attrs.bool(node, 'half_pixel_centers');
        if (alignCorners && halfPixel)
          throw new Error(`${node.name}: align_corners and half_pixel_centers are exclusive in TF`);
        // TF maps output pixel o to input coordinate
        //   align_corners:      o * (in - 1) / (out - 1)
        //   half_pixel_centers: (o + 0.5) * in / out - 0.5   (clamped to the edge pixels)
        //   neither:            o * in / out
        // which are ONNX's 'align_corners', 'half_pixel' and 'asymmetric' transforms.
        const mode = alignCorners ? 'align_corners' : halfPixel ? 'half_pixel' : 'asymmetric';
        // Scales rather than sizes: sizes would need the dynamic batch in a constant.
        // onnxruntime takes the output size as floor(in * scale) and (except for
        // align_corners) maps coordinates with that scale, so it must be exact in float32
        // for the output size and sampling positions to be TF's (2× upsampling is).
        const scale = (out: number, size: number) => {
          const s = Math.fround(out / size);
          if (s * size !== out)
            throw new Error(`${node.name}: resize ${size} → ${out} has no exact float32 scale`);
          return s;
        };
        const scales = g.constant(
          'scales',
          [4],
          Float32Array.of(1, 1, scale(outHeight, x.height), scale(outWidth, x.width)),
        );
        const name = g.op('Resize', [x.name, '', scales], {
          mode: attr.string('linear'),
          coordinate_transformation_mode: attr.string(mode),
        });
        set({ kind: 'feature', feature: { ...x, name, height: outHeight, width: outWidth } });
        break;
      }
      case 'DepthToSpace': {
        checkNhwc(node);
        const x = featureOf(inputs[0]);
        const block = attrs.int(node, 'block_size') ?? 0;
        if (block < 2 || x.channels % (block * block) !== 0) {
          throw new Error(`${node.name}: DepthToSpace block ${block} does not divide ${x.channels} channels`);
        }
        // TF (NHWC) reads output (h*b + i, w*b + j, c) from input channel (i*b + j) * C' + c:
        // depth-column-row order, which is ONNX's 'DCR' mode on the NCHW layout.
        const name = g.op('DepthToSpace', [x.name], { blocksize: attr.int(block), mode: attr.string('DCR') });
        set({
          kind: 'feature',
          feature: {
            ...x,
            name,
            channels: x.channels / (block * block),
            height: x.height * block,
            width: x.width * block,
          },
        });
        break;
      }
      case 'Mean': {
        const v = get(inputs[0]);
        const axes = Array.from(constOf(inputs[1]).data).sort();
        const keep = attrs.bool(node, 'keep_dims');
        if (v.kind === 'feature' && axes.join() === '1,2') {
          const f = v.feature;
          const name = g.op('ReduceMean', [f.name], {
            axes: attr.ints([2, 3]),
            keepdims: attr.int(keep ? 1 : 0),
          });
          // Without keepdims NCHW and NHWC both collapse to [N, C].
          if (keep) set({ kind: 'feature', feature: { ...f, name, height: 1, width: 1 } });
          else set({ kind: 'plain', name, shape: [f.batch, f.channels] });
        } else {
          const p = plainOf(v);
          const name = g.op('ReduceMean', [p.name], {
            axes: attr.ints(axes),
            keepdims: attr.int(keep ? 1 : 0),
          });
          const shape = keep
            ? p.shape.map((d, i) => (axes.includes(i) ? 1 : d))
            : p.shape.filter((_, i) => !axes.includes(i));
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

  const outputs = outputRefs.map(({ tfName, onnxName }) => {
    const p = plainOf(get(tfName));
    g.op('Identity', [p.name], {}, onnxName);
    const dims = p.shape.map((d, i) => (i === 0 && d === -1 ? BATCH : d));
    g.addOutput(onnxName, ElemType.FLOAT, dims);
    return { name: onnxName, tfName, dims };
  });
  return { builder: g, input: { name: opts.inputName, dims: inputDims }, outputs };
}
