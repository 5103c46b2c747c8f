// What a job's spec means to the engine and to the loop: its seed, its optimizer and learning-rate
// schedule in the engine's terms, the sample order of each epoch, the micro-shard size, the step
// counts. Pure functions of the spec (and the training set's size): every attempt derives the same.
import { createHash } from 'node:crypto';
import { DEFAULT_MICRO_SHARD_SIZE, type JobSpec } from '../src/contracts/index.js';
import { hashSeed, learningRate, Rng, type LrSchedule, type OptimizerConfig } from '../src/engine/index.js';

/** The seed a job trains with: its own, else one derived from its id (stable across attempts). */
export function jobSeed(id: string, spec: JobSpec): number {
  if (spec.training.seed !== undefined) return spec.training.seed;
  const h = createHash('sha256').update(id).digest();
  return h.readUInt32LE(0);
}

/** Epoch e's sample order into `out`: a pure function of (seed, e), so a resumed run draws the same. */
export function epochOrder(out: Uint32Array, seed: number, epoch: number, shuffle: boolean): void {
  for (let i = 0; i < out.length; i++) out[i] = i;
  if (shuffle) new Rng(hashSeed(seed, epoch)).shuffle(out);
}

/**
 * Samples per micro-shard. Part of the arithmetic (the order of the gradient sum), so the job sets
 * it, never the pool; a resumed run keeps the one its checkpoint records.
 */
export function microShardSize(spec: JobSpec): number {
  return Math.min(spec.training.batchSize, spec.training.microShardSize ?? DEFAULT_MICRO_SHARD_SIZE);
}

/** The fields of `obj` named in `keys` that are set (the engine's defaults stand for the rest). */
const pickDefined = <K extends string>(obj: Record<string, unknown>, keys: K[]) =>
  Object.fromEntries(keys.filter((k) => obj[k] !== undefined).map((k) => [k, obj[k]]));

export function optimizerConfig(spec: JobSpec): OptimizerConfig {
  const o = spec.training.optimizer;
  if (o.type === 'sgd') return { type: 'sgd', ...pickDefined(o, ['momentum', 'nesterov', 'weightDecay']) };
  return { type: o.type, ...pickDefined(o, ['beta1', 'beta2', 'weightDecay']) };
}

export function lrSchedule(spec: JobSpec, stepsPerEpoch: number): LrSchedule {
  const s = spec.training.schedule;
  if (!s) return { type: 'constant' };
  if (s.type === 'oneCycle') return { type: 'oneCycle', ...pickDefined(s, ['pctStart', 'divFactor', 'finalDivFactor']) };
  const warmup = s.warmupSteps !== undefined ? { warmupSteps: s.warmupSteps } : {};
  switch (s.type) {
    case 'constant':
      return { type: 'constant', ...warmup };
    case 'step':
      return { type: 'step', stepSize: s.stepEpochs * stepsPerEpoch, gamma: s.gamma, ...warmup };
    case 'cosine':
      return { type: 'cosine', ...(s.minLearningRate !== undefined ? { minLr: s.minLearningRate } : {}), ...warmup };
  }
}

/** The loop's constants for one job. */
export interface TrainPlan {
  epochs: number;
  batchSize: number;
  stepsPerEpoch: number;
  /** Samples in the training set. */
  samples: number;
  shuffle: boolean;
  clipNorm: number | undefined;
  baseLr: number;
  schedule: LrSchedule;
}

export function trainPlan(spec: JobSpec, samples: number): TrainPlan {
  const { epochs, batchSize } = spec.training;
  const stepsPerEpoch = Math.ceil(samples / batchSize);
  return {
    epochs,
    batchSize,
    stepsPerEpoch,
    samples,
    shuffle: spec.training.shuffle ?? true,
    clipNorm: spec.training.clipNorm,
    baseLr: spec.training.optimizer.learningRate,
    schedule: lrSchedule(spec, stepsPerEpoch),
  };
}

/** The learning rate of update number `globalStep` (0-based). */
export function stepLr(plan: TrainPlan, globalStep: number): number {
  return learningRate(plan.schedule, plan.baseLr, globalStep, plan.epochs * plan.stepsPerEpoch);
}
