// describe(spec): checks a model spec, infers every layer's output shape, parameter count and
// forward FLOPs per sample, and rejects impossible specs with a SpecError naming `layers[i].field`.
//
// The HTTP server imports this file (and, through it, only spec.ts, shape.ts and spec-fields.ts):
// keep it pure.
//
// Shapes: [C, H, W] before flatten, [F] after it. Like PyTorch, dense needs an explicit flatten.
// FLOPs per sample, forward only (a training step costs about three times as much):
//   conv2d  2 * outC * outH * outW * inC * kh * kw   (a multiply-add is 2 FLOPs)
//   dense   2 * units * inputs
//   + 1 per output for a bias, + 1 per output for a fused activation
//   pooling 1 per window element read: C * outH * outW * ph * pw
//   activation layers 1 per element; flatten and dropout 0

import { assertNever, LAYER_TYPES, type ActivationName, type InitName, type LayerType } from './spec.js';
import { shapeSize, type Shape, type Window2d } from './shape.js';
import { memorySummary, type MemorySummary } from './memory.js';
import {
  alphaFor,
  axisOut,
  isRecord,
  needImage,
  optionalActivation,
  optionalBool,
  optionalInit,
  positiveInt,
  size2,
  SpecError,
  windowOf,
} from './spec-fields.js';
export { defaultAlpha, SpecError } from './spec-fields.js';

/** A tensor of a layer's weights file entry: `layers.{i}.weight` in PyTorch's layout. */
export interface TensorShape {
  name: string;
  shape: number[];
}

export interface LayerDescription {
  index: number;
  type: LayerType;
  outputShape: number[];
  params: number;
  flops: number;
  /** Every tensor this layer keeps in the weights file, with its full name and shape. */
  tensors: TensorShape[];
}

export interface ModelDescription extends MemorySummary {
  input: [number, number, number];
  layers: LayerDescription[];
  outputShape: number[];
  params: number;
  flops: number;
}

interface ResolvedBase {
  index: number;
  inShape: Shape;
  outShape: Shape;
  params: number;
  flops: number;
  /** The layer's parameter tensors, named by kind (`weight`, `bias`); [] for layers without any. */
  tensors: TensorShape[];
}

/** A layer with every default filled in and its geometry worked out: what the model builds from. */
export type ResolvedLayer =
  | (ResolvedBase & {
      type: 'conv2d';
      filters: number;
      window: Window2d;
      useBias: boolean;
      activation: ActivationName | null;
      alpha: number;
      init: InitName;
    })
  | (ResolvedBase & { type: 'maxPool2d' | 'avgPool2d'; window: Window2d })
  | (ResolvedBase & {
      type: 'dense';
      units: number;
      useBias: boolean;
      activation: ActivationName | null;
      alpha: number;
      init: InitName;
    })
  | (ResolvedBase & { type: 'flatten' })
  | (ResolvedBase & { type: 'dropout'; rate: number })
  | (ResolvedBase & { type: ActivationName; alpha: number });

export interface ResolvedSpec {
  input: [number, number, number];
  layers: ResolvedLayer[];
  outputShape: Shape;
}

const RELU_FAMILY: ReadonlySet<string> = new Set(['relu', 'leakyRelu', 'elu']);

const ALLOWED_FIELDS: Record<LayerType, readonly string[]> = {
  conv2d: ['type', 'filters', 'kernelSize', 'stride', 'padding', 'useBias', 'activation', 'alpha', 'init'],
  maxPool2d: ['type', 'poolSize', 'stride', 'padding'],
  avgPool2d: ['type', 'poolSize', 'stride', 'padding'],
  dense: ['type', 'units', 'useBias', 'activation', 'alpha', 'init'],
  flatten: ['type'],
  dropout: ['type', 'rate'],
  relu: ['type'],
  leakyRelu: ['type', 'alpha'],
  elu: ['type', 'alpha'],
  sigmoid: ['type'],
  tanh: ['type'],
};

/** Checks a spec and returns the per-layer summary (shapes, parameters, FLOPs per sample). */
export function describe(spec: unknown): ModelDescription {
  return summarize(resolveSpec(spec));
}

