// Batch norm's state: the running statistics live in model.bufferValues (never in the weights the
// optimizer steps), a training forward writes the call's batch statistics, updateRunningStats folds
// shards in, in shard order; inference reads the running statistics; the weights file carries them.
// And determinism: the same shards give the same bits however they are spread over models (threads)
// and in whatever order they run.
import { describe, expect, it } from 'vitest';
import {
  computeGradients,
  createModel,
  createOptimizer,
  exportWeights,
  forward,
  loadWeights,
  predict,
  Rng,
  updateRunningStats,
  type Model,
  type ModelSpec,
} from '../../src/engine/index.js';

const spec: ModelSpec = {
  input: [2, 5, 5],
  layers: [
    { type: 'conv2d', filters: 3, kernelSize: 3, padding: 1, useBias: false },
    { type: 'batchNorm2d', momentum: 0.2 },
    { type: 'relu' },
    {
      type: 'residual',
      layers: [
        { type: 'conv2d', filters: 4, kernelSize: 3, stride: 2, padding: 1, useBias: false },
        { type: 'batchNorm2d' },
        { type: 'dropout2d', rate: 0.25 },
      ],
      shortcut: { stride: 2 },
    },
    { type: 'globalAvgPool2d' },
    { type: 'batchNorm1d', eps: 1e-3 },
    { type: 'dense', units: 3 },
  ],
};

