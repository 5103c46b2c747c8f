// The model spec: a JSON layer list with an input shape [channels, height, width].
//
// LayerSpec is a discriminated union on `type`. Every switch over it ends in
// `assertNever(layer)`, so adding a layer type does not compile until every
// switch handles it. The HTTP schema in src/contracts mirrors these types; a
// type-level test (test/contracts/spec-types.test.ts) fails when they drift.

/** Element-wise activations, usable as a layer of their own or fused into conv2d/dense. */
export type ActivationName = 'relu' | 'leakyRelu' | 'elu' | 'sigmoid' | 'tanh';

/** A size per spatial axis: n means [n, n]; [h, w] otherwise. */
export type Size2 = number | [number, number];

/**
 * Weight initialisers. He (Kaiming) suits relu-family activations, Glorot (Xavier) the others.
 * Biases always start at zero.
 */
export type InitName = 'heNormal' | 'heUniform' | 'glorotNormal' | 'glorotUniform';

/** 'valid' = no padding, 'same' = output is ceil(input / stride), n = n zeros on every side. */
export type Padding = 'valid' | 'same' | number;

export interface Conv2dSpec {
  type: 'conv2d';
  filters: number;
  kernelSize: Size2;
  stride?: Size2; // default 1
  padding?: Padding; // default 'valid'
  useBias?: boolean; // default true
  activation?: ActivationName; // fused; default none
  alpha?: number; // for a fused leakyRelu (default 0.01) or elu (default 1)
  init?: InitName; // default: He normal before a relu-family activation, Glorot uniform otherwise
}

export interface Pool2dSpec {
  type: 'maxPool2d' | 'avgPool2d';
  poolSize: Size2;
  stride?: Size2; // default poolSize
  padding?: Padding; // default 'valid'
}

export interface DenseSpec {
  type: 'dense';
  units: number;
  useBias?: boolean; // default true
  activation?: ActivationName; // fused; default none
  alpha?: number;
  init?: InitName; // default as for conv2d
}

export interface FlattenSpec {
  type: 'flatten';
}

export interface DropoutSpec {
  type: 'dropout';
  rate: number; // probability of zeroing, in [0, 1)
}

export interface ActivationSpec {
  type: ActivationName;
  alpha?: number; // leakyRelu (default 0.01), elu (default 1)
}

/** Batch normalisation with a learned scale and shift: 2d over [C, H, W] inputs, 1d over [F]. */
export interface BatchNormSpec {
  type: 'batchNorm2d' | 'batchNorm1d';
  momentum?: number; // running stats: r <- (1 - momentum) r + momentum * batch stat; default 0.1 (PyTorch)
  eps?: number; // added to the variance; default 1e-5 (PyTorch)
}

/** The mean of each channel: [C, H, W] -> [C]. */
export interface GlobalAvgPool2dSpec {
  type: 'globalAvgPool2d';
}

/** Channel dropout: zeroes whole channels of a [C, H, W] input (PyTorch Dropout2d). */
export interface Dropout2dSpec {
  type: 'dropout2d';
  rate: number; // probability of zeroing a channel, in [0, 1)
}

/** A residual block: output = layers(x) + shortcut(x); without a shortcut, shortcut(x) = x. */
export interface ResidualSpec {
  type: 'residual';
  layers: LayerSpec[];
  shortcut?: ShortcutSpec;
}

/** The projection shortcut of a residual block: a 1x1 conv2d to the block's output channels. */
export interface ShortcutSpec {
  stride?: Size2; // default 1
  useBias?: boolean; // default true
}

export type LayerSpec =
  | Conv2dSpec
  | Pool2dSpec
  | DenseSpec
  | FlattenSpec
  | DropoutSpec
  | ActivationSpec
  | BatchNormSpec
  | GlobalAvgPool2dSpec
  | Dropout2dSpec
  | ResidualSpec;
export type LayerType = LayerSpec['type'];

export type InputShape = [channels: number, height: number, width: number];

export interface ModelSpec {
  input: InputShape;
  layers: LayerSpec[];
}

export const ACTIVATION_NAMES: readonly ActivationName[] = ['relu', 'leakyRelu', 'elu', 'sigmoid', 'tanh'];

export const INIT_NAMES: readonly InitName[] = ['heNormal', 'heUniform', 'glorotNormal', 'glorotUniform'];

export const LAYER_TYPES: readonly LayerType[] = [
  'conv2d',
  'maxPool2d',
  'avgPool2d',
  'dense',
  'flatten',
  'dropout',
  ...ACTIVATION_NAMES,
  'batchNorm2d',
  'batchNorm1d',
  'globalAvgPool2d',
  'dropout2d',
  'residual',
];

export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
