// An independent reference for the engine: any Convoy ModelSpec rebuilt out of TensorFlow.js ops
// (cpu backend, float32), loaded with the same weights, giving forward outputs, the loss, and the
// gradient of the loss with respect to the input and to every parameter.
//
// Layout conversions (Convoy uses NCHW tensors and PyTorch's weight layouts; tfjs uses NHWC):
//   input / activations   Convoy [N, C, H, W]          -> tfjs [N, H, W, C]   (transpose 0,2,3,1)
//   conv2d weight         Convoy [out, in, kh, kw]     -> tfjs [kh, kw, in, out] (transpose 2,3,1,0)
//   dense weight          Convoy [out, in]             -> tfjs [in, out]        (transpose 1,0)
//   flatten               Convoy flattens in C, H, W order, so the reference transposes NHWC -> NCHW
//                         before reshaping (a plain tf reshape would give H, W, C order).
// Gradients come back in Convoy's layouts (the inverse transposes), keyed `layers.{i}.weight|bias`.
//
// Padding is applied with tf.pad and every conv/pool then runs with 'valid', so the reference does not
// inherit tfjs's own 'same' conventions silently:
//   'valid' -> 0;  n -> n zeros on every side;
//   'same'  -> out = ceil(in / stride), total = max((out - 1) * stride + k - in, 0) split as
//              before = floor(total / 2), after = total - before (the odd pixel goes bottom/right, as in
//              TensorFlow and PyTorch), unless `conventions.sameExtra = 'before'`.
//   maxPool2d pads with -Infinity (padding never wins a max); avgPool2d divides either by the full
//   window (padded zeros count, PyTorch's count_include_pad=True) or by the real inputs in the window
//   (TensorFlow 'same'), per `conventions.avgPoolCountPadding`.
//
// Batch norm: tf.moments over N, H, W of the batch given (options.batchNorm 'batch', training) or the
// running statistics from the weights ('running', the default: inference). Global average pooling:
// tf.mean over H, W. Residual blocks: their layers built the same way (`layers.{i}.layers.{j}.*`)
// plus the shortcut (a 1x1 conv, `layers.{i}.shortcut.*`) or x itself. Dropout and dropout2d take
// Convoy's masks, keyed by the layer's name without `layers.` (`3`, `5.layers.2`).
//
// Losses (batch mean, like PyTorch reduction='mean'):
//   cross-entropy: mean over samples of -log softmax(logits)[label]   (tf.losses.softmaxCrossEntropy,
//                  with options.labelSmoothing as its labelSmoothing)
//   mse:           mean over samples of sum (or mean, per conventions.mse) over outputs of (y - onehot)^2
import * as tf from '@tensorflow/tfjs';
import type { LayerSpec, ModelSpec, Padding, Size2 } from '../../src/engine/spec.js';
import { activate, conv2dValid, flattenChw } from './tfjs-ops.js';

export { relativeError, seededUniform } from './compare.js';

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface ReferenceConventions {
  /** Which side of an odd 'same' padding gets the extra row/column. */
  sameExtra: 'after' | 'before';
  /** avgPool2d: true = padded zeros count in the divisor (PyTorch default); false = only real inputs. */
  avgPoolCountPadding: boolean;
  /** mse: per-sample loss is the sum or the mean over the output elements. */
  mse: 'sum' | 'mean';
}

export const DEFAULT_CONVENTIONS: ReferenceConventions = {
  sameExtra: 'after',
  avgPoolCountPadding: true,
  mse: 'mean',
};

export interface ReferenceBatch {
  /** n * C * H * W, NCHW. */
  x: Float32Array;
  n: number;
  /** class indices, required for a loss. */
  labels?: ArrayLike<number>;
}

