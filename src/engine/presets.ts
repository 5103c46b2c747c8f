// The named model presets (issue 2). Both take Fashion-MNIST/MNIST images, input [1, 28, 28].

import type { ModelSpec } from './spec.js';

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

export type PresetName = 'lenet5' | 'fashion-cnn';

export const PRESETS: Readonly<Record<PresetName, ModelSpec>> = deepFreeze({
  lenet5,
  'fashion-cnn': fashionCnn,
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
