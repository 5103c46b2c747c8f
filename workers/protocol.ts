// What crosses from the worker's main thread to a pool thread (workers/thread.ts) and back.
//
// Per job, the main thread allocates SharedArrayBuffers once and every task carries the same
// handles (posting a SharedArrayBuffer shares it, nothing is copied):
//
//   weights   Float32 [P]            the model's weights; written only by the optimizer step (whole
//                                    parameter chunks, once their gradients are final: step-sync.ts)
//   gradSum   Float32 [P]            shard 0 writes its gradient here, the other shards' are added to it
//   slots     Float32 [(S-1) x P]    one gradient slot per further micro-shard; shard s writes slot s-1
//   optimizer Float32 [P] each       the optimizer's state (Adam m and v, SGD momentum)
//   running   Float32 [B]            batch norm's running statistics (model.buffers order): read by
//                                    eval and predict; written by the main thread between steps
//   batchStats Float32 [S x B]       one slot per micro-shard: the batch statistics of its forward
//   order     Uint32  [train count]  this epoch's sample order (the seeded shuffle)
//   sync      step-sync.ts           the step's rendezvous: which shards ran, which chunks are summed
//   datasets  images + labels        train / validation / test, shared once per job
//
// Determinism: a batch is cut into micro-shards of a size fixed by the job; shard s covers
// order[batchStart + s*shard .. ) and writes only its own buffer; the grad tasks then sum them in
// shard order (float32 adds) over parameter chunks of a fixed size (REDUCE_CHUNK), each chunk's sum
// of squares is kept apart and added in chunk order, and the optimizer is element-wise, so which
// thread ran what never changes a bit of the result. Batch norm is ghost batch norm: each shard
// normalises with its own statistics and writes them to its slot; after the step the main thread
// folds the slots into the running statistics in shard order (pool-step.ts). Augmentation draws
// from (seed, epoch, dataset index of the sample), never from the thread or the shard.
// The main thread only orchestrates.
import type { Confusion } from '../src/engine/confusion.js';
import type { ModelSpec } from '../src/engine/spec.js';
import type { AugmentSpec } from '../src/engine/index.js';
import type { ResolvedOptimizerConfig } from '../src/engine/optim/index.js';

/** Parameters per chunk of the gradient sum: fixed, so the gradient norm's summation order is too
 *  (each chunk's sum of squares is kept apart and they are added in chunk order). */
export const REDUCE_CHUNK = 1 << 15;

/** [from, to) ranges of whole chunks over P parameters, `parts` of them at most: one task per thread
 *  (a task costs a thread round trip; more tasks than threads only adds round trips). */
export function reduceRanges(P: number, parts: number): Array<[number, number]> {
  const chunks = Math.ceil(P / REDUCE_CHUNK);
  const n = Math.max(1, Math.min(parts, chunks));
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    const from = Math.floor((i * chunks) / n) * REDUCE_CHUNK;
    const to = Math.min(Math.floor(((i + 1) * chunks) / n) * REDUCE_CHUNK, P);
    ranges.push([from, to]);
  }
  return ranges;
}

export interface SharedDataset {
  shape: [number, number, number];
  classes: number;
  count: number;
  /** Uint8 pixels (the thread divides by 255) or Float32 values used as given. */
  images: SharedArrayBuffer;
  imagesOffset: number;
  float: boolean;
  labels: SharedArrayBuffer;
  labelsOffset: number;
}

export interface JobContext {
  /** `${jobId}#${attempt}`: threads cache one model per key. */
  key: string;
  model: ModelSpec;
  seed: number;
  loss: 'cross-entropy' | 'mse';
  /** training.labelSmoothing (0: none). */
  labelSmoothing: number;
  /** training.augment: applied to each training sample in the grad task. */
  augment: AugmentSpec | undefined;
  paramCount: number;
  weights: SharedArrayBuffer;
  /** Batch norm's running statistics [bufferCount] and the shards' batch statistics [maxShards x bufferCount]. */
  bufferCount: number;
  running: SharedArrayBuffer;
  batchStats: SharedArrayBuffer;
  slots: SharedArrayBuffer;
  gradSum: SharedArrayBuffer;
  optimizer: { config: ResolvedOptimizerConfig; buffers: Record<string, SharedArrayBuffer> };
  order: SharedArrayBuffer;
  /** Largest micro-shard (samples): sizes the thread's input buffer. */
  shardSize: number;
  /** The step rendezvous (step-sync.ts), for steps of up to maxShards micro-shards. */
  sync: SharedArrayBuffer;
  maxShards: number;
  train: SharedDataset;
  validation?: SharedDataset | undefined;
  test?: SharedDataset | undefined;
}

/**
 * Forward + backward on order[from..to) of the train set into micro-shard `slot`'s buffer; then,
 * with the step's other grad tasks (step-sync.ts), gradSum += the other shards' slots, chunk by
 * chunk, and with `update` (no clipping) the optimizer on each chunk while it is in cache.
 */
export interface GradTask {
  kind: 'grad';
  ctx: JobContext;
  slot: number;
  /** Micro-shards in this step. */
  shards: number;
  from: number;
  to: number;
  /** 1 / (samples in the whole batch): shard gradients add up to the batch mean. */
  scale: number;
  /** Update number (dropout masks) and 0-based epoch (augmentation). */
  step: number;
  epoch: number;
  update?: Update | undefined;
}

/** One optimizer update of weights[from..to): its learning rate and update number (0-based). */
export interface Update {
  lr: number;
  step: number;
}

/** gradSum[from..to) *= scale (clipping, when scale < 1), then the optimizer on the chunk. */
export interface ApplyTask {
  kind: 'apply';
  ctx: JobContext;
  from: number;
  to: number;
  scale: number;
  update: Update;
}

/** Inference loss and accuracy on samples [from, to) of a split. */
export interface EvalTask {
  kind: 'eval';
  ctx: JobContext;
  split: 'validation' | 'test';
  from: number;
  to: number;
  /** Also count a confusion matrix, keeping this many most-confused samples (pool-step.ts). */
  confusion?: { classes: number; keep: number };
}

/** Class probabilities for `n` inputs with the given weights (the predict queue). */
export interface PredictTask {
  kind: 'predict';
  key: string;
  model: ModelSpec;
  weights: SharedArrayBuffer;
  /** Batch norm's running statistics (model.buffers order). */
  running: SharedArrayBuffer;
  inputs: Float32Array;
  n: number;
}

export type Task = GradTask | ApplyTask | EvalTask | PredictTask;

/** grad: GradResult; eval: LossResult; apply: TaskTiming; predict: probabilities. */
export type TaskResult = GradResult | LossResult | TaskTiming | Float32Array;

/** Where a task ran and how long the engine took in it (workers/step-timing.ts adds these up). */
export interface TaskTiming {
  /** The pool thread's id (worker_threads threadId). */
  thread: number;
  /** Milliseconds in the engine: forward/backward for grad and eval, the optimizer for apply. */
  ms: number;
}

export interface LossResult extends TaskTiming {
  lossSum: number;
  correct: number;
  /** When the task asked for one. */
  confusion?: Confusion;
}

export interface GradResult extends LossResult {
  /** Summing gradient chunks and the optimizer on them (ms); busyMs is the whole task, waits for
   *  the other shards included. `ms` is the forward/backward alone. */
  reduceMs: number;
  busyMs: number;
}