export interface ReferenceOptions {
  loss?: 'cross-entropy' | 'mse';
  conventions?: Partial<ReferenceConventions>;
  /**
   * Training-mode dropout: keep-masks (1 = kept, 0 = dropped) per dropout layer index, NCHW order at
   * that layer's input, for n samples. Kept values are scaled by 1 / (1 - rate) (inverted dropout).
   * A dropout layer without a mask is the identity (inference).
   */
  dropoutMasks?: Record<string, ArrayLike<number>>;
  /** Batch norm: normalise with the batch's own statistics (training) or the running ones (default). */
  batchNorm?: BatchNormStatistics;
  /** Cross-entropy against (1 - e) one-hot + e / classes (tf.losses.softmaxCrossEntropy's labelSmoothing). */
  labelSmoothing?: number;
}

export interface ReferenceResult {
  /** Output of the last layer for the n samples; NCHW when the model ends on a spatial layer. */
  output: Float32Array;
  /** [n, features] or [n, C, H, W]. */
  outputShape: number[];
  /** Softmax of the output (only for a flat output). */
  probabilities?: Float32Array;
  /** Batch-mean loss; present when labels were given. */
  loss?: number;
  /** d(loss)/d(input), NCHW. Present when labels were given. */
  dx?: Float32Array;
  /** d(loss)/d(parameter) in Convoy/PyTorch layouts, keyed by parameter name. */
  grads?: Map<string, Float32Array>;
}

let ready: Promise<void> | undefined;

/** Selects the tfjs cpu backend (float32) once; call before any other function here. */
export function initTfjs(): Promise<void> {
  ready ??= (async () => {
    tf.env().set('PROD', true); // silences the "install tfjs-node" banner; changes no arithmetic
    await tf.setBackend('cpu');
    await tf.ready();
    if (tf.getBackend() !== 'cpu') throw new Error(`tfjs backend is ${tf.getBackend()}, expected cpu`);
  })();
  return ready;
}

// ---------------------------------------------------------------------------------------------
// Weights: Convoy layouts <-> tfjs layouts
// ---------------------------------------------------------------------------------------------

/** Named tensors out of a flat weight vector described by `params` (the engine's model.params). */
export function namedFromFlat(
  params: readonly { name: string; shape: readonly number[]; offset: number; size: number }[],
  flat: Float32Array,
): NamedTensor[] {
  return params.map((p) => ({
    name: p.name,
    shape: [...p.shape],
    data: flat.slice(p.offset, p.offset + p.size),
  }));
}

function pair(s: Size2 | undefined, fallback: [number, number]): [number, number] {
  if (s === undefined) return fallback;
  return typeof s === 'number' ? [s, s] : [s[0], s[1]];
}

/** Padding per side [top, bottom, left, right] for one conv/pool window. */
export function paddingFor(
  padding: Padding | undefined,
  [h, w]: [number, number],
  [kh, kw]: [number, number],
  [sh, sw]: [number, number],
  sameExtra: 'after' | 'before' = 'after',
): [number, number, number, number] {
  if (padding === undefined || padding === 'valid') return [0, 0, 0, 0];
  if (typeof padding === 'number') return [padding, padding, padding, padding];
  const split = (size: number, k: number, s: number): [number, number] => {
    const out = Math.ceil(size / s);
    const total = Math.max((out - 1) * s + k - size, 0);
    const small = Math.floor(total / 2);
    return sameExtra === 'after' ? [small, total - small] : [total - small, small];
  };
  return [...split(h, kh, sh), ...split(w, kw, sw)];
}

type Shape = { kind: 'chw'; c: number; h: number; w: number } | { kind: 'flat'; f: number };

interface Built {
  /** tfjs-layout parameter tensors, in the order gradients are requested. */
  tensors: tf.Tensor[];
  /** name, Convoy shape and the permutation that maps a tfjs-layout gradient back to Convoy's. */
  back: { name: string; shape: number[]; perm: number[] | null }[];
}

