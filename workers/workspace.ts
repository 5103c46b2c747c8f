// One attempt's memory: the SharedArrayBuffers protocol.ts describes, allocated once and handed to
// every pool task of the attempt (posting a SharedArrayBuffer shares it, nothing is copied).
import type { JobSpec } from '../src/contracts/index.js';
import { bufferNames, createModel, resolveOptimizerConfig, type Model, type OptimizerState } from '../src/engine/index.js';
import { JobDataError, share, type JobData } from './data.js';
import { optimizerConfig } from './job-plan.js';
import type { JobContext } from './protocol.js';
import { StepSync } from './step-sync.js';

export interface Workspace {
  /** The engine's model: its parameter table (and, until a checkpoint or initial weights replace
   *  them, the initial weights copied into `weights`). */
  model: Model;
  weights: Float32Array;
  /** Batch norm's running statistics, bound as the model's buffers (shared with the threads), and
   *  the step's per-shard batch statistics, one slot of model.bufferCount values per shard. */
  running: Float32Array;
  batchStats: Float32Array;
  /** The summed gradient of the last step (its per-tensor norms go into the `epoch` event). */
  gradSum: Float32Array;
  /** The optimizer's state; its buffers are views of SharedArrayBuffers the threads update. */
  optimizer: OptimizerState;
  /** This epoch's sample order (job-plan.ts epochOrder). */
  order: Uint32Array;
  ctx: JobContext;
  sync: StepSync;
}

function sharedFloats(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(Math.max(1, n) * 4), 0, n);
}

/** `key` names the attempt (threads cache one model per key); `seed` initialises the weights. */
export function createWorkspace(key: string, spec: JobSpec, seed: number, data: JobData, shardSize: number): Workspace {
  const model = createModel(spec.model, { seed });
  if (data.train.classes > model.classes) {
    throw new JobDataError(`the dataset has ${data.train.classes} classes but the model outputs ${model.classes} scores`, 'dataset');
  }
  const P = model.paramCount;
  const weights = sharedFloats(P);
  weights.set(model.weights);
  const gradSum = sharedFloats(P);
  const B = model.bufferCount;
  const running = sharedFloats(B);
  running.set(model.bufferValues);
  model.bindBuffers(running);
  const shards = Math.ceil(spec.training.batchSize / shardSize);
  const order = new Uint32Array(new SharedArrayBuffer(data.train.count * 4));
  const config = resolveOptimizerConfig(optimizerConfig(spec));
  const batchStats = sharedFloats(shards * B);
  const buffers = Object.fromEntries(bufferNames(config).map((name) => [name, sharedFloats(P)]));
  const ctx: JobContext = {
    key,
    model: spec.model,
    seed,
    loss: spec.training.loss ?? 'cross-entropy',
    labelSmoothing: spec.training.labelSmoothing ?? 0,
    augment: spec.training.augment,
    paramCount: P,
    weights: weights.buffer as SharedArrayBuffer,
    bufferCount: B,
    running: running.buffer as SharedArrayBuffer,
    batchStats: batchStats.buffer as SharedArrayBuffer,
    slots: new SharedArrayBuffer(Math.max(1, (shards - 1) * P) * 4),
    gradSum: gradSum.buffer as SharedArrayBuffer,
    optimizer: {
      config,
      buffers: Object.fromEntries(Object.entries(buffers).map(([k, b]) => [k, b.buffer as SharedArrayBuffer])),
    },
    order: order.buffer as SharedArrayBuffer,
    shardSize,
    sync: StepSync.allocate(shards, P),
    maxShards: shards,
    train: share(data.train),
    validation: data.validation && share(data.validation),
    test: data.test && share(data.test),
  };
  const optimizer: OptimizerState = { config, size: P, step: 0, buffers };
  return { model, weights, running, batchStats, gradSum, optimizer, order, ctx, sync: new StepSync(ctx.sync, shards, P) };
}
