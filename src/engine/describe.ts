// describe(spec): checks a model spec, infers every layer's output shape, parameter count and
// forward FLOPs per sample, and rejects impossible specs with a SpecError naming `layers[i].field`
// (`layers[5].layers[1].filters` inside a residual block).
//
// The HTTP server imports this file (and, through it, only spec.ts, spec-fields.ts, shape.ts and
// resolve-residual.ts): keep it pure.
//
// Shapes: [C, H, W] before flatten, [F] after it. Like PyTorch, dense needs an explicit flatten.
// FLOPs per sample, forward only (a training step costs about three times as much):
//   conv2d  2 * outC * outH * outW * inC * kh * kw   (a multiply-add is 2 FLOPs)
//   dense   2 * units * inputs
//   + 1 per output for a bias, + 1 per output for a fused activation
//   pooling 1 per window element read: C * outH * outW * ph * pw; globalAvgPool2d 1 per input
//   batchNorm 2 per element (at inference a per-channel scale and shift)
//   activation layers 1 per element; flatten, dropout and dropout2d 0
//   residual: its layers + its shortcut + 1 per output (the addition)
// Parameters are the trainable tensors (PyTorch's parameters()); batch norm's running mean and
// variance are buffers: listed in `tensors` (they are in the weights file), not counted in `params`.

import { assertNever, LAYER_TYPES, type ActivationName, type InitName, type LayerType } from './spec.js';
import { shapeSize, type Shape, type Window2d } from './shape.js';
import {
  alphaFor,
  axisOut,
  isRecord,
  needImage,
  numberIn,
  onlyFields,
  optionalActivation,
  optionalBool,
  optionalInit,
  positiveInt,
  size2,
  SpecError,
  windowOf,
} from './spec-fields.js';
import { resolveResidual } from './resolve-residual.js';

export { SpecError, defaultAlpha } from './spec-fields.js';

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
  /** Every tensor this layer keeps in the weights file (parameters and buffers), with its full name and shape. */
  tensors: TensorShape[];
  /** A residual block's layers (indices within the block) and its shortcut, when it has one. */
  layers?: LayerDescription[];
  shortcut?: LayerDescription;
}

export interface ModelDescription {
  input: [number, number, number];
  layers: LayerDescription[];
  outputShape: number[];
  params: number;
  flops: number;
}

interface ResolvedBase {
  /** Position in its layer list (the model's, or a residual block's). */
  index: number;
  /** Positions from the top: [i] for layers[i], [i, j] for layers[i].layers[j]; keys random streams. */
  path: number[];
  inShape: Shape;
  outShape: Shape;
  params: number;
  flops: number;
  /** The layer's tensors, named relative to it (`weight`, `running_mean`, `layers.0.weight`); [] for none. */
  tensors: TensorShape[];
}

export type ResolvedConv2d = ResolvedBase & {
  type: 'conv2d';
  filters: number;
  window: Window2d;
  useBias: boolean;
  activation: ActivationName | null;
  alpha: number;
  init: InitName;
};

/** A layer with every default filled in and its geometry worked out: what the model builds from. */
export type ResolvedLayer =
  | ResolvedConv2d
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
  | (ResolvedBase & { type: 'dropout2d'; rate: number })
  | (ResolvedBase & { type: ActivationName; alpha: number })
  | (ResolvedBase & { type: 'batchNorm2d' | 'batchNorm1d'; momentum: number; eps: number })
  | (ResolvedBase & { type: 'globalAvgPool2d' })
  | (ResolvedBase & { type: 'residual'; layers: ResolvedLayer[]; shortcut: ResolvedConv2d | null });

export interface ResolvedSpec {
  input: [number, number, number];
  layers: ResolvedLayer[];
  outputShape: Shape;
}

/** Where a layer sits: its index in its list, its path from the top, and its field prefix. */
export interface Site {
  index: number;
  path: number[];
  at: string;
}

const RELU_FAMILY: ReadonlySet<string> = new Set(['relu', 'leakyRelu', 'elu']);
/** Layers that do not change which activation a conv2d/dense output meets (for the default init). */
const PASS_THROUGH: ReadonlySet<string> = new Set([
  'maxPool2d',
  'avgPool2d',
  'dropout',
  'flatten',
  'batchNorm2d',
  'batchNorm1d',
  'globalAvgPool2d',
  'dropout2d',
]);

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
  batchNorm2d: ['type', 'momentum', 'eps'],
  batchNorm1d: ['type', 'momentum', 'eps'],
  globalAvgPool2d: ['type'],
  dropout2d: ['type', 'rate'],
  residual: ['type', 'layers', 'shortcut'],
};

/** Checks a spec and returns the per-layer summary (shapes, parameters, FLOPs per sample). */
export function describe(spec: unknown): ModelDescription {
  return summarize(resolveSpec(spec));
}

/** The per-layer summary of an already resolved spec. */
export function summarize(resolved: ResolvedSpec): ModelDescription {
  const layers = resolved.layers.map((l) => describeLayer(l, `layers.${l.index}.`));
  return {
    input: [...resolved.input],
    layers,
    outputShape: [...resolved.outputShape],
    params: layers.reduce((s, l) => s + l.params, 0),
    flops: layers.reduce((s, l) => s + l.flops, 0),
  };
}

