// The Piscina task: runs in a pool thread. Holds one engine model per job (keyed by job id and
// attempt) whose weights are a view over the job's SharedArrayBuffer; each task computes one
// micro-shard's gradients into its slot (and its batch-norm statistics into its statistics slot)
// and helps sum the step's slots and step the optimizer
// (step-sync.ts), applies a clipped update to a parameter range, or evaluates a range.
// Training samples are augmented here, each from (seed, epoch, its dataset index): which thread or
// shard it lands in changes nothing. Evaluation and predict run in inference mode, normalising
// with the running statistics (shared; the main thread folds each step's shards into them).
// No Redis, no queue: only the engine and the shared buffers (protocol.ts).
import { performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import { augmentBatch, createConfusion, createModel, evaluate, inferenceRows, predict, sumInto, type Model } from '../src/engine/index.js';
import { optimizerOver } from '../src/engine/optim/index.js';
import { toFloatBatch, gatherLabels, type Dataset } from '../src/datasets/index.js';
import {
  REDUCE_CHUNK,
  type ApplyTask,
  type EvalTask,
  type GradResult,
  type GradTask,
  type JobContext,
  type LossResult,
  type PredictTask,
  type SharedDataset,
  type Task,
  type TaskResult,
  type TaskTiming,
  type Update,
} from './protocol.js';
import { StepSync } from './step-sync.js';

interface Cached {
  model: Model;
  x: Float32Array;
  labels: Int32Array;
  order: Uint32Array;
  train: Dataset;
  validation: Dataset | undefined;
  test: Dataset | undefined;
  weights: Float32Array;
  slots: Float32Array;
  gradSum: Float32Array;
  /** Per-shard batch statistics: shard s writes [s * B, (s + 1) * B). */
  batchStats: Float32Array;
  optimizer: Record<string, Float32Array>;
  sync: StepSync;
  /** Samples per evaluation chunk: at most the engine's INFERENCE_CHUNK_BYTES of buffers (memory.ts). */
  evalRows: number;
}

/** Models kept per thread; the least recently used is dropped (finished jobs age out). */
const MAX_CACHED = 4;
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
      const weights = new Float32Array(ctx.weights);
      model.bindWeights(weights);
      const B = ctx.bufferCount;
      model.bindBuffers(new Float32Array(ctx.running, 0, B));
      const evalRows = inferenceRows(model.resolved);
      const rows = Math.max(ctx.shardSize, evalRows);
      return {
        model,
        x: new Float32Array(rows * model.inputSize),
        labels: new Int32Array(rows),
        order: new Uint32Array(ctx.order),
        train: view(ctx.train)!,
        validation: view(ctx.validation),
        test: view(ctx.test),
        weights,
        slots: new Float32Array(ctx.slots),
        gradSum: new Float32Array(ctx.gradSum),
        batchStats: new Float32Array(ctx.batchStats, 0, ctx.maxShards * B),
        optimizer: Object.fromEntries(Object.entries(ctx.optimizer.buffers).map(([k, b]) => [k, new Float32Array(b)])),
        sync: new StepSync(ctx.sync, ctx.maxShards, ctx.paramCount),
        evalRows,
      };
    },
    cache,
  );
}

function grad(task: GradTask): GradResult {
  const t0 = performance.now();
  const c = context(task.ctx);
  const { sync } = c;
  sync.started();
  const P = task.ctx.paramCount;
  const slot = task.slot === 0 ? c.gradSum : c.slots.subarray((task.slot - 1) * P, task.slot * P);
  let result: { lossSum: number; correct: number };
  try {
    c.model.bindGrads(slot);
    const B = task.ctx.bufferCount;
    if (B > 0) c.model.bindBatchStats(c.batchStats.subarray(task.slot * B, (task.slot + 1) * B));
    const n = task.to - task.from;
    toFloatBatch(c.train, c.order, c.x, task.from, task.to);
    const { augment } = task.ctx;
    if (augment)
      augmentBatch(augment, c.x, n, c.train.shape, { seed: task.ctx.seed, epoch: task.epoch, indices: c.order, from: task.from });
    gatherLabels(c.train, c.order, c.labels, task.from, task.to);
    result = c.model.computeGradients({
      x: c.x,
      labels: c.labels,
      n,
      scale: task.scale,
      accumulate: false, // the slot still holds an earlier step's gradient: overwrite it
      loss: task.ctx.loss,
      labelSmoothing: task.ctx.labelSmoothing,
      seed: task.ctx.seed,
      step: task.step,
      sampleOffset: task.from,
      onGradientsFinal: (from) => sync.progress(task.slot, from),
    });
  } catch (err) {
    sync.abort();
    throw err;
  }
  const ms = performance.now() - t0;
  sync.finished(task.slot);
  // Every shard has started (the others run on other threads): sum and update the chunks as they
  // become final. Else this thread leaves them to the last shard and runs the next queued task.
  const reduceMs = sync.everyShardStarted ? sync.drain((chunk) => reduceChunk(c, task, chunk)).reduceMs : 0;
  return { ...result, thread: threadId, ms, reduceMs, busyMs: performance.now() - t0 };
}

