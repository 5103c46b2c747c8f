// describe(spec): checks a model spec, infers every layer's output shape, parameter count and
// forward FLOPs per sample, and rejects impossible specs with a SpecError naming `layers[i].field`
// (`layers[5].layers[1].filters` inside a residual block).
//
// The HTTP server imports this file (and, through it, only spec.ts, spec-fields.ts, shape.ts,
// resolve-layer.ts and resolve-residual.ts): keep it pure.
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

import type { ActivationName, InitName, LayerType } from './spec.js';
import type { Shape, Window2d } from './shape.js';
import { memorySummary, type MemorySummary } from './memory.js';
import { isRecord, positiveInt, SpecError } from './spec-fields.js';
import { resolveLayer } from './resolve-layer.js';

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

export interface ModelDescription extends MemorySummary {
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
    ...memorySummary(resolved),
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
    const resolved = resolveLayer(layer, site, shape, defaultInit(raw, index, initAfter), resolveLayers);
    shape = resolved.outShape;
    return resolved;
  });
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
