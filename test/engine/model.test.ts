// The model API: flat weights, named PyTorch-layout params, binding caller buffers, gradients.
import { describe, expect, it } from 'vitest';
import {
  computeGradients,
  createModel,
  evaluate,
  forward,
  INFERENCE_CHUNK,
  predict,
  PRESETS,
  Rng,
  type ModelSpec,
} from '../../src/engine/index.js';

const tiny: ModelSpec = {
  input: [1, 6, 6],
  layers: [
    { type: 'conv2d', filters: 3, kernelSize: 3, activation: 'relu' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'flatten' },
    { type: 'dropout', rate: 0.2 },
    { type: 'dense', units: 4 },
  ],
};

function batch(model: { inputSize: number; classes: number }, n: number, seed = 1) {
  const rng = new Rng(seed);
  const x = new Float32Array(n * model.inputSize).map(() => rng.normal());
  const labels = Int32Array.from({ length: n }, () => rng.int(model.classes));
  return { x, labels };
}

describe('createModel', () => {
  it('lays lenet5 out as named PyTorch-shaped tensors in one flat vector', () => {
    const model = createModel(PRESETS.lenet5, { seed: 1 });
    expect(model.paramCount).toBe(61_706);
    expect(model.weights).toHaveLength(61_706);
    expect(model.grads).toHaveLength(61_706);
    expect(model.params.map((p) => [p.name, p.shape])).toEqual([
      ['layers.0.weight', [6, 1, 5, 5]],
      ['layers.0.bias', [6]],
      ['layers.3.weight', [16, 6, 5, 5]],
      ['layers.3.bias', [16]],
      ['layers.7.weight', [120, 400]],
      ['layers.7.bias', [120]],
      ['layers.8.weight', [84, 120]],
      ['layers.8.bias', [84]],
      ['layers.9.weight', [10, 84]],
      ['layers.9.bias', [10]],
    ]);
    let offset = 0;
    for (const p of model.params) {
      expect(p.offset).toBe(offset);
      expect(p.size).toBe(p.shape.reduce((a, b) => a * b, 1));
      offset += p.size;
    }
    expect(model.inputSize).toBe(784);
    expect(model.classes).toBe(10);
  });

  it('initialises weights with the right spread and biases at zero', () => {
    const model = createModel(PRESETS['fashion-cnn'], { seed: 3 });
    const view = (name: string) => {
      const p = model.params.find((q) => q.name === name)!;
      return model.weights.subarray(p.offset, p.offset + p.size);
    };
    const std = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    // elu-activated layers: He normal, std sqrt(2 / fanIn)
    expect(std(view('layers.1.weight'))).toBeCloseTo(Math.sqrt(2 / (32 * 9)), 2);
    expect(std(view('layers.4.weight'))).toBeCloseTo(Math.sqrt(2 / 9216), 3);
    // the output layer: Glorot uniform, limit sqrt(6 / (fanIn + fanOut)), std limit / sqrt(3)
    const out = view('layers.5.weight');
    const limit = Math.sqrt(6 / (128 + 10));
    expect(out.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeLessThanOrEqual(limit);
    expect(std(out)).toBeCloseTo(limit / Math.sqrt(3), 1);
    expect(view('layers.0.bias').every((v) => v === 0)).toBe(true);
  });

  it('honours an explicit init', () => {
    const spec: ModelSpec = {
      input: [1, 1, 400],
      layers: [{ type: 'flatten' }, { type: 'dense', units: 500, init: 'heUniform', activation: 'tanh' }],
    };
    const w = createModel(spec, { seed: 2 }).weights.subarray(0, 400 * 500);
    const limit = Math.sqrt(6 / 400);
    const maxAbs = w.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(maxAbs).toBeLessThanOrEqual(limit);
    expect(maxAbs).toBeGreaterThan(0.99 * limit);
  });
});

describe('forward and predict', () => {
  it('returns [n, classes] logits and probabilities that sum to one', () => {
    const model = createModel(PRESETS.lenet5, { seed: 1 });
    const { x } = batch(model, 3);
    const logits = forward(model, x, 3);
    expect(logits).toHaveLength(30);
    const probs = predict(model, x, 3);
    for (let s = 0; s < 3; s++) {
      const row = probs.subarray(s * 10, s * 10 + 10);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(row.every((p) => p > 0 && p < 1)).toBe(true);
    }
  });

  it('gives each sample the same output whatever batch it is in', () => {
    const model = createModel(tiny, { seed: 4 });
    const { x } = batch(model, 5);
    const all = Float32Array.from(forward(model, x, 5));
    const one = forward(model, x.subarray(2 * model.inputSize), 1);
    for (let k = 0; k < 4; k++) expect(one[k]).toBeCloseTo(all[2 * 4 + k]!, 6);
  });

  it('reuses its buffers between calls of the same size', () => {
    const model = createModel(tiny, { seed: 4 });
    const { x } = batch(model, 4);
    const a = forward(model, x, 4);
    const b = forward(model, x, 2);
    const c = forward(model, x, 4);
    expect(b.buffer).toBe(a.buffer);
    expect(c.buffer).toBe(a.buffer);
  });

  it('predicts and evaluates large n in chunks, without growing the buffers past a chunk', () => {
    const model = createModel(tiny, { seed: 4 });
    const n = INFERENCE_CHUNK + 44;
    const { x, labels } = batch(model, n);
    const probs = predict(model, x, n);
    expect(probs).toHaveLength(n * 4);
    const tail = predict(model, x.subarray(INFERENCE_CHUNK * model.inputSize), 44);
    for (let i = 0; i < tail.length; i++) expect(probs[INFERENCE_CHUNK * 4 + i]).toBeCloseTo(tail[i]!, 6);
    expect(forward(model, x, 1).buffer.byteLength).toBe(INFERENCE_CHUNK * 4 * 4);
    const all = evaluate(model, x, labels, n);
    const head = evaluate(model, x, labels, INFERENCE_CHUNK);
    const rest = evaluate(model, x.subarray(INFERENCE_CHUNK * model.inputSize), labels.subarray(INFERENCE_CHUNK), 44);
    expect(all.correct).toBe(head.correct + rest.correct);
    expect(all.lossSum).toBeCloseTo(head.lossSum + rest.lossSum, 4);
  });

  it('rejects a short input', () => {
    const model = createModel(tiny);
    expect(() => forward(model, new Float32Array(10), 1)).toThrow(/fewer than/);
  });
});

describe('computeGradients', () => {
  it('accumulates scale * d(loss sum)/dW into grads and reports loss and accuracy', () => {
    const model = createModel(tiny, { seed: 5 });
    const { x, labels } = batch(model, 6);
    const args = { x, labels, n: 6, scale: 1 / 6, seed: 1, step: 2 };
    model.grads.fill(0);
    const first = computeGradients(model, args);
    const once = Float32Array.from(model.grads);
    const second = computeGradients(model, args);
    expect(second).toEqual(first);
    for (let i = 0; i < once.length; i++) expect(model.grads[i]).toBeCloseTo(2 * once[i]!, 6);
    expect(first.lossSum).toBeGreaterThan(0);
    expect(first.correct).toBeGreaterThanOrEqual(0);
    expect(first.correct).toBeLessThanOrEqual(6);
    const ev = evaluate(model, x, labels, 6);
    expect(ev.lossSum).toBeGreaterThan(0);
    expect(Math.hypot(...once)).toBeGreaterThan(0);
  });

  it('shards of a batch add up to the whole batch (dropout included)', () => {
    const model = createModel(tiny, { seed: 6 });
    const { x, labels } = batch(model, 8);
    model.grads.fill(0);
    const whole = computeGradients(model, { x, labels, n: 8, scale: 1 / 8, seed: 9, step: 1 });
    const expected = Float32Array.from(model.grads);
    model.grads.fill(0);
    const size = model.inputSize;
    const a = computeGradients(model, { x, labels, n: 3, scale: 1 / 8, seed: 9, step: 1, sampleOffset: 0 });
    const b = computeGradients(model, {
      x: x.subarray(3 * size),
      labels: labels.subarray(3),
      n: 5,
      scale: 1 / 8,
      seed: 9,
      step: 1,
      sampleOffset: 3,
    });
    expect(a.lossSum + b.lossSum).toBeCloseTo(whole.lossSum, 5);
    expect(a.correct + b.correct).toBe(whole.correct);
    for (let i = 0; i < expected.length; i++) expect(model.grads[i]).toBeCloseTo(expected[i]!, 6);
  });

  it('accumulate: false overwrites stale gradients with what accumulating into zeros gives', () => {
    // every weighted variant: conv with and without bias, fused or not; dense with and without
    const spec: ModelSpec = {
      input: [2, 7, 7],
      layers: [
        { type: 'conv2d', filters: 3, kernelSize: 3, activation: 'elu' },
        { type: 'conv2d', filters: 4, kernelSize: 2, useBias: false },
        { type: 'relu' },
        { type: 'flatten' },
        { type: 'dense', units: 5, activation: 'relu' },
        { type: 'dense', units: 3, useBias: false },
      ],
    };
    const model = createModel(spec, { seed: 8 });
    const { x, labels } = batch(model, 5);
    const args = { x, labels, n: 5, scale: 1 / 5 };
    model.grads.fill(0);
    const summed = computeGradients(model, args);
    const expected = Float32Array.from(model.grads);
    model.grads.fill(123.5); // an earlier step's leftovers
    expect(computeGradients(model, { ...args, accumulate: false })).toEqual(summed);
    // === (not the bytes): a sum of zero products may be -0 where 0 + that sum is +0
    const differing = [...model.grads].filter((g, i) => g !== expected[i]);
    expect(differing).toEqual([]);
    expect(Math.hypot(...expected)).toBeGreaterThan(0);
  });

  it('reports, layer by layer, from which offset up the gradients are final', () => {
    const spec: ModelSpec = {
      input: [2, 7, 7],
      layers: [
        { type: 'conv2d', filters: 3, kernelSize: 3, activation: 'relu' },
        { type: 'maxPool2d', poolSize: 2 },
        { type: 'flatten' },
        { type: 'dense', units: 5, activation: 'elu' },
        { type: 'dropout', rate: 0.5 },
        { type: 'dense', units: 3 },
      ],
    };
    const model = createModel(spec, { seed: 3 });
    const { x, labels } = batch(model, 4);
    const P = model.paramCount;
    const calls: Array<{ from: number; tail: Float32Array }> = [];
    computeGradients(model, {
      x,
      labels,
      n: 4,
      scale: 1 / 4,
      accumulate: false,
      step: 2,
      onGradientsFinal: (from) => calls.push({ from, tail: model.grads.slice(from) }),
    });
    // one call per layer, backward order: a layer without parameters (dropout, flatten, pool)
    // finalises nothing new, so it repeats the mark of the weighted layer above it
    const first = (layer: number) => model.params.find((p) => p.layer === layer)!.offset;
    expect(calls.map((c) => c.from)).toEqual([first(5), first(5), first(3), first(3), first(3), 0]);
    expect(first(5)).toBeLessThan(P);
    for (const { from, tail } of calls) expect(tail, `gradients from ${from} up`).toEqual(model.grads.subarray(from));
  });

  it('computes into caller buffers over SharedArrayBuffers', () => {
    const model = createModel(tiny, { seed: 7 });
    const { x, labels } = batch(model, 4);
    const shared = new Float32Array(new SharedArrayBuffer(model.paramCount * 4));
    shared.set(model.weights);
    const sharedGrads = new Float32Array(new SharedArrayBuffer(model.paramCount * 4));
    model.grads.fill(0);
    computeGradients(model, { x, labels, n: 4, scale: 0.25 });
    const expected = Float32Array.from(model.grads);
    const logits = Float32Array.from(forward(model, x, 4));

    const other = createModel(tiny, { seed: 99 });
    other.bindWeights(shared);
    other.bindGrads(sharedGrads);
    expect(other.weights).toBe(shared);
    expect(Float32Array.from(forward(other, x, 4))).toEqual(logits);
    computeGradients(other, { x, labels, n: 4, scale: 0.25 });
    expect(Float32Array.from(sharedGrads)).toEqual(expected);
    // a change of the shared weights is seen at once, without copying
    shared[model.params.at(-1)!.offset] = shared[model.params.at(-1)!.offset]! + 1;
    expect(forward(other, x, 1)[0]).toBeCloseTo(logits[0]! + 1, 5);
    expect(() => other.bindWeights(new Float32Array(3))).toThrow(/Float32Array of/);
  });

  it('rejects labels outside the classes', () => {
    const model = createModel(tiny);
    const { x } = batch(model, 2);
    expect(() => computeGradients(model, { x, labels: [0, 4], n: 2, scale: 1 })).toThrow(/class index/);
  });

  it('learns: plain SGD on a separable toy problem drives the loss down', () => {
    const spec: ModelSpec = {
      input: [1, 4, 4],
      layers: [
        { type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' },
        { type: 'flatten' },
        { type: 'dense', units: 2 },
      ],
    };
    const model = createModel(spec, { seed: 8 });
    const rng = new Rng(3);
    const n = 32;
    const x = new Float32Array(n * 16);
    const labels = new Int32Array(n);
    for (let s = 0; s < n; s++) {
      labels[s] = s % 2; // class 1: bright top half; class 0: bright bottom half
      for (let i = 0; i < 16; i++) x[s * 16 + i] = 0.3 * rng.normal() + (i < 8 === (s % 2 === 1) ? 1 : 0);
    }
    const before = evaluate(model, x, labels, n);
    for (let step = 0; step < 60; step++) {
      model.grads.fill(0);
      computeGradients(model, { x, labels, n, scale: 1 / n, step });
      for (let i = 0; i < model.weights.length; i++) model.weights[i] = model.weights[i]! - 0.1 * model.grads[i]!;
    }
    const after = evaluate(model, x, labels, n);
    expect(after.lossSum).toBeLessThan(0.3 * before.lossSum);
    expect(after.correct).toBe(n);
  });
});

describe("describe() lists the model's tensors", () => {
  const noBias: ModelSpec = {
    input: [2, 5, 5],
    layers: [
      { type: 'conv2d', filters: 3, kernelSize: [3, 2], useBias: false },
      { type: 'flatten' },
      { type: 'dense', units: 4, useBias: false },
    ],
  };
  const blocks: ModelSpec = {
    input: [2, 6, 6],
    layers: [
      { type: 'batchNorm2d' },
      {
        type: 'residual',
        layers: [
          { type: 'conv2d', filters: 3, kernelSize: 3, padding: 1, useBias: false },
          { type: 'residual', layers: [{ type: 'batchNorm2d' }, { type: 'conv2d', filters: 3, kernelSize: 1 }] },
        ],
        shortcut: { useBias: false },
      },
      { type: 'globalAvgPool2d' },
      { type: 'batchNorm1d' },
      { type: 'dense', units: 2 },
    ],
  };
  it.each([
    ['lenet5', PRESETS.lenet5],
    ['fashion-cnn', PRESETS['fashion-cnn']],
    ['fashion-resnet', PRESETS['fashion-resnet']],
    ['tiny', tiny],
    ['no bias', noBias],
    ['batch norm and nested blocks', blocks],
  ] as const)('%s: the names and shapes of model.params and model.buffers, parameters in order', (_name, spec) => {
    const model = createModel(spec);
    const described = model.describe().layers.flatMap((l) => l.tensors);
    const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : 1);
    const tensors = [...model.params, ...model.buffers].map((p) => ({ name: p.name, shape: p.shape }));
    expect([...described].sort(byName)).toEqual(tensors.sort(byName));
    const params = new Set(model.params.map((p) => p.name));
    expect(described.filter((t) => params.has(t.name))).toEqual(model.params.map((p) => ({ name: p.name, shape: p.shape })));
    expect(described.length).toBeGreaterThan(0);
  });
});
