// Where a job is and how fast it goes: the document's `progress` and the `progress` events.
// Speed is this attempt's own (samples over the wall time of its steps, evaluation and Redis
// waits excluded); the ETA is the steps left at this attempt's mean step time.
import type { Progress } from '../src/contracts/index.js';

/** Samples this attempt trained and the wall time of the steps that trained them. */
export interface Throughput {
  samples: number;
  ms: number;
}

/** The run's shape: epochs, steps in each, samples per step. */
export interface ProgressPlan {
  epochs: number;
  stepsPerEpoch: number;
  batchSize: number;
}

/** 0-based epoch in progress and the steps of it done (a TrainState's position). */
export interface Position {
  epoch: number;
  step: number;
}

export function samplesPerSecond(t: Throughput): number | null {
  return t.ms > 0 ? (t.samples * 1000) / t.ms : null;
}

const tenths = (v: number) => Math.round(v * 10) / 10;

export function progressAt(at: Position, plan: ProgressPlan, t: Throughput): Progress {
  const totalSteps = plan.epochs * plan.stepsPerEpoch;
  const done = at.epoch * plan.stepsPerEpoch + at.step;
  const sps = samplesPerSecond(t);
  const stepMs = (t.ms / Math.max(1, t.samples)) * plan.batchSize;
  return {
    epoch: at.epoch + 1,
    epochs: plan.epochs,
    step: at.step,
    stepsPerEpoch: plan.stepsPerEpoch,
    percent: Math.min(100, (done / totalSteps) * 100),
    etaSeconds: sps ? Math.round(((totalSteps - done) * stepMs) / 100) / 10 : null,
    samplesPerSecond: sps === null ? null : tenths(sps),
  };
}

/** Progress once training is over: 100%, at the last epoch trained (all of it, at an epoch's end). */
export function finalProgress(at: Position, plan: ProgressPlan, t: Throughput): Progress {
  const epochEnd = at.step === 0 && at.epoch > 0;
  const sps = samplesPerSecond(t);
  return {
    epoch: epochEnd ? at.epoch : Math.min(at.epoch + 1, plan.epochs),
    epochs: plan.epochs,
    step: epochEnd ? plan.stepsPerEpoch : at.step,
    stepsPerEpoch: plan.stepsPerEpoch,
    percent: 100,
    etaSeconds: 0,
    samplesPerSecond: sps === null ? null : tenths(sps),
  };
}