/** gradSum += the other shards' slots (shard order) on one chunk, then its optimizer step; its sum of squares. */
function reduceChunk(c: Cached, task: GradTask, chunk: number): number {
  const P = task.ctx.paramCount;
  const from = chunk * REDUCE_CHUNK;
  const to = Math.min(from + REDUCE_CHUNK, P);
  const shards: Float32Array[] = [];
  for (let s = 1; s < task.shards; s++) shards.push(c.slots.subarray((s - 1) * P + from, (s - 1) * P + to));
  const sumsq = sumInto(c.gradSum.subarray(from, to), shards);
  if (task.update) update(c, task.ctx, from, to, task.update);
  return sumsq;
}

function apply(task: ApplyTask): TaskTiming {
  const t0 = performance.now();
  const c = context(task.ctx);
  const { gradSum } = c;
  if (task.scale < 1) for (let i = task.from; i < task.to; i++) gradSum[i] = gradSum[i]! * task.scale;
  update(c, task.ctx, task.from, task.to, task.update);
  return { thread: threadId, ms: performance.now() - t0 };
}

/** The optimizer step on weights[from..to), its state being views of the shared buffers. */
function update(c: Cached, ctx: JobContext, from: number, to: number, u: Update): void {
  const buffers: Record<string, Float32Array> = {};
  for (const [name, b] of Object.entries(c.optimizer)) buffers[name] = b.subarray(from, to);
  optimizerOver(ctx.optimizer.config, to - from, u.step, buffers).step(c.weights.subarray(from, to), c.gradSum.subarray(from, to), u.lr);
}

function evalRange(task: EvalTask): LossResult {
  const t0 = performance.now();
  const c = context(task.ctx);
  const ds = task.split === 'validation' ? c.validation : c.test;
  if (!ds) throw new Error(`job has no ${task.split} set`);
  let lossSum = 0;
  let correct = 0;
  const confusion = task.confusion && createConfusion(task.confusion.classes, task.confusion.keep);
  const size = c.model.inputSize;
  for (let from = task.from; from < task.to; from += c.evalRows) {
    const n = Math.min(c.evalRows, task.to - from);
    const src = ds.images.subarray(from * size, (from + n) * size);
    if (src instanceof Uint8Array) for (let j = 0; j < src.length; j++) c.x[j] = src[j]! / 255;
    else c.x.set(src);
    c.labels.set(ds.labels.subarray(from, from + n));
    const r = evaluate(c.model, c.x, c.labels, n, task.ctx.loss, confusion && { into: confusion, offset: from });
    lossSum += r.lossSum;
    correct += r.correct;
  }
  return { lossSum, correct, ...(confusion && { confusion }), thread: threadId, ms: performance.now() - t0 };
}

const predictModels = new Map<string, Model>();

function runPredict(task: PredictTask): Float32Array {
  const model = remember(
    task.key,
    () => {
      const m = createModel(task.model);
      m.bindWeights(new Float32Array(task.weights));
      m.bindBuffers(new Float32Array(task.running, 0, m.bufferCount));
      return m;
    },
    predictModels,
  );
  return predict(model, task.inputs, task.n);
}

export default function run(task: Task): TaskResult {
  switch (task.kind) {
    case 'grad':
      return grad(task);
    case 'apply':
      return apply(task);
    case 'eval':
      return evalRange(task);
    case 'predict':
      return runPredict(task);
  }
}
