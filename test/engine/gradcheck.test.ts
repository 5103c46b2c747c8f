// Losses and whole networks against central differences: loss -> logits -> every layer -> weights.
import { describe, expect, it } from 'vitest';
import { computeLoss, meanSquaredError, softmaxCrossEntropy, type LossName } from '../../src/engine/losses.js';
import { createModel, forward } from '../../src/engine/model.js';
import { Rng } from '../../src/engine/rng.js';
import type { ModelSpec } from '../../src/engine/spec.js';
import { checkTargets, summary, type Tolerance } from '../helpers/gradcheck.js';

/** Gradient check of a loss with respect to its logits (scale included). */
function gradcheckLoss(loss: LossName, n: number, classes: number, spread: number, scale: number, smoothing = 0) {
  const rng = new Rng(n * 31 + classes);
  const logits = new Float32Array(n * classes).map(() => spread * rng.normal());
  const labels = Int32Array.from({ length: n }, () => rng.int(classes));
  const dlogits = new Float32Array(n * classes);
  computeLoss(loss, logits, labels, n, classes, dlogits, scale, smoothing);
  const value = () => [scale * computeLoss(loss, logits, labels, n, classes, null, 1, smoothing)];
  return checkTargets([{ what: 'logits', values: logits, analytic: dlogits }], value, null);
}

describe('loss gradients match central differences', () => {
  it.each([
    ['cross-entropy', 4, 10, 1, 1 / 4],
    ['cross-entropy', 3, 2, 3, 1],
    ['cross-entropy', 5, 7, 0.1, 0.5],
    ['mse', 4, 10, 1, 1 / 4],
    ['mse', 3, 3, 2, 1],
    ['cross-entropy', 4, 10, 1, 1 / 4, 0.1],
    ['cross-entropy', 3, 5, 3, 1, 0.5],
  ] as [LossName, number, number, number, number, number?][])(
    '%s, n %i, %i classes, spread %d, scale %d, label smoothing %d',
    (loss, n, classes, spread, scale, smoothing = 0) => {
      const report = gradcheckLoss(loss, n, classes, spread, scale, smoothing);
      expect(report.ok, summary(report)).toBe(true);
      expect(report.maxAbsGradient).toBeGreaterThan(0.01);
    },
  );
});

describe('loss values', () => {
  it('softmax cross-entropy is stable for huge logits and gives p - y', () => {
    const logits = Float32Array.of(1000, 0, -1000, 0, 0, 0);
    const d = new Float32Array(6);
    const loss = softmaxCrossEntropy(logits, [1, 2], 2, 3, d, 0.5);
    expect(loss).toBeCloseTo(1000 + Math.log(3), 4);
    expect(Array.from(d)).toEqual([0.5, -0.5, 0, 0.5 / 3, 0.5 / 3, -0.5 * (2 / 3)].map(Math.fround));
    expect(softmaxCrossEntropy(logits, [0, 0], 2, 3, null, 1)).toBeCloseTo(Math.log(3), 6);
  });

  // Computed once with torch 1.13 (float64): F.cross_entropy(logits, labels, label_smoothing=e) and
  // torch.autograd.grad of it (the batch mean, so the engine's scale is 1 / 3).
  it.each([
    [
      0.1,
      1.5894816053531076,
      [
        0.09283428974658847, 0.009246963478772944, 0.03945486802993165, -0.14153612125529305, -0.21828283357049508, 0.09118786016273352,
        0.013872846509606934, 0.11322212689815468, 0.2844212790778066, -0.006360768271169263, -0.2843025713764249, 0.006242060569787604,
      ],
    ],
    [
      0.3,
      1.6811482720197741,
      [
        0.0761676230799218, -0.007419703187893723, 0.022788201363264975, -0.09153612125529302, -0.16828283357049506, 0.07452119349606684,
        -0.0027938201570597344, 0.09655546023148799, 0.2677546124111399, -0.02302743493783593, -0.23430257137642485, -0.010424606096879063,
      ],
    ],
  ])('label smoothing %d: loss and gradient as torch cross_entropy(label_smoothing)', (e, torchLoss, torchGrad) => {
    const logits = Float32Array.of(1.5, -0.25, 0.75, 2.0, 0.1, 0.2, -1.3, 0.4, 3.0, -2.0, 0.5, 0.0);
    const d = new Float32Array(12);
    const sum = softmaxCrossEntropy(logits, [3, 0, 2], 3, 4, d, 1 / 3, e);
    expect(sum / 3).toBeCloseTo(torchLoss, 6);
    d.forEach((g, i) => {
      expect(g).toBeCloseTo(torchGrad[i]!, 6);
    });
    expect(() => computeLoss('mse', logits, [3, 0, 2], 3, 4, null, 1, 0.1)).toThrow(/cross-entropy loss only/);
  });

  it('mean squared error: the batch mean equals PyTorch MSELoss(mean) against one-hot targets', () => {
    const out = Float32Array.of(0.5, 0.2, -0.1, 1.5, 0, 0.3);
    const d = new Float32Array(6);
    const sum = meanSquaredError(out, [0, 1], 2, 3, d, 1 / 2);
    const torchMean = ((0.5 - 1) ** 2 + 0.2 ** 2 + 0.1 ** 2 + 1.5 ** 2 + 1 + 0.3 ** 2) / 6;
    expect(sum / 2).toBeCloseTo(torchMean, 6);
    expect(d[0]).toBeCloseTo(((2 * (0.5 - 1)) / 3) * 0.5, 6);
    expect(() => meanSquaredError(out, [0, 3], 2, 3, null, 1)).toThrow(/class index/);
  });
});

