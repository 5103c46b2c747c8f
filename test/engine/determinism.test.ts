// Same spec + seed => bit-identical weights, gradients and training; randomness never depends on
// how a batch is split.
import { describe, expect, it } from 'vitest';
import { resolveSpec } from '../../src/engine/describe.js';
import { createLayer } from '../../src/engine/layers/index.js';
import { computeGradients, createModel, PRESETS, type ModelSpec } from '../../src/engine/index.js';
import { hashSeed, Rng } from '../../src/engine/rng.js';

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** Bit-for-bit equality (a plain loop: deep equality of a 1.2M-element array is slow in expect). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = bits(a);
  const y = bits(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

const withDropout: ModelSpec = {
  input: [2, 8, 8],
  layers: [
    { type: 'conv2d', filters: 4, kernelSize: 3, stride: 2, padding: 'same', activation: 'elu' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'flatten' },
    { type: 'dropout', rate: 0.5 },
    { type: 'dense', units: 8, activation: 'relu' },
    { type: 'dense', units: 3 },
  ],
};

function train(spec: ModelSpec, seed: number, steps: number): Float32Array {
  const model = createModel(spec, { seed });
  const n = 6;
  const data = new Rng(seed + 1);
  const x = new Float32Array(n * model.inputSize).map(() => data.normal());
  const labels = Int32Array.from({ length: n }, () => data.int(model.classes));
  for (let step = 0; step < steps; step++) {
    model.grads.fill(0);
    computeGradients(model, { x, labels, n: 3, scale: 1 / n, seed, step, sampleOffset: 0 });
    computeGradients(model, {
      x: x.subarray(3 * model.inputSize),
      labels: labels.subarray(3),
      n: 3,
      scale: 1 / n,
      seed,
      step,
      sampleOffset: 3,
    });
    for (let i = 0; i < model.weights.length; i++) model.weights[i] = model.weights[i]! - 0.05 * model.grads[i]!;
  }
  return Float32Array.from(model.weights);
}

describe('determinism', () => {
  it('same spec and seed give bit-identical initial weights; another seed does not', () => {
    const a = createModel(PRESETS['fashion-cnn'], { seed: 42 }).weights;
    const b = createModel(PRESETS['fashion-cnn'], { seed: 42 }).weights;
    const c = createModel(PRESETS['fashion-cnn'], { seed: 43 }).weights;
    expect(a.length).toBe(1_199_882);
    expect(sameBits(a, b)).toBe(true);
    expect(sameBits(a, c)).toBe(false);
  });

  it('same seed gives bit-identical gradients and bit-identical weights after training', () => {
    const first = train(withDropout, 7, 8);
    const second = train(withDropout, 7, 8);
    expect(sameBits(first, second)).toBe(true);
    expect(sameBits(first, createModel(withDropout, { seed: 7 }).weights)).toBe(false);
    expect(sameBits(train(withDropout, 8, 8), first)).toBe(false);
  });

  it('dropout masks depend on (seed, step, layer, sample) only, not on the split of the batch', () => {
    const resolved = resolveSpec({ input: [1, 3, 4], layers: [{ type: 'dropout', rate: 0.4 }, { type: 'flatten' }] });
    const layer = createLayer(resolved.layers[0]!);
    const n = 7;
    const x = new Float32Array(n * 12).fill(1);
    const whole = new Float32Array(n * 12);
    layer.forward(x, whole, n, { training: true, seed: 5, step: 2, sampleOffset: 10 });
    const part = new Float32Array(3 * 12);
    layer.forward(x, part, 3, { training: true, seed: 5, step: 2, sampleOffset: 14 });
    expect(bits(part)).toEqual(bits(whole.subarray(4 * 12)));
    const nextStep = new Float32Array(n * 12);
    layer.forward(x, nextStep, n, { training: true, seed: 5, step: 3, sampleOffset: 10 });
    expect(bits(nextStep)).not.toEqual(bits(whole));
    // inverted dropout: kept values are scaled by 1 / (1 - rate); about 40% are zero
    const zeros = whole.filter((v) => v === 0).length;
    expect(whole.every((v) => v === 0 || v === Math.fround(1 / 0.6))).toBe(true);
    expect(zeros).toBeGreaterThan(15);
    expect(zeros).toBeLessThan(55);
    const inference = new Float32Array(n * 12);
    layer.forward(x, inference, n, { training: false, seed: 5, step: 2, sampleOffset: 10 });
    expect(inference.every((v) => v === 1)).toBe(true);
  });
});

describe('Rng', () => {
  it('is reproducible and its state can be saved and restored mid-stream', () => {
    const a = new Rng(123);
    const b = new Rng(123);
    const first = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(first);
    const saved = a.getState();
    const expected = Array.from({ length: 10 }, () => a.normal());
    const restored = new Rng(JSON.parse(JSON.stringify(saved)));
    expect(Array.from({ length: 10 }, () => restored.normal())).toEqual(expected);
    expect(new Rng(124).nextUint32()).not.toBe(new Rng(123).nextUint32());
  });

  it('gives uniform floats in [0, 1) and standard normals', () => {
    const rng = new Rng(9);
    const n = 20_000;
    let sum = 0;
    let sq = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      min = Math.min(min, u);
      max = Math.max(max, u);
      const z = rng.normal();
      sum += z;
      sq += z * z;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.05);
  });

  it('shuffles into a permutation, reproducibly', () => {
    const a = new Rng(1).shuffle(Int32Array.from({ length: 50 }, (_, i) => i));
    const b = new Rng(1).shuffle(Int32Array.from({ length: 50 }, (_, i) => i));
    expect(a).toEqual(b);
    expect([...a].sort((p, q) => p - q)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...a]).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('rejects a malformed state', () => {
    expect(() => new Rng([1, 2, 3] as unknown as [number, number, number, number])).toThrow(/four uint32/);
  });
});

describe('hashSeed', () => {
  it('is a stable function of its integers (golden values guard checkpoints across versions)', () => {
    expect(hashSeed(0)).toBe(hashSeed(0));
    expect([hashSeed(1, 2, 3), hashSeed(42)]).toEqual(GOLDEN);
  });

  it('separates nearby tuples, argument order, and seeds above 2^32', () => {
    const seen = new Set<number>();
    for (let a = 0; a < 20; a++) for (let b = 0; b < 20; b++) for (let c = 0; c < 5; c++) seen.add(hashSeed(a, b, c));
    expect(seen.size).toBe(2000);
    expect(hashSeed(1, 2)).not.toBe(hashSeed(2, 1));
    expect(hashSeed(1)).not.toBe(hashSeed(1, 0));
    expect(hashSeed(2 ** 32 + 5)).not.toBe(hashSeed(5));
    expect(hashSeed(-1)).not.toBe(hashSeed(2 ** 32 - 1));
    expect(() => hashSeed(1.5)).toThrow(RangeError);
  });
});

const GOLDEN = [2384729824, 2135278234];
