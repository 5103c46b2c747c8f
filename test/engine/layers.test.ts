// Every layer's backward pass against central differences, on inputs and every parameter.
import { describe, expect, it } from 'vitest';
import type { Layer } from '../../src/engine/layers/index.js';
import type { LayerSpec } from '../../src/engine/spec.js';
import { gradcheckLayer, summary, type LayerCheckOptions } from '../helpers/gradcheck.js';

type Case = [name: string, input: number[], layer: LayerSpec, options?: LayerCheckOptions];

const cases: Case[] = [
  // conv2d
  ['conv 3x3 valid, 1 channel', [1, 5, 5], { type: 'conv2d', filters: 2, kernelSize: 3 }],
  ['conv 3 channels, non-square kernel, odd sizes', [3, 7, 6], { type: 'conv2d', filters: 4, kernelSize: [3, 2] }],
  ['conv stride 2, padding same', [3, 7, 8], { type: 'conv2d', filters: 3, kernelSize: 3, stride: 2, padding: 'same' }],
  ['conv stride [2,1], padding 2, [2,3] kernel', [2, 6, 5], { type: 'conv2d', filters: 3, kernelSize: [2, 3], stride: [2, 1], padding: 2 }],
  ['conv 5x5 same stride 1 (lenet5 conv1)', [1, 8, 8], { type: 'conv2d', filters: 2, kernelSize: 5, padding: 'same' }],
  ['conv even kernel, same padding (asymmetric pads)', [2, 5, 6], { type: 'conv2d', filters: 2, kernelSize: 4, padding: 'same' }],
  ['conv without bias', [2, 5, 5], { type: 'conv2d', filters: 3, kernelSize: 3, useBias: false }],
  ['conv stride 3 larger than kernel', [2, 8, 7], { type: 'conv2d', filters: 2, kernelSize: 2, stride: 3 }],
  ['conv fused relu', [2, 6, 6], { type: 'conv2d', filters: 3, kernelSize: 3, activation: 'relu' }],
  ['conv fused elu', [2, 6, 5], { type: 'conv2d', filters: 3, kernelSize: 3, padding: 1, activation: 'elu' }],
  ['conv fused leakyRelu alpha 0.2', [2, 5, 6], { type: 'conv2d', filters: 2, kernelSize: 3, activation: 'leakyRelu', alpha: 0.2 }],
  ['conv fused sigmoid', [1, 5, 5], { type: 'conv2d', filters: 2, kernelSize: 2, stride: 2, padding: 'same', activation: 'sigmoid' }],
  ['conv fused tanh, 1x1 kernel', [4, 3, 5], { type: 'conv2d', filters: 3, kernelSize: 1, activation: 'tanh' }],
  [
    'conv wider: 5 -> 9 channels, 11x9 (sizes off the SIMD blocks)',
    [5, 11, 9],
    { type: 'conv2d', filters: 9, kernelSize: 3, padding: 1, activation: 'tanh' },
  ],
  [
    'conv 17 filters, [1,4] kernel, stride [1,3]',
    [3, 6, 13],
    { type: 'conv2d', filters: 17, kernelSize: [1, 4], stride: [1, 3] },
    { n: 3 },
  ],
  // pooling
  ['maxPool 2', [2, 6, 6], { type: 'maxPool2d', poolSize: 2 }, { inputs: 'distinct' }],
  ['maxPool 2 on odd 7x5 (last row and column dropped)', [3, 7, 5], { type: 'maxPool2d', poolSize: 2 }, { inputs: 'distinct', n: 3 }],
  ['maxPool 3 stride 2 (overlapping), odd size', [3, 7, 5], { type: 'maxPool2d', poolSize: 3, stride: 2 }, { inputs: 'distinct' }],
  ['maxPool 2 stride 3 (gaps)', [2, 8, 7], { type: 'maxPool2d', poolSize: 2, stride: 3 }, { inputs: 'distinct' }],
  ['maxPool 3 stride 2 padding 1', [2, 6, 7], { type: 'maxPool2d', poolSize: 3, stride: 2, padding: 1 }, { inputs: 'distinct' }],
  ['maxPool [2,3] padding same', [2, 5, 7], { type: 'maxPool2d', poolSize: [2, 3], padding: 'same' }, { inputs: 'distinct' }],
  [
    'maxPool all-negative inputs with padding',
    [1, 4, 4],
    { type: 'maxPool2d', poolSize: 3, stride: 2, padding: 1 },
    { inputs: 'distinct' },
  ],
  ['avgPool 2', [2, 6, 6], { type: 'avgPool2d', poolSize: 2 }],
  ['avgPool 3 stride 2, odd size', [3, 7, 5], { type: 'avgPool2d', poolSize: 3, stride: 2 }],
  ['avgPool 3 stride 2 padding 1 (edge windows smaller)', [2, 6, 7], { type: 'avgPool2d', poolSize: 3, stride: 2, padding: 1 }],
  ['avgPool [3,2] stride [1,2] padding same', [2, 5, 6], { type: 'avgPool2d', poolSize: [3, 2], stride: [1, 2], padding: 'same' }],
  // dense, flatten, dropout
  ['dense', [7], { type: 'dense', units: 5 }],
  ['dense without bias', [6], { type: 'dense', units: 3, useBias: false }],
  ['dense fused relu', [9], { type: 'dense', units: 6, activation: 'relu' }],
  ['dense fused elu alpha 0.5', [5], { type: 'dense', units: 4, activation: 'elu', alpha: 0.5 }],
  ['dense fused tanh, batch 5', [4], { type: 'dense', units: 3, activation: 'tanh' }, { n: 5 }],
  ['dense fused sigmoid', [4], { type: 'dense', units: 3, activation: 'sigmoid' }],
  ['dense fused leakyRelu', [8], { type: 'dense', units: 4, activation: 'leakyRelu' }],
  ['dense 37 -> 19, batch 5 (sizes off the SIMD blocks)', [37], { type: 'dense', units: 19, activation: 'elu' }, { n: 5 }],
  ['flatten', [3, 4, 5], { type: 'flatten' }],
  ['dropout 0.5 (training)', [2, 4, 3], { type: 'dropout', rate: 0.5 }],
  ['dropout 0.3 (inference: identity)', [10], { type: 'dropout', rate: 0.3 }, { training: false }],
  // activation layers
  ['relu', [2, 3, 4], { type: 'relu' }],
  ['leakyRelu default alpha', [2, 3, 4], { type: 'leakyRelu' }],
  ['leakyRelu alpha 0.3', [11], { type: 'leakyRelu', alpha: 0.3 }],
  ['elu default alpha', [2, 3, 4], { type: 'elu' }],
  ['elu alpha 2', [11], { type: 'elu', alpha: 2 }],
  ['sigmoid', [2, 3, 4], { type: 'sigmoid' }],
  ['tanh', [13], { type: 'tanh' }],
  // batch norm: in training the output depends on every sample of the call (the batch statistics)
  ['batchNorm2d (training: batch statistics)', [3, 4, 5], { type: 'batchNorm2d' }, { n: 3 }],
  ['batchNorm2d eps 0.1, one sample (statistics over H, W)', [2, 3, 3], { type: 'batchNorm2d', eps: 0.1 }, { n: 1 }],
  ['batchNorm2d (inference: running statistics)', [3, 4, 5], { type: 'batchNorm2d' }, { training: false }],
  ['batchNorm1d (training)', [6], { type: 'batchNorm1d' }, { n: 5 }],
  ['batchNorm1d (inference)', [6], { type: 'batchNorm1d', momentum: 0.3 }, { training: false, n: 3 }],
  // global average pooling, channel dropout
  ['globalAvgPool2d', [3, 2, 3], { type: 'globalAvgPool2d' }],
  ['globalAvgPool2d 1x1 input', [4, 1, 1], { type: 'globalAvgPool2d' }, { n: 3 }],
  ['dropout2d 0.5 (training)', [6, 3, 2], { type: 'dropout2d', rate: 0.5 }, { n: 3 }],
  ['dropout2d 0.4 (inference: identity)', [3, 2, 2], { type: 'dropout2d', rate: 0.4 }, { training: false }],
  // residual blocks: the gradient splits at the fork and adds at the join
  [
    'residual, identity shortcut: conv, relu, conv',
    [2, 5, 5],
    {
      type: 'residual',
      layers: [
        { type: 'conv2d', filters: 3, kernelSize: 3, padding: 1, activation: 'tanh' },
        { type: 'conv2d', filters: 2, kernelSize: 3, padding: 'same' },
      ],
    },
  ],
  [
    'residual, 1x1 stride-2 shortcut, batch norm inside',
    [2, 6, 5],
    {
      type: 'residual',
      layers: [
        { type: 'conv2d', filters: 3, kernelSize: 3, stride: 2, padding: 1, useBias: false },
        { type: 'batchNorm2d' },
        { type: 'elu' },
        { type: 'conv2d', filters: 4, kernelSize: 3, padding: 1 },
      ],
      shortcut: { stride: 2 },
    },
    { n: 3 },
  ],
  [
    'residual nested in a residual, shortcut without bias, on the first layer (dx of both branches)',
    [2, 4, 4],
    {
      type: 'residual',
      layers: [
        { type: 'residual', layers: [{ type: 'conv2d', filters: 2, kernelSize: 3, padding: 1, activation: 'sigmoid' }] },
        { type: 'conv2d', filters: 3, kernelSize: 1 },
        { type: 'dropout2d', rate: 0.3 },
      ],
      shortcut: { useBias: false },
    },
  ],
];

