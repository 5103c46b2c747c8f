// A training checkpoint <-> bytes. The container is safetensors (src/engine/safetensors.ts):
//
//   tensors   `weights` [P]                     the model's flat weights (model.params order)
//             `optimizer.<buffer>` [P]          the optimizer's per-element state (momentum, or m and v)
//   metadata  format  "convoy-checkpoint/1"
//             state   JSON of CheckpointState   position, RNG, history, counters, optimizer config/step
//
// Resuming from it reproduces an uninterrupted run bit for bit: the shuffle of epoch e is drawn from
// Rng(hashSeed(seed, e)) and dropout from (seed, step, sample), so weights + optimizer state + the
// position (epoch, step) are the whole training state.
import { decodeSafetensors, encodeSafetensors } from '../src/engine/safetensors.js';
import type { OptimizerState } from '../src/engine/optim/index.js';
import type { EpochMetrics } from '../src/contracts/index.js';

const FORMAT = 'convoy-checkpoint/1';

export interface CheckpointState {
  jobId: string;
  /** The attempt that wrote it. */
  attempt: number;
  /** 0-based epoch in progress and the steps of it already applied. */
  epoch: number;
  step: number;
  /** Optimizer updates applied since the start of the run. */
  globalStep: number;
  /** The shuffle stream: epoch e's order is Rng(hashSeed(seed, e)).shuffle(0..n-1). */
  rng: { seed: number; epoch: number; state: [number, number, number, number] };
  history: EpochMetrics[];
  /** Running sums of the epoch in progress (for its train loss/accuracy). */
  epochLossSum: number;
  epochCorrect: number;
  epochSeen: number;
  /** Training time before this attempt, ms (for maxRuntimeSeconds and ETA). */
  elapsedMs: number;
  /** Patience bookkeeping. */
  bestLoss: number | null;
  epochsWithoutImprovement: number;
  /** Times the job was handed back by a worker shutting down (not crashes). */
  handoffs: number;
  /** Samples per micro-shard: part of the arithmetic, so a resumed run keeps the one it started with. */
  shardSize: number;
  /** Set when training is over and only saving remains: why it stopped. */
  finished?: 'epochs' | 'target-accuracy' | 'patience' | 'max-runtime';
  optimizer: Omit<OptimizerState, 'buffers'>;
  savedAt: string;
}

export interface Checkpoint {
  state: CheckpointState;
  weights: Float32Array;
  optimizer: OptimizerState;
}

export function encodeCheckpoint(state: CheckpointState, weights: Float32Array, optimizer: OptimizerState): Uint8Array {
  const tensors = [{ name: 'weights', shape: [weights.length], data: weights }];
  for (const [name, data] of Object.entries(optimizer.buffers)) {
    tensors.push({ name: `optimizer.${name}`, shape: [data.length], data });
  }
  return encodeSafetensors(tensors, { format: FORMAT, state: JSON.stringify(state) });
}

export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== FORMAT) throw new Error(`checkpoint: format ${JSON.stringify(metadata.format)}, expected ${FORMAT}`);
  const state = JSON.parse(metadata.state ?? 'null') as CheckpointState;
  const weights = tensors.find((t) => t.name === 'weights')?.data;
  if (!state || !weights) throw new Error('checkpoint: missing state or weights');
  const buffers: Record<string, Float32Array> = {};
  for (const t of tensors) if (t.name.startsWith('optimizer.')) buffers[t.name.slice('optimizer.'.length)] = t.data;
  return { state, weights, optimizer: { ...state.optimizer, buffers } };
}
