// The named model presets. All take Fashion-MNIST/MNIST images, input [1, 28, 28].

import type { LayerSpec, ModelSpec } from './spec.js';

/** M1, LeNet-5 in its ReLU/max-pool form: 61,706 parameters. */
export const lenet5: ModelSpec = {
  input: [1, 28, 28],
  layers: [
    { type: 'conv2d', filters: 6, kernelSize: 5, padding: 'same' },
    { type: 'relu' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'conv2d', filters: 16, kernelSize: 5, padding: 'valid' },
    { type: 'relu' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'flatten' },
    { type: 'dense', units: 120, activation: 'relu' },
    { type: 'dense', units: 84, activation: 'relu' },
    { type: 'dense', units: 10 },
  ],
};

/** M2, a small Fashion-MNIST CNN: 1,199,882 parameters, ~24 MFLOP forward per image. */
export const fashionCnn: ModelSpec = {
  input: [1, 28, 28],
  layers: [
    { type: 'conv2d', filters: 32, kernelSize: 3, padding: 'valid', activation: 'elu' },
    { type: 'conv2d', filters: 64, kernelSize: 3, padding: 'valid', activation: 'elu' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'flatten' },
    { type: 'dense', units: 128, activation: 'elu' },
    { type: 'dense', units: 10 },
  ],
};

/**
 * A ResNet basic block (He et al. 2016): conv 3x3 (stride s) - BN - ReLU - conv 3x3 - BN, plus the
 * input, through a 1x1 stride-s conv when the shape changes. The ReLU after the addition is the
 * next layer. Convs before a batch norm need no bias (the norm's shift replaces it).
 */
function basicBlock(filters: number, stride: number, project: boolean): LayerSpec {
  return {
    type: 'residual',
    layers: [
      { type: 'conv2d', filters, kernelSize: 3, stride, padding: 1, useBias: false },
      { type: 'batchNorm2d' },
      { type: 'relu' },
      { type: 'conv2d', filters, kernelSize: 3, padding: 1, useBias: false },
      { type: 'batchNorm2d' },
    ],
    ...(project ? { shortcut: { stride } } : {}),
  };
}

/**
 * A small residual network with batch norm and global average pooling, 381,866 parameters and
 * ~28 MFLOP forward per image: a 3x3 stem at 28x28 and a 2x2 max pool, then basic blocks at 14x14
 * (32 channels), 7x7 (64, two blocks) and 4x4 (128), the channel means and one dense layer.
 * The resolution halves where the width doubles (a projection shortcut); the blocks keeping their
 * shape add their input itself.
 */
export const fashionResnet: ModelSpec = {
  input: [1, 28, 28],
  layers: [
    { type: 'conv2d', filters: 32, kernelSize: 3, padding: 1, useBias: false },
    { type: 'batchNorm2d' },
    { type: 'relu' },
    { type: 'maxPool2d', poolSize: 2 },
    basicBlock(32, 1, false),
    { type: 'relu' },
    basicBlock(64, 2, true),
    { type: 'relu' },
    basicBlock(64, 1, false),
    { type: 'relu' },
    basicBlock(128, 2, true),
    { type: 'relu' },
    { type: 'globalAvgPool2d' },
    { type: 'dense', units: 10 },
  ],
};

export type PresetName = 'lenet5' | 'fashion-cnn' | 'fashion-resnet';

export const PRESETS: Readonly<Record<PresetName, ModelSpec>> = deepFreeze({
  lenet5,
  'fashion-cnn': fashionCnn,
  'fashion-resnet': fashionResnet,
});

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** A deep copy of a preset, safe to modify. */
export function presetSpec(name: PresetName): ModelSpec {
  return structuredClone(PRESETS[name]);
}
