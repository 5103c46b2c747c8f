// The Piscina task: runs in a pool thread. Holds one engine model per job (keyed by job id and
// attempt) whose weights are a view over the job's SharedArrayBuffer; each task computes one
// micro-shard's gradients into its slot, sums slots over a parameter range, or evaluates a range.
// No Redis, no queue: only the engine and the shared buffers (protocol.ts).
import { performance } from 'node:perf_hooks';
import { createModel, evaluate, predict, type Model } from '../src/engine/index.js';
import { toFloatBatch, gatherLabels, type Dataset } from '../src/datasets/index.js';
import type { EvalTask, GradTask, JobContext, LossResult, PredictTask, ReduceTask, SharedDataset, Task } from './protocol.js';

interface Cached {
  model: Model;
  x: Float32Array;
  labels: Int32Array;
  order: Uint32Array;
  train: Dataset;
  validation: Dataset | undefined;
  test: Dataset | undefined;
  slots: Float32Array;
  gradSum: Float32Array;
}

/** Models kept per thread; the least recently used is dropped (finished jobs age out). */
const MAX_CACHED = 4;
const EVAL_CHUNK = 256;
const cache = new Map<string, Cached>();

function view(ds: SharedDataset | undefined): Dataset | undefined {
  if (!ds) return undefined;
  return {
    shape: ds.shape,
    classes: ds.classes,
    count: ds.count,
    images: ds.float
      ? new Float32Array(ds.images, ds.imagesOffset, ds.count * ds.shape[0] * ds.shape[1] * ds.shape[2])
      : new Uint8Array(ds.images, ds.imagesOffset, ds.count * ds.shape[0] * ds.shape[1] * ds.shape[2]),
    labels: new Uint8Array(ds.labels, ds.labelsOffset, ds.count),
  };
}

function remember<T extends object>(key: string, make: () => T, store: Map<string, T>): T {
  let hit = store.get(key);
  if (hit) {
    store.delete(key); // re-insert: Map order is our LRU order
    store.set(key, hit);
    return hit;
  }
  hit = make();
  store.set(key, hit);
  while (store.size > MAX_CACHED) store.delete(store.keys().next().value!);
  return hit;
}

function context(ctx: JobContext): Cached {
  return remember(
    ctx.key,
    () => {
      const model = createModel(ctx.model);
      model.bindWeights(new Float32Array(ctx.weights));
      const rows = Math.max(ctx.shardSize, EVAL_CHUNK);
      return {
        model,
        x: new Float32Array(rows * model.inputSize),
        labels: new Int32Array(rows),
        order: new Uint32Array(ctx.order),
        train: view(ctx.train)!,
        validation: view(ctx.validation),
        test: view(ctx.test),
        slots: new Float32Array(ctx.slots),
        gradSum: new Float32Array(ctx.gradSum),
      };
    },
    cache,
  );
}

function grad(task: GradTask): LossResult {
  const t0 = performance.now();
  const c = context(task.ctx);
  const P = task.ctx.paramCount;
  const slot = c.slots.subarray(task.slot * P, (task.slot + 1) * P);
  slot.fill(0);
  c.model.bindGrads(slot);
  const n = task.to - task.from;
  toFloatBatch(c.train, c.order, c.x, task.from, task.to);
  gatherLabels(c.train, c.order, c.labels, task.from, task.to);
  const { lossSum, correct } = c.model.computeGradients({
    x: c.x,
    labels: c.labels,
    n,
    scale: task.scale,
    loss: task.ctx.loss,
    seed: task.ctx.seed,
    step: task.step,
    sampleOffset: task.from,
  });
  return { lossSum, correct, ms: performance.now() - t0 };
}

function reduce(task: ReduceTask): number {
  const c = context(task.ctx);
  const P = task.ctx.paramCount;
  const { slots, gradSum } = c;
  const { from, to } = task;
  gradSum.set(slots.subarray(from, to), from);
  for (let s = 1; s < task.slotCount; s++) {
    const base = s * P;
    for (let i = from; i < to; i++) gradSum[i] = gradSum[i]! + slots[base + i]!;
  }
  let sumsq = 0;
  for (let i = from; i < to; i++) sumsq += gradSum[i]! * gradSum[i]!;
  return sumsq;
}

function evalRange(task: EvalTask): LossResult {
  const t0 = performance.now();
  const c = context(task.ctx);
  const ds = task.split === 'validation' ? c.validation : c.test;
  if (!ds) throw new Error(`job has no ${task.split} set`);
  let lossSum = 0;
  let correct = 0;
  const size = c.model.inputSize;
  for (let from = task.from; from < task.to; from += EVAL_CHUNK) {
    const n = Math.min(EVAL_CHUNK, task.to - from);
    const src = ds.images.subarray(from * size, (from + n) * size);
    if (src instanceof Uint8Array) for (let j = 0; j < src.length; j++) c.x[j] = src[j]! / 255;
    else c.x.set(src);
    c.labels.set(ds.labels.subarray(from, from + n));
    const r = evaluate(c.model, c.x, c.labels, n, task.ctx.loss);
    lossSum += r.lossSum;
    correct += r.correct;
  }
  return { lossSum, correct, ms: performance.now() - t0 };
}

const predictModels = new Map<string, Model>();

function runPredict(task: PredictTask): Float32Array {
  const model = remember(
    task.key,
    () => {
      const m = createModel(task.model);
      m.bindWeights(new Float32Array(task.weights));
      return m;
    },
    predictModels,
  );
  return predict(model, task.inputs, task.n);
}

export default function run(task: Task): LossResult | number | Float32Array {
  switch (task.kind) {
    case 'grad':
      return grad(task);
    case 'reduce':
      return reduce(task);
    case 'eval':
      return evalRange(task);
    case 'predict':
      return runPredict(task);
  }
}
