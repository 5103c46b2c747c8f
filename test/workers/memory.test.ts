// The engine's memory estimate (src/engine/memory.ts) against what a pool thread really allocates:
// the real task code (workers/thread.ts) runs one training step and one evaluation pass in a fresh
// worker thread (memory-harness.ts), which reports the growth of its typed arrays and WebAssembly
// memory. The estimate decides which jobs are refused (QUOTA_MAX_TRAINING_BYTES), so it must neither
// miss what the engine keeps nor inflate it: it stays within ESTIMATE_FACTOR of the measured bytes.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { JobSpec, ModelSpec } from '../../src/contracts/index.js';
import {
  fashionCnn,
  inferenceRows,
  MAX_INFERENCE_ROWS,
  INFERENCE_CHUNK,
  PRESETS,
  threadBytes,
  trainingMemory,
} from '../../src/engine/index.js';
import type { Dataset } from '../../src/datasets/index.js';
import type { Task } from '../../workers/protocol.js';
import { createWorkspace } from '../../workers/workspace.js';

/** The estimate may be this much above or below the measured bytes. */
const ESTIMATE_FACTOR = 1.1;

function dataset(shape: [number, number, number], count: number, classes: number): Dataset {
  const size = shape[0] * shape[1] * shape[2];
  const images = new Float32Array(count * size);
  for (let i = 0; i < images.length; i++) images[i] = ((i * 2654435761) % 1000) / 1000;
  const labels = new Uint8Array(count).map((_, i) => i % classes);
  return { shape, classes, count, images, labels };
}

/** Bytes the thread's buffers took for one step of `batch` in shards of `shard`, then an evaluation. */
async function measure(model: ModelSpec, batch: number, shard: number): Promise<{ measured: number; estimated: number }> {
  const shape = model.input as [number, number, number];
  const classes = 10;
  const spec = {
    model,
    dataset: { builtin: 'mnist' },
    training: { epochs: 1, batchSize: batch, optimizer: { type: 'adam', learningRate: 1e-3 } },
  };
  const data = { train: dataset(shape, batch, classes), validation: dataset(shape, 300, classes), test: undefined, inputScale: 1 };
  const w = createWorkspace('memory#1', spec as JobSpec, 1, data, shard);
  const shards = Math.ceil(batch / shard);
  w.sync.reset(shards);
  const tasks: Task[] = [];
  for (let slot = 0; slot < shards; slot++) {
    const from = slot * shard;
    const to = Math.min(from + shard, batch);
    tasks.push({ kind: 'grad', ctx: w.ctx, slot, shards, from, to, scale: 1 / batch, step: 0, epoch: 0, update: { lr: 1e-3, step: 0 } });
  }
  tasks.push({ kind: 'eval', ctx: w.ctx, split: 'validation', from: 0, to: 300 });
  const harness = new URL('./memory-harness.ts', import.meta.url).href;
  const worker = new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(harness)}); });`, {
    eval: true,
    workerData: { tasks },
  });
  const { bytes } = await new Promise<{ bytes: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  const resolved = w.model.resolved;
  const rows = Math.max(shard, inferenceRows(resolved));
  const estimated = threadBytes(resolved, { rows, shardRows: shard, shards, paramCount: w.model.paramCount }).total;
  return { measured: bytes, estimated };
}

const models: Record<string, { model: ModelSpec; batch: number; shard: number }> = {
  'fashion-cnn, shards of 32': { model: fashionCnn as ModelSpec, batch: 64, shard: 32 },
  'fashion-resnet (batch norm, residual blocks, global pooling), shards of 32': {
    model: PRESETS['fashion-resnet'] as ModelSpec,
    batch: 64,
    shard: 32,
  },
  'forty dropout layers, shard 256': {
    model: {
      input: [1, 28, 28],
      layers: [
        ...Array.from({ length: 40 }, () => ({ type: 'dropout' as const, rate: 0.1 })),
        { type: 'flatten' },
        { type: 'dense', units: 10 },
      ],
    },
    batch: 256,
    shard: 256,
  },
  'a wide MLP with activation layers, shard 512': {
    model: {
      input: [3, 16, 16],
      layers: [
        { type: 'flatten' },
        { type: 'dense', units: 2048 },
        { type: 'relu' },
        { type: 'dense', units: 1024, activation: 'tanh' },
        { type: 'dense', units: 10 },
      ],
    },
    batch: 512,
    shard: 512,
  },
  'large conv activations with max pooling, batch = shard = 512': {
    model: {
      input: [3, 32, 32],
      layers: [
        { type: 'conv2d', filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' },
        { type: 'maxPool2d', poolSize: 2 },
        { type: 'conv2d', filters: 64, kernelSize: 3, padding: 'same' },
        { type: 'elu' },
        { type: 'flatten' },
        { type: 'dense', units: 10 },
      ],
    },
    batch: 512,
    shard: 512,
  },
};

describe('memory estimate vs a pool thread', () => {
  it('inference chunks are the model.ts chunk at most', () => {
    expect(MAX_INFERENCE_ROWS).toBe(INFERENCE_CHUNK);
  });

  it("the job's own buffers on the main thread are the estimate's parameters, gradients, optimizer state and order", () => {
    const shape: [number, number, number] = [1, 28, 28];
    const spec = {
      model: fashionCnn,
      dataset: { builtin: 'mnist' },
      training: { epochs: 1, batchSize: 100, optimizer: { type: 'adam', learningRate: 1e-3 } },
    };
    const train = dataset(shape, 1000, 10);
    const w = createWorkspace('memory#2', spec as JobSpec, 1, { train, validation: undefined, test: undefined, inputScale: 1 }, 32);
    const c = w.ctx;
    const held =
      c.weights.byteLength +
      c.gradSum.byteLength +
      c.slots.byteLength +
      Object.values(c.optimizer.buffers).reduce((s, b) => s + b.byteLength, 0) +
      c.order.byteLength +
      w.model.weights.byteLength +
      w.model.grads.byteLength;
    const plan = { batchSize: 100, shardSize: 32, optimizerBuffers: 2, threads: 2, trainSamples: 1000, datasetBytes: 0 };
    const m = trainingMemory(w.model.resolved, plan);
    const checkpoint = 4 * w.model.paramCount * 3; // the estimate's bookkeeping: order + one checkpoint (weights, m, v)
    expect(m.parameters + m.parameterGradients + m.optimizerState + m.bookkeeping - checkpoint).toBe(held);
  });

  for (const [name, { model, batch, shard }] of Object.entries(models)) {
    it(`${name}: the estimate is within ${ESTIMATE_FACTOR}x of the bytes the thread allocated`, async () => {
      const { measured, estimated } = await measure(model, batch, shard);
      console.log(`${name}: measured ${measured} B, estimated ${estimated} B (${(estimated / measured).toFixed(3)}x)`);
      expect(measured).toBeGreaterThan(0);
      expect(estimated / measured).toBeLessThanOrEqual(ESTIMATE_FACTOR);
      expect(measured / estimated).toBeLessThanOrEqual(ESTIMATE_FACTOR);
    });
  }
});
