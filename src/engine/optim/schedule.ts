// Learning-rate schedules: the rate for the update with index `step` (0 for the
// first update of the run), given the base rate and the run's total updates.
//
// Warm-up (optional, any schedule): during the first W = warmupSteps updates the
// rate rises linearly, lr = baseLr * (step + 1) / W, so update W - 1 uses baseLr.
// After it the schedule runs on s = step - W over S = totalSteps - W updates:
//   constant  lr = baseLr
//   step      lr = baseLr * gamma^floor(s / stepSize)                 (torch StepLR, in updates)
//   cosine    lr = minLr + (baseLr - minLr) * (1 + cos(pi * s / S)) / 2 for s < S, minLr after
//             (torch CosineAnnealingLR with T_max = S, eta_min = minLr; the last of the
//             run's updates, s = S - 1, is one step short of minLr, as in PyTorch)
//
// oneCycle (torch OneCycleLR, cosine annealing, no momentum cycling; baseLr is its max_lr; it has
// its own warm-up): from initial = baseLr / divFactor up to baseLr, then down to
// initial / finalDivFactor, with U = pctStart * totalSteps - 1 and E = totalSteps - 1:
//   step <= U   lr = cos_anneal(initial, baseLr, step / U)
//   after       lr = cos_anneal(baseLr, initial / finalDivFactor, (step - U) / (E - U))
//   cos_anneal(a, b, t) = b + (a - b) * (1 + cos(pi * t)) / 2
import { assertNever } from '../spec.js';

export interface ConstantSchedule {
  type: 'constant';
  warmupSteps?: number;
}

export interface StepSchedule {
  type: 'step';
  stepSize: number; // updates between decays
  gamma?: number; // default 0.1, as torch StepLR
  warmupSteps?: number;
}

export interface CosineSchedule {
  type: 'cosine';
  minLr?: number; // default 0
  warmupSteps?: number;
}

export interface OneCycleSchedule {
  type: 'oneCycle';
  pctStart?: number; // share of the run spent rising; default 0.3, as torch
  divFactor?: number; // initial lr = baseLr / divFactor; default 25
  finalDivFactor?: number; // last lr = initial lr / finalDivFactor; default 1e4
}

export type LrSchedule = ConstantSchedule | StepSchedule | CosineSchedule | OneCycleSchedule;

/** The learning rate for update number `step` (0-based) of a run of `totalSteps` updates. */
export function learningRate(schedule: LrSchedule, baseLr: number, step: number, totalSteps: number): number {
  if (schedule.type === 'oneCycle') return oneCycle(schedule, baseLr, step, totalSteps);
  const warmup = schedule.warmupSteps ?? 0;
  if (step < warmup) return (baseLr * (step + 1)) / warmup;
  const s = step - warmup;
  switch (schedule.type) {
    case 'constant':
      return baseLr;
    case 'step':
      return baseLr * (schedule.gamma ?? 0.1) ** Math.floor(s / schedule.stepSize);
    case 'cosine': {
      const minLr = schedule.minLr ?? 0;
      const span = totalSteps - warmup;
      if (s >= span) return minLr;
      return minLr + ((baseLr - minLr) * (1 + Math.cos((Math.PI * s) / span))) / 2;
    }
    default:
      assertNever(schedule);
  }
}

function oneCycle(schedule: OneCycleSchedule, maxLr: number, step: number, totalSteps: number): number {
  const initial = maxLr / (schedule.divFactor ?? 25);
  const last = initial / (schedule.finalDivFactor ?? 1e4);
  const up = (schedule.pctStart ?? 0.3) * totalSteps - 1;
  const end = totalSteps - 1;
  const anneal = (from: number, to: number, t: number): number => to + ((from - to) / 2) * (Math.cos(Math.PI * Math.min(t, 1)) + 1);
  if (step <= up) return anneal(initial, maxLr, up > 0 ? step / up : 1); // up = 0: torch divides by zero
  return end > up ? anneal(maxLr, last, (step - up) / (end - up)) : last;
}

/** Rejects a schedule that cannot run, naming the field (`schedule.stepSize: ...`). */
export function validateSchedule(schedule: LrSchedule, baseLr: number): void {
  if (schedule.type === 'oneCycle') {
    const { pctStart = 0.3, divFactor = 25, finalDivFactor = 1e4 } = schedule;
    if (!(pctStart > 0 && pctStart < 1)) throw new RangeError(`schedule.pctStart: ${pctStart} must be in (0, 1)`);
    if (!(divFactor >= 1 && Number.isFinite(divFactor))) throw new RangeError(`schedule.divFactor: ${divFactor} must be >= 1`);
    if (!(finalDivFactor >= 1 && Number.isFinite(finalDivFactor))) {
      throw new RangeError(`schedule.finalDivFactor: ${finalDivFactor} must be >= 1`);
    }
    return;
  }
  const warmup = schedule.warmupSteps ?? 0;
  if (!Number.isSafeInteger(warmup) || warmup < 0) {
    throw new RangeError(`schedule.warmupSteps: ${warmup} must be an integer >= 0`);
  }
  switch (schedule.type) {
    case 'constant':
      return;
    case 'step': {
      if (!Number.isSafeInteger(schedule.stepSize) || schedule.stepSize < 1) {
        throw new RangeError(`schedule.stepSize: ${schedule.stepSize} must be an integer >= 1`);
      }
      const gamma = schedule.gamma ?? 0.1;
      if (!Number.isFinite(gamma) || gamma <= 0 || gamma > 1) throw new RangeError(`schedule.gamma: ${gamma} must be in (0, 1]`);
      return;
    }
    case 'cosine': {
      const minLr = schedule.minLr ?? 0;
      if (!Number.isFinite(minLr) || minLr < 0 || minLr > baseLr) {
        throw new RangeError(`schedule.minLr: ${minLr} must be in [0, learningRate = ${baseLr}]`);
      }
      return;
    }
    default:
      assertNever(schedule);
  }
}
