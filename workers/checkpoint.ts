// A job attempt's state, and the checkpoint that holds it. The container is safetensors
// (src/engine/safetensors.ts):
//
//   tensors   `weights` [P]                     the model's flat weights (model.params order)
//             `optimizer.<buffer>` [P]          the optimizer's per-element state (momentum, or m and v)
//             `buffers` [B]                     batch norm's running statistics (model.buffers order),
//                                               when the model has any
//   metadata  format  "convoy-checkpoint/1"
//             state   JSON: TrainState, plus who wrote it (jobId, attempt, savedAt) and the
//                     optimizer's config and update count
//
// Resuming from it reproduces an uninterrupted run bit for bit: the shuffle of epoch e is drawn from
// Rng(hashSeed(seed, e)), dropout from (seed, step, sample) and augmentation from (seed, epoch,
// sample), so weights + running statistics + optimizer state + the position (epoch, step) are the
// whole training state. The training loop (train.ts) holds one
// TrainState and checkpoints it as it is; resuming assigns the decoded one.
//
// Compatibility: checkpoints of earlier builds also carry `rng` (the shuffle stream's state, never
// read back: the order is recomputed from seed and epoch); decoding drops it. Checkpoints written
// before the workers kept running statistics have no `buffers`: the model's initial ones stay.
import { decodeSafetensors, encodeSafetensors, type NamedTensor, type OptimizerState } from '../src/engine/index.js';
import type { EpochMetrics } from '../src/contracts/index.js';
import type { StopReason } from './stopping.js';

const FORMAT = 'convoy-checkpoint/1';

/** Everything a job's training carries from step to step besides the tensors. */
export interface TrainState {
  /** 0-based epoch in progress and the steps of it already applied. */
  epoch: number;
  step: number;
  /** Optimizer updates applied since the start of the run. */
  globalStep: number;
  /** One entry per finished epoch. */
  history: EpochMetrics[];
  /** Running sums of the epoch in progress (for its train loss/accuracy: metrics.ts). */
  epochLossSum: number;
  epochCorrect: number;
  epochSeen: number;
  /** Wall time of the job's attempts so far, ms (for maxRuntimeSeconds). */
  elapsedMs: number;
  /** Patience bookkeeping (stopping.ts). */
  bestLoss: number | null;
  epochsWithoutImprovement: number;
  /** Times the job was handed back by a worker shutting down or making room (not crashes). */
  handoffs: number;
  /** Samples per micro-shard: part of the arithmetic, so a resumed run keeps the one it started with. */
  shardSize: number;
  /** The engine's kernel variant that computed these weights (src/engine/kernels/index.ts): part of
   *  the arithmetic too (FMA rounds once, plain SIMD twice), so only a process running the same
   *  variant resumes the job (admission.ts). Absent in checkpoints of earlier builds. */
  kernelVariant?: string;
  /** Set when training is over and only saving remains: why it stopped. */
  finished?: StopReason;
}

/** The state of a job that has not trained yet. */
export function initialTrainState(shardSize: number, kernelVariant?: string): TrainState {
  return {
    epoch: 0,
    step: 0,
    globalStep: 0,
    history: [],
    epochLossSum: 0,
    epochCorrect: 0,
    epochSeen: 0,
    elapsedMs: 0,
    bestLoss: null,
    epochsWithoutImprovement: 0,
    handoffs: 0,
    shardSize,
    ...(kernelVariant ? { kernelVariant } : {}),
  };
}

/** The metadata's `state` JSON. */
interface StoredState extends TrainState {
  jobId: string;
  attempt: number;
  optimizer: Omit<OptimizerState, 'buffers'>;
  savedAt: string;
}

/** The tensors of a training state: an attempt's (shared) buffers, or a checkpoint's copies. */
export interface TrainTensors {
  weights: Float32Array;
  /** Batch norm's running statistics (empty when the model has none). */
  running: Float32Array;
  optimizer: OptimizerState;
}

export interface Checkpoint {
  state: TrainState;
  /** The attempt that wrote it. */
  attempt: number;
  weights: Float32Array;
  /** Absent in checkpoints of earlier builds. */
  running: Float32Array | undefined;
  optimizer: OptimizerState;
}

export function encodeCheckpoint(state: TrainState, by: { jobId: string; attempt: number }, t: TrainTensors): Uint8Array {
  const { weights, running, optimizer } = t;
  const { buffers, ...counters } = optimizer;
  const tensors: NamedTensor[] = [{ name: 'weights', shape: [weights.length], data: weights }];
  if (running.length > 0) tensors.push({ name: 'buffers', shape: [running.length], data: running });
  for (const [name, data] of Object.entries(buffers)) tensors.push({ name: `optimizer.${name}`, shape: [data.length], data });
  const stored: StoredState = { ...by, ...state, optimizer: counters, savedAt: new Date().toISOString() };
  return encodeSafetensors(tensors, { format: FORMAT, state: JSON.stringify(stored) });
}

export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== FORMAT) throw new Error(`checkpoint: format ${JSON.stringify(metadata.format)}, expected ${FORMAT}`);
  const stored = JSON.parse(metadata.state ?? 'null') as (StoredState & { rng?: unknown }) | null;
  const weights = tensors.find((t) => t.name === 'weights')?.data;
  const running = tensors.find((t) => t.name === 'buffers')?.data;
  if (!stored || !weights) throw new Error('checkpoint: missing state or weights');
  const { jobId: _jobId, attempt, optimizer, savedAt: _savedAt, rng: _rng, ...state } = stored;
  const buffers: Record<string, Float32Array> = {};
  for (const t of tensors) if (t.name.startsWith('optimizer.')) buffers[t.name.slice('optimizer.'.length)] = t.data;
  return { state, attempt, weights, running, optimizer: { ...optimizer, buffers } };
}

/**
 * Copies a checkpoint's weights, running statistics and optimizer state into an attempt's (shared)
 * buffers, in place. Throws when they do not fit: another model or optimizer than the job's spec describes.
 */
export function restoreTensors(c: Checkpoint, to: TrainTensors): void {
  const { weights, running, optimizer } = to;
  if (c.weights.length !== weights.length) throw new Error('checkpoint does not match the model');
  if (c.running && c.running.length !== running.length) throw new Error('checkpoint does not match the model');
  const saved = c.optimizer;
  if (saved.config.type !== optimizer.config.type || saved.size !== optimizer.size) {
    throw new Error('checkpoint does not match the optimizer');
  }
  for (const [name, buffer] of Object.entries(optimizer.buffers)) {
    const from = saved.buffers[name];
    if (!from || from.length !== buffer.length) throw new Error(`checkpoint lacks optimizer buffer ${name}`);
    buffer.set(from);
  }
  weights.set(c.weights);
  if (c.running) running.set(c.running);
  optimizer.step = saved.step;
}

/** When a checkpoint is due between epoch ends: every N steps and/or every N seconds (0 = off). */
export function checkpointDue(every: { steps: number; seconds: number }, since: { steps: number; ms: number }): boolean {
  if (every.steps > 0 && since.steps >= every.steps) return true;
  return every.seconds > 0 && since.ms >= every.seconds * 1000;
}