function findParam(named: Map<string, NamedTensor>, name: string, shape: number[]): NamedTensor {
  const t = named.get(name);
  if (!t) throw new Error(`reference: missing parameter ${name}`);
  if (t.shape.join(',') !== shape.join(',')) {
    throw new Error(`reference: ${name} has shape [${t.shape}], expected [${shape}]`);
  }
  if (t.data.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`reference: ${name} has wrong length`);
  return t;
}

type Step = (x: tf.Tensor, params: tf.Tensor[]) => tf.Tensor;

/** Batch norm's statistics: the batch's own (training) or the running ones from the weights (inference). */
export type BatchNormStatistics = 'batch' | 'running';

/**
 * Builds the forward function of `spec` in tfjs. Parameters are arguments (so tf.grads can
 * differentiate with respect to them); the returned function maps (x NHWC, ...params) -> output.
 * A residual block's layers are built the same way, named `layers.{i}.layers.{j}.weight`, its
 * shortcut `layers.{i}.shortcut.weight`; dropout masks are keyed by the layer's name without the
 * leading `layers.` (`3`, `5.layers.2`).
 */
function build(
  spec: ModelSpec,
  named: Map<string, NamedTensor>,
  n: number,
  conv: ReferenceConventions,
  dropoutMasks: Record<string, ArrayLike<number>> | undefined,
  statistics: BatchNormStatistics,
): { built: Built; forward: (x: tf.Tensor, params: tf.Tensor[]) => tf.Tensor; outShape: Shape; used: Set<string> } {
  const tensors: tf.Tensor[] = [];
  const back: Built['back'] = [];
  const used = new Set<string>();
  let shape: Shape = { kind: 'chw', c: spec.input[0], h: spec.input[1], w: spec.input[2] };

  const addParam = (name: string, convoyShape: number[], toTf: number[] | null, inverse: number[] | null): number => {
    const t = findParam(named, name, convoyShape);
    const convoyTensor = tf.tensor(t.data, convoyShape, 'float32');
    tensors.push(toTf ? tf.transpose(convoyTensor, toTf) : convoyTensor);
    back.push({ name, shape: convoyShape, perm: inverse });
    used.add(name);
    return tensors.length - 1;
  };
  /** A tensor read as a constant (batch norm's running statistics), not differentiated. */
  const constant = (name: string, convoyShape: number[]): tf.Tensor => {
    used.add(name);
    return tf.tensor(findParam(named, name, convoyShape).data, convoyShape, 'float32');
  };

  /** A conv/pool window over the current [C, H, W] shape: its sizes, strides, padding and output h, w. */
  const slidingWindow = (at: string, type: string, size: Size2, stride: Size2, padding: Padding | undefined) => {
    if (shape.kind !== 'chw') throw new Error(`reference: ${at} ${type} needs a [C,H,W] input`);
    const [kh, kw] = pair(size, [1, 1]);
    const [sh, sw] = pair(stride, [kh, kw]);
    const [pt, pb, pl, pr] = paddingFor(padding, [shape.h, shape.w], [kh, kw], [sh, sw], conv.sameExtra);
    const out = { h: Math.floor((shape.h + pt + pb - kh) / sh) + 1, w: Math.floor((shape.w + pl + pr - kw) / sw) + 1 };
    return { c: shape.c, h: shape.h, w: shape.w, kh, kw, sh, sw, pt, pb, pl, pr, out };
  };

  /** conv2d (explicit padding, then 'valid'), bias, fused activation: the layer and a residual shortcut. */
  const convStep = (prefix: string, filters: number, layer: Omit<Extract<LayerSpec, { type: 'conv2d' }>, 'type' | 'filters'>): Step => {
    const { c, kh, kw, sh, sw, pt, pb, pl, pr, out } = slidingWindow(prefix, 'conv2d', layer.kernelSize, layer.stride ?? 1, layer.padding);
    const wi = addParam(`${prefix}.weight`, [filters, c, kh, kw], [2, 3, 1, 0], [3, 2, 0, 1]);
    const bi = layer.useBias === false ? -1 : addParam(`${prefix}.bias`, [filters], null, null);
    const { activation, alpha } = layer;
    shape = { kind: 'chw', c: filters, ...out };
    return (x, p) => {
      const pads: [number, number][] = [
        [0, 0],
        [pt, pb],
        [pl, pr],
        [0, 0],
      ];
      const padded = pt + pb + pl + pr > 0 ? tf.pad(x, pads) : x;
      let y: tf.Tensor = conv2dValid(padded as tf.Tensor4D, p[wi] as tf.Tensor4D, [sh, sw]);
      if (bi >= 0) y = tf.add(y, p[bi]!);
      return activate(y, activation, alpha);
    };
  };

  const compile = (layers: LayerSpec[], names: string): Step[] =>
    layers.map((layer: LayerSpec, i: number): Step => {
      const prefix = `${names}${i}`;
      switch (layer.type) {
        case 'conv2d':
          return convStep(prefix, layer.filters, layer);
        case 'maxPool2d':
        case 'avgPool2d': {
          const { c, h, w, kh, kw, sh, sw, pt, pb, pl, pr, out } = slidingWindow(
            prefix,
            layer.type,
            layer.poolSize,
            layer.stride ?? layer.poolSize,
            layer.padding,
          );
          const pads: [number, number][] = [
            [0, 0],
            [pt, pb],
            [pl, pr],
            [0, 0],
          ];
          const padded = pt + pb + pl + pr > 0;
          shape = { kind: 'chw', c, ...out };
          if (layer.type === 'maxPool2d') {
            return (x) => tf.maxPool((padded ? tf.pad(x, pads, -Infinity) : x) as tf.Tensor4D, [kh, kw], [sh, sw], 'valid');
          }
          if (!padded || conv.avgPoolCountPadding) {
            return (x) => tf.avgPool((padded ? tf.pad(x, pads) : x) as tf.Tensor4D, [kh, kw], [sh, sw], 'valid');
          }
          // Divide each window's sum by the number of real (unpadded) inputs in it.
          return (x) => {
            const sum = tf.avgPool(tf.pad(x, pads) as tf.Tensor4D, [kh, kw], [sh, sw], 'valid');
            const ones = tf.pad(tf.ones([1, h, w, 1]), pads) as tf.Tensor4D;
            const frac = tf.avgPool(ones, [kh, kw], [sh, sw], 'valid'); // real inputs / window size
            return tf.div(sum, frac);
          };
        }
        case 'dense': {
          const inF = shape.kind === 'flat' ? shape.f : shape.c * shape.h * shape.w;
          const wasSpatial = shape.kind === 'chw';
          const wi = addParam(`${prefix}.weight`, [layer.units, inF], [1, 0], [1, 0]);
          const bi = layer.useBias === false ? -1 : addParam(`${prefix}.bias`, [layer.units], null, null);
          const { activation, alpha } = layer;
          shape = { kind: 'flat', f: layer.units };
          return (x, p) => {
            const x2 = wasSpatial ? flattenChw(x) : (x as tf.Tensor2D);
            let y: tf.Tensor = tf.matMul(x2, p[wi] as tf.Tensor2D);
            if (bi >= 0) y = tf.add(y, p[bi]!);
            return activate(y, activation, alpha);
          };
        }
        case 'flatten': {
          if (shape.kind !== 'chw') return (x) => x;
          shape = { kind: 'flat', f: shape.c * shape.h * shape.w };
          return (x) => flattenChw(x);
        }
        case 'dropout':
        case 'dropout2d': {
          // Both take Convoy's per-element keep-mask at the layer's input (dropout2d's is constant per channel).
          const mask = dropoutMasks?.[prefix.slice('layers.'.length)];
          if (!mask) return (x) => x;
          const keep = 1 / (1 - layer.rate);
          const m =
            shape.kind === 'chw'
              ? tf.transpose(tf.tensor4d(Float32Array.from(mask), [n, shape.c, shape.h, shape.w]), [0, 2, 3, 1])
              : tf.tensor2d(Float32Array.from(mask), [n, shape.f]);
          return (x) => tf.mul(tf.mul(x, m), keep);
        }
        case 'relu':
        case 'leakyRelu':
        case 'elu':
        case 'sigmoid':
        case 'tanh': {
          const { type, alpha } = layer;
          return (x) => activate(x, type, alpha);
        }
        case 'batchNorm2d':
        case 'batchNorm1d': {
          // y = gamma (x - mu) / sqrt(var + eps) + beta, per channel (the last NHWC axis)
          const c = shape.kind === 'chw' ? shape.c : shape.f;
          const axes = shape.kind === 'chw' ? [0, 1, 2] : [0];
          const gi = addParam(`${prefix}.weight`, [c], null, null);
          const bi = addParam(`${prefix}.bias`, [c], null, null);
          const eps = layer.eps ?? 1e-5;
          const hasRunning = named.has(`${prefix}.running_mean`);
          const running =
            statistics === 'running' || hasRunning
              ? { mean: constant(`${prefix}.running_mean`, [c]), variance: constant(`${prefix}.running_var`, [c]) }
              : null;
          return (x, p) => {
            const { mean, variance } = statistics === 'batch' ? tf.moments(x, axes) : running!;
            return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), p[gi]!), p[bi]!);
          };
        }
        case 'globalAvgPool2d': {
          if (shape.kind !== 'chw') throw new Error(`reference: ${prefix} globalAvgPool2d needs a [C,H,W] input`);
          shape = { kind: 'flat', f: shape.c };
          return (x) => tf.mean(x, [1, 2]);
        }
        case 'residual': {
          // y = layers(x) + shortcut(x): a 1x1 conv with the stride, or x itself
          const input = shape;
          const inner = compile(layer.layers, `${prefix}.layers.`);
          const output = shape;
          let shortcut: Step = (x) => x;
          if (layer.shortcut) {
            if (output.kind !== 'chw') throw new Error(`reference: ${prefix} shortcut needs a [C,H,W] output`);
            shape = input;
            shortcut = convStep(`${prefix}.shortcut`, output.c, { kernelSize: 1, ...layer.shortcut });
            shape = output;
          }
          return (x, p) =>
            tf.add(
              inner.reduce((h, step) => step(h, p), x),
              shortcut(x, p),
            );
        }
        default: {
          const never: never = layer;
          throw new Error(`reference: unhandled layer ${JSON.stringify(never)}`);
        }
      }
    });

  const steps = compile(spec.layers, 'layers.');
  return {
    built: { tensors, back },
    forward: (x, params) => steps.reduce((h, step) => step(h, params), x),
    outShape: shape,
    used,
  };
}