/**
 * Gradient check of every weight and input of a whole model, through the loss (scale = 1 / n).
 * The loss is a float32 network's output, so its rounding noise is ~1e-6: steps of 2e-3 keep the
 * noise of the difference quotient near 1e-3 (atol). Biases are randomised so that no unit sits
 * exactly on a relu kink (zero biases make the units over an all-zero patch exactly 0).
 */
const WHOLE_NET: Tolerance = { eps: 2e-3, rtol: 1e-2, atol: 1e-3, maxKinkFraction: 0.25 };

function gradcheckModel(spec: ModelSpec, n: number, loss: LossName, seed = 11, tolerance: Tolerance = WHOLE_NET) {
  const model = createModel(spec, { seed });
  const rng = new Rng(seed + 1000);
  for (const p of model.params) {
    if (p.kind === 'bias') for (let i = p.offset; i < p.offset + p.size; i++) model.weights[i] = 0.2 * rng.normal();
  }
  const x = new Float32Array(n * model.inputSize).map(() => rng.normal());
  const labels = Int32Array.from({ length: n }, () => rng.int(model.classes));
  const opts = { seed: 3, step: 9, sampleOffset: 2 };
  model.grads.fill(0);
  const dx = new Float32Array(x.length);
  model.computeGradients({ x, labels, n, scale: 1 / n, loss, ...opts, inputGrad: dx });
  const value = () => {
    const logits = forward(model, x, n, { training: true, ...opts });
    return [computeLoss(loss, logits, labels, n, model.classes, null, 1) / n];
  };
  const targets = [
    { what: 'weights', values: model.weights, analytic: model.grads },
    { what: 'x', values: x, analytic: dx },
  ];
  return checkTargets(targets, value, null, tolerance);
}

const everyLayer: ModelSpec = {
  input: [2, 9, 8],
  layers: [
    { type: 'conv2d', filters: 3, kernelSize: 3, stride: 2, padding: 'same', activation: 'elu' },
    { type: 'avgPool2d', poolSize: 2, stride: 1 },
    { type: 'conv2d', filters: 4, kernelSize: [2, 1], useBias: false },
    { type: 'tanh' },
    { type: 'maxPool2d', poolSize: 2, padding: 'same' },
    { type: 'flatten' },
    { type: 'dropout', rate: 0.25 },
    { type: 'dense', units: 6, activation: 'sigmoid' },
    { type: 'dense', units: 5 },
    { type: 'leakyRelu', alpha: 0.1 },
  ],
};

describe('whole networks: every weight and input gradient matches central differences', () => {
  it('a net with every layer type, cross-entropy', () => {
    const report = gradcheckModel(everyLayer, 3, 'cross-entropy');
    expect(report.ok, summary(report)).toBe(true);
    expect(report.checked.weights).toBe(createModel(everyLayer).paramCount);
    expect(report.checked.x).toBe(3 * 2 * 9 * 8);
  });

  it('the same net with mean squared error', () => {
    const report = gradcheckModel(everyLayer, 2, 'mse');
    expect(report.ok, summary(report)).toBe(true);
  });

  it('a LeNet-like relu net (max pooling, fused relu, 3 channels)', () => {
    // Swept over model seeds 1-40 while writing this test: all pass, kinks 0-12% of coordinates.
    const report = gradcheckModel(lenetLike, 2, 'cross-entropy');
    expect(report.ok, summary(report)).toBe(true);
    expect(report.maxAbsGradient).toBeGreaterThan(0.01);
  });
});

const lenetLike: ModelSpec = {
  input: [3, 8, 8],
  layers: [
    { type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same' },
    { type: 'relu' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu' },
    { type: 'maxPool2d', poolSize: 2, stride: 1, padding: 1 },
    { type: 'flatten' },
    { type: 'dense', units: 6, activation: 'relu' },
    { type: 'dense', units: 3 },
  ],
};
