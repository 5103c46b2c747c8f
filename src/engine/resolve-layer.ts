// describe() of one layer: the switch over every layer type (exhaustive: a new type does not
// compile until it is handled here), each case checking its fields (spec-fields.ts), filling in the
// defaults and working out the output shape, parameters, tensors and forward FLOPs (the rules are
// in describe.ts's header). Residual blocks are resolve-residual.ts's. Pure, as describe.ts.

import type { ResolvedConv2d, ResolvedLayer, Site, TensorShape } from './describe.js';
import { resolveResidual, type ResolveLayers } from './resolve-residual.js';
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

/** One layer of a list: its fields checked, defaults filled in, output shape, parameters and FLOPs. */
export function resolveLayer(raw: unknown, site: Site, inShape: Shape, initDefault: InitName, resolveLayers: ResolveLayers): ResolvedLayer {
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

/** A conv2d over `inC` channels. */
function conv2dLayer(
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