function loss(
  kind: 'cross-entropy' | 'mse',
  out: tf.Tensor,
  labels: tf.Tensor2D,
  conv: ReferenceConventions,
  smoothing: number,
): tf.Scalar {
  const n = out.shape[0]!;
  const flat = tf.reshape(out, [n, -1]);
  if (kind === 'cross-entropy') {
    return tf.losses.softmaxCrossEntropy(labels, flat, undefined, smoothing, tf.Reduction.MEAN) as tf.Scalar;
  }
  const perSample = conv.mse === 'sum' ? tf.sum(tf.squaredDifference(flat, labels), 1) : tf.mean(tf.squaredDifference(flat, labels), 1);
  return tf.mean(perSample) as tf.Scalar;
}

/**
 * Runs `spec` with `weights` on a batch in tfjs. With labels: also the batch-mean loss and its
 * gradients with respect to the input and every parameter (tf.grads).
 */
export async function runReference(
  spec: ModelSpec,
  weights: readonly NamedTensor[],
  batch: ReferenceBatch,
  options: ReferenceOptions = {},
): Promise<ReferenceResult> {
  await initTfjs();
  const conv = { ...DEFAULT_CONVENTIONS, ...options.conventions };
  const named = new Map(weights.map((t) => [t.name, t]));
  const [c, h, w] = spec.input;
  const { n } = batch;
  if (batch.x.length !== n * c * h * w) throw new Error(`reference: x has ${batch.x.length} values, expected ${n * c * h * w}`);

  let back: Built['back'] = [];
  let outShape: Shape = { kind: 'flat', f: 0 };
  interface Tensors {
    output: tf.Tensor;
    probs?: tf.Tensor;
    loss?: tf.Tensor;
    dx?: tf.Tensor;
    grads?: tf.Tensor[];
  }
  const res: Tensors = tf.tidy(() => {
    const model = build(spec, named, n, conv, options.dropoutMasks, options.batchNorm ?? 'running');
    const { built, forward } = model;
    back = built.back;
    outShape = model.outShape;
    const extra = weights.filter((t) => !model.used.has(t.name)).map((t) => t.name);
    if (extra.length > 0) throw new Error(`reference: weights not used by the spec: ${extra.join(', ')}`);
    const xNhwc = tf.transpose(tf.tensor4d(batch.x, [n, c, h, w]), [0, 2, 3, 1]);
    const toConvoyLayout = (y: tf.Tensor): tf.Tensor => (outShape.kind === 'chw' ? tf.transpose(y, [0, 3, 1, 2]) : y);

    const out = forward(xNhwc, built.tensors);
    const outputT = toConvoyLayout(out);
    const res: Tensors = { output: outputT };
    if (outShape.kind === 'flat') res.probs = tf.softmax(out as tf.Tensor2D);

    if (batch.labels) {
      const classes = outShape.kind === 'flat' ? outShape.f : outShape.c * outShape.h * outShape.w;
      const oneHot = tf.oneHot(tf.tensor1d(Array.from(batch.labels), 'int32'), classes).toFloat() as tf.Tensor2D;
      const f = (x: tf.Tensor, ...params: tf.Tensor[]): tf.Scalar => {
        // The loss sees the output in Convoy's layout, so a spatial output is flattened in C, H, W order.
        return loss(options.loss ?? 'cross-entropy', toConvoyLayout(forward(x, params)), oneHot, conv, options.labelSmoothing ?? 0);
      };
      const { value, grads } = tf.valueAndGrads(f)([xNhwc, ...built.tensors]);
      res.loss = value;
      res.dx = tf.transpose(grads[0]!, [0, 3, 1, 2]);
      res.grads = built.back.map((b, k) => (b.perm ? tf.transpose(grads[k + 1]!, b.perm) : grads[k + 1]!));
    }
    return res as unknown as tf.TensorContainer; // tidy keeps every tensor reachable from it
  }) as unknown as Tensors;

  const data = async (t: tf.Tensor): Promise<Float32Array> => Float32Array.from(await t.data());
  const out: ReferenceResult = {
    output: await data(res.output),
    outputShape: shapeOf(outShape, n),
  };
  if (res.probs) out.probabilities = await data(res.probs);
  if (res.loss) out.loss = (await res.loss.data())[0]!;
  if (res.dx) out.dx = await data(res.dx);
  if (res.grads) {
    out.grads = new Map();
    for (let k = 0; k < back.length; k++) {
      const g = await data(res.grads[k]!);
      if (g.length !== back[k]!.shape.reduce((a, b) => a * b, 1)) throw new Error(`reference: bad gradient size for ${back[k]!.name}`);
      out.grads.set(back[k]!.name, g);
    }
  }
  tf.dispose([res.output, res.probs, res.loss, res.dx, ...(res.grads ?? [])].filter((t): t is tf.Tensor => !!t));
  return out;
}

function shapeOf(s: Shape, n: number): number[] {
  return s.kind === 'flat' ? [n, s.f] : [n, s.c, s.h, s.w];
}