describe('layer gradients match central differences', () => {
  it.each(cases)('%s', (_name, input, layer, options) => {
    const report = gradcheckLayer(input, layer, options);
    expect(report.ok, summary(report)).toBe(true);
    expect(report.maxAbsGradient).toBeGreaterThan(0.05);
    expect(report.checked.x).toBeGreaterThan(0);
  });
});

describe('the gradient check itself', () => {
  const scaleDx =
    (factor: number) =>
    (layer: Layer): Layer => ({
      index: layer.index,
      type: layer.type,
      inSize: layer.inSize,
      outSize: layer.outSize,
      paramSlots: layer.paramSlots,
      bind: (p, g) => layer.bind(p, g),
      forward: (x, y, n, ctx) => layer.forward(x, y, n, ctx),
      backward: (x, y, dy, dx, n, ctx) => {
        layer.backward(x, y, dy, dx, n, ctx);
        if (dx) for (let i = 0; i < n * layer.inSize; i++) dx[i] = dx[i]! * factor;
      },
    });

  it('fails when an input gradient is 3% off', () => {
    const report = gradcheckLayer([2, 5, 5], { type: 'conv2d', filters: 2, kernelSize: 3 }, { sabotage: scaleDx(1.03) });
    expect(report.ok).toBe(false);
    expect(report.failures.every((f) => f.what === 'x')).toBe(true);
  });

  it('fails when a weight gradient is missing an accumulation', () => {
    const dropBias = (layer: Layer): Layer => ({
      ...scaleDx(1)(layer),
      backward: (x, y, dy, dx, n, ctx) => layer.backward(x, y, dy, dx, n - 1, ctx), // forgets the last sample
    });
    const report = gradcheckLayer([6], { type: 'dense', units: 3 }, { sabotage: dropBias, n: 3 });
    expect(report.ok).toBe(false);
    expect(report.failures.some((f) => f.what === 'weight')).toBe(true);
  });
});
