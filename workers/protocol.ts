// What crosses from the worker's main thread to a pool thread (workers/thread.ts) and back.
//
// Per job, the main thread allocates SharedArrayBuffers once and every task carries the same
// handles (posting a SharedArrayBuffer shares it, nothing is copied):
//
//   weights   Float32 [P]            the model's weights; only the main thread's optimizer writes them,
//                                    and only between steps, when no task of the job is running
//   slots     Float32 [S x P]        one gradient slot per micro-shard of a batch; shard s writes slot s
//   gradSum   Float32 [P]            the batch gradient: slots summed in slot order (reduce tasks)
//   order     Uint32  [train count]  this epoch's sample order (the seeded shuffle)
//   datasets  images + labels        train / validation / test, copied in once per job
//
// Determinism: a batch is cut into micro-shards of a size fixed by the job; shard s covers
// order[batchStart + s*shard .. ), writes only slot s, and the reduce sums slots 0..S-1 in that
// order over fixed parameter chunks. Which thread ran what never changes a bit of the result.
import type { ModelSpec } from '../src/engine/spec.js';

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
  paramCount: number;
  weights: SharedArrayBuffer;
  slots: SharedArrayBuffer;
  gradSum: SharedArrayBuffer;
  order: SharedArrayBuffer;
  /** Largest micro-shard (samples): sizes the thread's input buffer. */
  shardSize: number;
  train: SharedDataset;
  validation?: SharedDataset | undefined;
  test?: SharedDataset | undefined;
}

/** Forward + backward on order[from..to) of the train set into gradient slot `slot`. */
export interface GradTask {
  kind: 'grad';
  ctx: JobContext;
  slot: number;
  from: number;
  to: number;
  /** 1 / (samples in the whole batch): shard gradients add up to the batch mean. */
  scale: number;
  step: number;
}

/** gradSum[from..to) = sum of slots 0..slotCount-1 over that range; returns the sum of squares. */
export interface ReduceTask {
  kind: 'reduce';
  ctx: JobContext;
  slotCount: number;
  from: number;
  to: number;
}

/** Inference loss and accuracy on samples [from, to) of a split. */
export interface EvalTask {
  kind: 'eval';
  ctx: JobContext;
  split: 'validation' | 'test';
  from: number;
  to: number;
}

/** Class probabilities for `n` inputs with the given weights (the predict queue). */
export interface PredictTask {
  kind: 'predict';
  key: string;
  model: ModelSpec;
  weights: SharedArrayBuffer;
  inputs: Float32Array;
  n: number;
}

export type Task = GradTask | ReduceTask | EvalTask | PredictTask;

export interface LossResult {
  lossSum: number;
  correct: number;
  /** Milliseconds spent in the engine (for the pool-overhead figure). */
  ms: number;
}