function describeLayer(l: ResolvedLayer, prefix: string): LayerDescription {
  const d: LayerDescription = {
    index: l.index,
    type: l.type,
    outputShape: [...l.outShape],
    params: l.params,
    flops: l.flops,
    tensors: l.tensors.map((t) => ({ name: `${prefix}${t.name}`, shape: [...t.shape] })),
  };
  if (l.type === 'residual') {
    d.layers = l.layers.map((c) => describeLayer(c, `${prefix}layers.${c.index}.`));
    if (l.shortcut) d.shortcut = describeLayer(l.shortcut, `${prefix}shortcut.`);
  }
  return d;
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
  const layers = resolveLayers(spec.layers, 'layers', [], input as number[], 'glorotUniform');
  const shape = layers[layers.length - 1]!.outShape;
  if (shape.length !== 1) {
    throw new SpecError(
      'layers',
      `the last layer outputs [${shape.join(', ')}]; a model must end in a flat vector of class scores (add flatten and dense)`,
    );
  }
  return { input: [...(input as number[])] as [number, number, number], layers, outputShape: shape };
}

/**
 * Resolves a layer list (the model's, or a residual block's) on an input of `inShape`. `field` is
 * the list's name in errors (`layers`, `layers[5].layers`), `path` the block's position, and
 * `initAfter` the default init of a conv2d/dense whose output leaves the list before meeting an
 * activation (what follows the block decides it).
 */
export function resolveLayers(raw: unknown, field: string, path: number[], inShape: Shape, initAfter: InitName): ResolvedLayer[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new SpecError(field, 'must be a non-empty list of layers');
  let shape = inShape;
  return raw.map((layer: unknown, index) => {
    const site = { index, path: [...path, index], at: `${field}[${index}]` };
    const resolved = resolveLayer(layer, site, shape, defaultInit(raw, index, initAfter));
    shape = resolved.outShape;
    return resolved;
  });
}

function resolveLayer(raw: unknown, site: Site, inShape: Shape, initDefault: InitName): ResolvedLayer {
  const { at } = site;
  if (!isRecord(raw)) throw new SpecError(at, 'must be an object with a `type`');
  const type = raw.type;
  if (typeof type !== 'string' || !(LAYER_TYPES as readonly string[]).includes(type)) {
    throw new SpecError(`${at}.type`, `unknown layer type ${JSON.stringify(type)} (expected one of ${LAYER_TYPES.join(', ')})`);
  }
  const t = type as LayerType;
  onlyFields(raw, ALLOWED_FIELDS[t], at, t);
  const base = { index: site.index, path: site.path, inShape, tensors: [] as TensorShape[] };
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
      const init = optionalInit(raw.init, field('init')) ?? initDefault;
      return conv2dLayer(base, c, filters, window, useBias, activation, alpha, init);
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
    case 'dropout':
    case 'dropout2d': {
      if (t === 'dropout2d') needImage(inShape, at, t);
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
    case 'batchNorm2d':
    case 'batchNorm1d': {
      if (t === 'batchNorm2d') needImage(inShape, at, t);
      else if (inShape.length !== 1) {
        throw new SpecError(at, `batchNorm1d needs a flat input but gets [${inShape.join(', ')}]: use batchNorm2d on images`);
      }
      const momentum = numberIn(raw.momentum, field('momentum'), 0.1, 0, 1, true);
      const eps = numberIn(raw.eps, field('eps'), 1e-5, Number.MIN_VALUE, 1, true);
      const c = inShape[0]!;
      const tensors = ['weight', 'bias', 'running_mean', 'running_var'].map((name) => ({ name, shape: [c] }));
      return { ...base, tensors, type: t, momentum, eps, outShape: inShape, params: 2 * c, flops: 2 * shapeSize(inShape) };
    }
    case 'globalAvgPool2d': {
      const [c] = needImage(inShape, at, t);
      return { ...base, type: t, outShape: [c], params: 0, flops: shapeSize(inShape) };
    }
    case 'residual':
      return resolveResidual(raw, site, inShape, initDefault, resolveLayers);
    default:
      return assertNever(t);
  }
}

/** A conv2d over `inC` channels; also the 1x1 projection shortcut of residual blocks. */
export function conv2dLayer(
  base: { index: number; path: number[]; inShape: Shape },
  inC: number,
  filters: number,
  window: Window2d,
  useBias: boolean,
  activation: ActivationName | null,
  alpha: number,
  init: InitName,
): ResolvedConv2d {
  const [, h, w] = base.inShape as [number, number, number];
  const outH = axisOut(h, window.kh, window.sh, window.padTop, window.padBottom);
  const outW = axisOut(w, window.kw, window.sw, window.padLeft, window.padRight);
  const outputs = filters * outH * outW;
  const tensors = weightAndBias([filters, inC, window.kh, window.kw], useBias);
  return {
    ...base,
    tensors,
    type: 'conv2d',
    filters,
    window,
    useBias,
    activation,
    alpha,
    init,
    outShape: [filters, outH, outW],
    params: tensorsSize(tensors),
    flops: 2 * outputs * inC * window.kh * window.kw + (useBias ? outputs : 0) + (activation ? outputs : 0),
  };
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
 * relu-family activation (fused, or the next layer after any pooling, dropout, flatten or batch
 * norm), Glorot uniform otherwise; `after` when the list ends first (a residual block's layers:
 * what follows the block). Reads the raw specs loosely: they are validated when resolved.
 */
function defaultInit(layers: unknown[], i: number, after: InitName): InitName {
  const fused = isRecord(layers[i]) ? layers[i].activation : undefined;
  if (typeof fused === 'string') return RELU_FAMILY.has(fused) ? 'heNormal' : 'glorotUniform';
  for (let j = i + 1; j < layers.length; j++) {
    const next = layers[j];
    const type = isRecord(next) ? next.type : undefined;
    if (typeof type === 'string' && PASS_THROUGH.has(type)) continue;
    return typeof type === 'string' && RELU_FAMILY.has(type) ? 'heNormal' : 'glorotUniform';
  }
  return after;
}