function batch(model: Model, n: number, seed = 1) {
  const rng = new Rng(seed);
  return {
    x: new Float32Array(n * model.inputSize).map(() => 0.5 + rng.normal()),
    labels: Int32Array.from({ length: n }, () => rng.int(model.classes)),
  };
}

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('the running statistics are buffers, apart from the weights', () => {
  it('are named and laid out like parameters, start at mean 0 and variance 1, and hold no parameter', () => {
    const model = createModel(spec, { seed: 2 });
    expect(model.buffers.map((b) => [b.name, b.shape, b.offset, b.momentum, b.valuesPerSample])).toEqual([
      ['layers.1.running_mean', [3], 0, 0.2, 25],
      ['layers.1.running_var', [3], 3, 0.2, 25],
      ['layers.3.layers.1.running_mean', [4], 6, 0.1, 9],
      ['layers.3.layers.1.running_var', [4], 10, 0.1, 9],
      ['layers.5.running_mean', [4], 14, 0.1, 1],
      ['layers.5.running_var', [4], 18, 0.1, 1],
    ]);
    expect(model.bufferCount).toBe(22);
    expect(Array.from(model.bufferValues)).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect(model.params.some((p) => p.name.includes('running'))).toBe(false);
    // batch norm's scale starts at 1 and its shift at 0 (PyTorch's reset_parameters)
    const gamma = model.params.find((p) => p.name === 'layers.3.layers.1.weight')!;
    expect(Array.from(model.weights.subarray(gamma.offset, gamma.offset + gamma.size))).toEqual([1, 1, 1, 1]);
  });

  it('a training call writes its batch statistics (mean, unbiased variance) and leaves the running ones alone', () => {
    const model = createModel({ input: [2, 2, 3], layers: [{ type: 'batchNorm2d' }, { type: 'flatten' }] });
    const { x, labels } = batch(model, 3);
    const running = Float32Array.from(model.bufferValues);
    computeGradients(model, { x, labels, n: 3, scale: 1 / 3 });
    expect(model.bufferValues).toEqual(running);
    for (let c = 0; c < 2; c++) {
      const values = [0, 1, 2].flatMap((s) => Array.from(x.subarray((s * 2 + c) * 6, (s * 2 + c + 1) * 6)));
      const mean = values.reduce((a, v) => a + v, 0) / values.length;
      const unbiased = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
      expect(model.batchStats[c]).toBeCloseTo(mean, 6);
      expect(model.batchStats[2 + c]).toBeCloseTo(unbiased, 5);
    }
  });

  it('updateRunningStats folds shards in order: running <- (1 - momentum) running + momentum * batch', () => {
    const model = createModel(spec, { seed: 3 });
    const a = new Float32Array(model.bufferCount).map((_, i) => 0.5 + i);
    const b = new Float32Array(model.bufferCount).map((_, i) => 2 - 0.1 * i);
    const start = Float32Array.from(model.bufferValues);
    updateRunningStats(model, [
      { stats: a, n: 4 },
      { stats: b, n: 4 },
    ]);
    model.buffers.forEach((buf) => {
      for (let i = buf.offset; i < buf.offset + buf.size; i++) {
        const m = buf.momentum;
        const once = Math.fround(m * a[i]! + (1 - m) * start[i]!);
        expect(model.bufferValues[i]).toBe(Math.fround(m * b[i]! + (1 - m) * once));
      }
    });
    // the order matters: b then a gives other values
    const other = createModel(spec, { seed: 3 });
    updateRunningStats(other, [
      { stats: b, n: 4 },
      { stats: a, n: 4 },
    ]);
    expect(bits(other.bufferValues)).not.toEqual(bits(model.bufferValues));
    expect(() => updateRunningStats(model, [{ stats: new Float32Array(3), n: 4 }])).toThrow(/hold 3 values/);
  });

  it('a shard with one value per channel (batchNorm1d, one sample) leaves those statistics alone', () => {
    const model = createModel(spec, { seed: 3 });
    const start = Float32Array.from(model.bufferValues);
    updateRunningStats(model, [{ stats: new Float32Array(model.bufferCount).fill(7), n: 1 }]);
    for (const buf of model.buffers) {
      const changed = model.bufferValues.subarray(buf.offset, buf.offset + buf.size).some((v, i) => v !== start[buf.offset + i]);
      expect(changed, buf.name).toBe(buf.valuesPerSample > 1);
    }
    // such a shard trains: its normalised values are 0, so the output is beta and dx is 0
    const flat = createModel({ input: [3, 1, 1], layers: [{ type: 'flatten' }, { type: 'batchNorm1d' }] });
    const dx = new Float32Array(3);
    computeGradients(flat, { x: Float32Array.of(1, 2, 3), labels: [0], n: 1, scale: 1, inputGrad: dx });
    expect(Array.from(dx)).toEqual([0, 0, 0]);
    expect(Array.from(forward(flat, Float32Array.of(1, 2, 3), 1, { training: true }))).toEqual([0, 0, 0]);
  });

  it('inference normalises with the running statistics, training with the batch', () => {
    const model = createModel(spec, { seed: 4 });
    const { x } = batch(model, 4);
    const before = Float32Array.from(predict(model, x, 4));
    const trainingBefore = Float32Array.from(forward(model, x, 4, { training: true }));
    model.bufferValues.set(model.bufferValues.map((v, i) => v + 0.1 * (i % 5)));
    expect(bits(predict(model, x, 4))).not.toEqual(bits(before));
    expect(bits(forward(model, x, 4, { training: true }))).toEqual(bits(trainingBefore));
  });

  it('the optimizer never sees them: AdamW with weight decay steps the weights, the buffers move only by updateRunningStats', () => {
    const model = createModel(spec, { seed: 5 });
    const { x, labels } = batch(model, 4);
    const optimizer = createOptimizer({ type: 'adamw', weightDecay: 0.5 }, model.paramCount);
    const running = Float32Array.from(model.bufferValues);
    for (let step = 0; step < 3; step++) {
      computeGradients(model, { x, labels, n: 4, scale: 1 / 4, accumulate: false, step });
      optimizer.step(model.weights, model.grads, 0.1);
    }
    expect(model.bufferValues).toEqual(running);
    updateRunningStats(model, [{ stats: model.batchStats, n: 4 }]);
    expect(model.bufferValues).not.toEqual(running);
  });

  it('travel in the weights file (state_dict names) and load back', () => {
    const model = createModel(spec, { seed: 6 });
    model.bufferValues.set(model.bufferValues.map((_, i) => 0.25 * i));
    const tensors = exportWeights(model);
    expect(tensors.map((t) => t.name)).toContain('layers.3.layers.1.running_var');
    expect(tensors).toHaveLength(model.params.length + model.buffers.length);
    const copy = createModel(spec, { seed: 7 });
    loadWeights(copy, tensors);
    expect(bits(copy.bufferValues)).toEqual(bits(model.bufferValues));
    expect(bits(copy.weights)).toEqual(bits(model.weights));
    expect(() => loadWeights(copy, tensors.slice(0, -1))).toThrow(/missing tensor 'layers.5.running_var'/);
  });
});