/** The per-layer summary of an already resolved spec. */
export function summarize(resolved: ResolvedSpec): ModelDescription {
  const layers = resolved.layers.map((l) => ({
    index: l.index,
    type: l.type,
    outputShape: [...l.outShape],
    params: l.params,
    flops: l.flops,
    tensors: l.tensors.map((t) => ({ name: `layers.${l.index}.${t.name}`, shape: [...t.shape] })),
  }));
  return {
    input: [...resolved.input],
    layers,
    outputShape: [...resolved.outputShape],
    params: layers.reduce((s, l) => s + l.params, 0),
    flops: layers.reduce((s, l) => s + l.flops, 0),
    ...memorySummary(resolved),
  };
}

/** Checks a spec and fills in every default; throws SpecError on the first problem. */
export function resolveSpec(spec: unknown): ResolvedSpec {
  if (!isRecord(spec)) throw new SpecError('spec', 'must be an object with `input` and `layers`');
  for (const key of Object.keys(spec)) {
    if (key !== 'input' && key !== 'layers') throw new SpecError(key, 'unknown field (expected input, layers)');
  }
  const input = spec.input;
  if (!Array.isArray(input) || input.length !== 3) {
    throw new SpecError('input', 'must be [channels, height, width]');
  }
  input.forEach((v, i) => {
    positiveInt(v, `input[${i}]`);
  });
  const layersIn = spec.layers;
  if (!Array.isArray(layersIn) || layersIn.length === 0) {
    throw new SpecError('layers', 'must be a non-empty list of layers');
  }

  let shape: Shape = input as number[];
  const layers: ResolvedLayer[] = [];
  layersIn.forEach((raw: unknown, index) => {
    const layer = resolveLayer(raw, index, shape, defaultInit(layersIn, index));
    layers.push(layer);
    shape = layer.outShape;
  });
  if (shape.length !== 1) {
    throw new SpecError(
      'layers',
      `the last layer outputs [${shape.join(', ')}]; a model must end in a flat vector of class scores (add flatten and dense)`,
    );
  }
  return { input: [...(input as number[])] as [number, number, number], layers, outputShape: shape };
}