describe('ghost batch norm is deterministic', () => {
  /**
   * One training step over a batch of 10 in shards of 4, 4, 2, the way the workers run it: each
   * shard writes its own gradient slot and batch-statistics slot (on a model of its own: another
   * thread); the slots are summed and folded in shard order, then AdamW steps.
   */
  function step(order: number[], models: Model[], seedModel: Model) {
    const n = 10;
    const shards = [
      [0, 4],
      [4, 8],
      [8, 10],
    ] as const;
    const { x, labels } = batch(seedModel, n, 11);
    const P = seedModel.paramCount;
    const gradSlots = shards.map(() => new Float32Array(P).fill(Number.NaN)); // stale: overwritten
    const statSlots = shards.map(() => new Float32Array(seedModel.bufferCount));
    const weights = Float32Array.from(seedModel.weights);
    const running = Float32Array.from(seedModel.bufferValues);
    order.forEach((s, k) => {
      const model = models[k % models.length]!;
      model.bindWeights(weights);
      model.bindBuffers(running);
      model.bindGrads(gradSlots[s]!);
      model.bindBatchStats(statSlots[s]!);
      const [from, to] = shards[s]!;
      computeGradients(model, {
        x: x.subarray(from * model.inputSize, to * model.inputSize),
        labels: labels.subarray(from, to),
        n: to - from,
        scale: 1 / n,
        accumulate: false,
        seed: 21,
        step: 3,
        sampleOffset: from,
      });
    });
    const grads = new Float32Array(P);
    for (const slot of gradSlots) for (let i = 0; i < P; i++) grads[i] = grads[i]! + slot[i]!;
    const owner = { buffers: seedModel.buffers, bufferValues: running };
    updateRunningStats(
      owner,
      shards.map(([from, to], s) => ({ stats: statSlots[s]!, n: to - from })),
    );
    createOptimizer({ type: 'adamw' }, P).step(weights, grads, 0.01);
    return { weights, running, grads };
  }

  it('one model in shard order, or three models in any order: the same bits', () => {
    const reference = step([0, 1, 2], [createModel(spec, { seed: 8 })], createModel(spec, { seed: 8 }));
    for (const order of [
      [2, 0, 1],
      [1, 2, 0],
    ]) {
      const models = [0, 1, 2].map(() => createModel(spec, { seed: 99 }));
      const other = step(order, models, createModel(spec, { seed: 8 }));
      expect(bits(other.grads)).toEqual(bits(reference.grads));
      expect(bits(other.weights)).toEqual(bits(reference.weights));
      expect(bits(other.running)).toEqual(bits(reference.running));
    }
    expect(reference.running.some((v, i) => v !== createModel(spec).bufferValues[i])).toBe(true);
    expect(reference.grads.every(Number.isFinite)).toBe(true);
  });

  it('the shard size is part of the arithmetic: other shards give other statistics', () => {
    const model = createModel(spec, { seed: 8 });
    const { x, labels } = batch(model, 8, 11);
    computeGradients(model, { x, labels, n: 8, scale: 1 / 8 });
    const whole = Float32Array.from(model.batchStats);
    computeGradients(model, { x, labels, n: 4, scale: 1 / 8 });
    expect(bits(model.batchStats)).not.toEqual(bits(whole));
  });
});