function resolveLayer(raw: unknown, index: number, inShape: Shape, initDefault: InitName): ResolvedLayer {
  const at = `layers[${index}]`;
  if (!isRecord(raw)) throw new SpecError(at, 'must be an object with a `type`');
  const type = raw.type;
  if (typeof type !== 'string' || !(LAYER_TYPES as readonly string[]).includes(type)) {
    throw new SpecError(`${at}.type`, `unknown layer type ${JSON.stringify(type)} (expected one of ${LAYER_TYPES.join(', ')})`);
  }
  const t = type as LayerType;
  for (const key of Object.keys(raw)) {
    if (!ALLOWED_FIELDS[t].includes(key)) throw new SpecError(`${at}.${key}`, `unknown field for ${t}`);
  }
  const base = { index, inShape, tensors: [] as TensorShape[] };
  const field = (name: string): string => `${at}.${name}`;

  switch (t) {
    case 'conv2d': {
      const [c, h, w] = needImage(inShape, at, t);
      const filters = positiveInt(raw.filters, field('filters'));
      const [kh, kw] = size2(raw.kernelSize, field('kernelSize'));
      const window = windowOf(h, w, kh, kw, raw, at, 'kernelSize', false);
      const useBias = optionalBool(raw.useBias, field('useBias'), true);
      const activation = optionalActivation(raw.activation, field('activation'));
      const alpha = alphaFor(raw.alpha, field('alpha'), activation);
      const init = optionalInit(raw.init, field('init'));
      const outH = axisOut(h, window.kh, window.sh, window.padTop, window.padBottom);
      const outW = axisOut(w, window.kw, window.sw, window.padLeft, window.padRight);
      const outShape = [filters, outH, outW];
      const outputs = filters * outH * outW;
      const tensors = weightAndBias([filters, c, kh, kw], useBias);
      return {
        ...base,
        tensors,
        type: t,
        filters,
        window,
        useBias,
        activation,
        alpha,
        init: init ?? initDefault,
        outShape,
        params: tensorsSize(tensors),
        flops: 2 * outputs * c * kh * kw + (useBias ? outputs : 0) + (activation ? outputs : 0),
      };
    }
    case 'maxPool2d':
    case 'avgPool2d': {
      const [c, h, w] = needImage(inShape, at, t);
      const [ph, pw] = size2(raw.poolSize, field('poolSize'));
      const window = windowOf(h, w, ph, pw, raw, at, 'poolSize', true);
      const outH = axisOut(h, window.kh, window.sh, window.padTop, window.padBottom);
      const outW = axisOut(w, window.kw, window.sw, window.padLeft, window.padRight);
      return { ...base, type: t, window, outShape: [c, outH, outW], params: 0, flops: c * outH * outW * ph * pw };
    }
    case 'dense': {
      if (inShape.length !== 1) {
        throw new SpecError(at, `dense needs a flat input but gets [${inShape.join(', ')}]: add a flatten layer before it`);
      }
      const inputs = inShape[0]!;
      const units = positiveInt(raw.units, field('units'));
      const useBias = optionalBool(raw.useBias, field('useBias'), true);
      const activation = optionalActivation(raw.activation, field('activation'));
      const alpha = alphaFor(raw.alpha, field('alpha'), activation);
      const init = optionalInit(raw.init, field('init'));
      const tensors = weightAndBias([units, inputs], useBias);
      return {
        ...base,
        tensors,
        type: t,
        units,
        useBias,
        activation,
        alpha,
        init: init ?? initDefault,
        outShape: [units],
        params: tensorsSize(tensors),
        flops: 2 * units * inputs + (useBias ? units : 0) + (activation ? units : 0),
      };
    }
    case 'flatten': {
      if (inShape.length !== 3) throw new SpecError(at, `flatten needs a [C, H, W] input but gets [${inShape.join(', ')}]`);
      return { ...base, type: t, outShape: [shapeSize(inShape)], params: 0, flops: 0 };
    }
    case 'dropout': {
      const rate = raw.rate;
      if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate >= 1) {
        throw new SpecError(field('rate'), `must be a number in [0, 1), got ${JSON.stringify(rate)}`);
      }
      return { ...base, type: t, rate, outShape: inShape, params: 0, flops: 0 };
    }
    case 'relu':
    case 'leakyRelu':
    case 'elu':
    case 'sigmoid':
    case 'tanh': {
      const alpha = alphaFor(raw.alpha, field('alpha'), t);
      return { ...base, type: t, alpha, outShape: inShape, params: 0, flops: shapeSize(inShape) };
    }
    default:
      return assertNever(t);
  }
}

/** conv2d's and dense's tensors: a weight whose first dimension is the outputs, and their bias. */
function weightAndBias(weight: number[], useBias: boolean): TensorShape[] {
  const tensors = [{ name: 'weight', shape: weight }];
  if (useBias) tensors.push({ name: 'bias', shape: [weight[0]!] });
  return tensors;
}

function tensorsSize(tensors: readonly TensorShape[]): number {
  return tensors.reduce((sum, t) => sum + shapeSize(t.shape), 0);
}

/**
 * The default initialiser of layer i (conv2d/dense): He normal when its output goes through a
 * relu-family activation (fused, or the next layer after any pooling, dropout or flatten),
 * Glorot uniform otherwise. Reads the raw specs loosely: they are validated when resolved.
 */
function defaultInit(layers: unknown[], i: number): InitName {
  const fused = isRecord(layers[i]) ? layers[i].activation : undefined;
  if (typeof fused === 'string') return RELU_FAMILY.has(fused) ? 'heNormal' : 'glorotUniform';
  for (let j = i + 1; j < layers.length; j++) {
    const next = layers[j];
    const type = isRecord(next) ? next.type : undefined;
    if (type === 'maxPool2d' || type === 'avgPool2d' || type === 'dropout' || type === 'flatten') continue;
    return typeof type === 'string' && RELU_FAMILY.has(type) ? 'heNormal' : 'glorotUniform';
  }
  return 'glorotUniform';
}
