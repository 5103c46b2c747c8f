// Where a training step's time goes, averaged per step over an epoch: logged with each 'epoch done'
// line and read by `npm run bench:parallel`.
//
// The critical path of a step is its busiest thread's time in the step's tasks (step-sync.ts): the
// forward/backward of its micro-shards, then summing gradient chunks and stepping the optimizer on
// them (some of that work runs on a thread that finished first, while the slowest shard is still
// in its backward pass: hidden behind it), plus the 'apply' tasks with clipping. Everything else
// on the step's wall clock is the pool's overhead: posting tasks and collecting results, waking
// the main thread, Redis.
//   fwd/bwd    = the busiest thread's forward/backward
//   imbalance  = fwd/bwd - its mean over threads  (a thread idle while another finishes its shard)
//   optimizer  = critical path - fwd/bwd          (the reduce and optimizer not hidden)
//   overhead   = 1 - critical path / step
// Besides the means, the median and 90th percentile step: on a shared host a few slow steps (a
// neighbour's burst) move the mean; the median is the typical step, p90 shows the jitter.
import type { GradResult, TaskTiming } from './protocol.js';

type GradTiming = Pick<GradResult, 'thread' | 'ms' | 'reduceMs' | 'busyMs'>;

export interface StepPhases {
  /** The grad tasks: forward/backward, gradient sum and (without clipping) the optimizer. */
  gradMs: number;
  /** Clipping's second pass (scale + optimizer), 0 without clipping. */
  applyMs: number;
  /** Waiting for the last step's progress write (it goes to Redis while this step computes). */
  redisMs: number;
}

export interface StepTimingSummary extends StepPhases {
  steps: number;
  stepMs: number;
  /** Median and 90th percentile of the steps' wall-clock times. */
  stepMsP50: number;
  stepMsP90: number;
  /** Forward/backward on the critical path: the busiest thread's sum over its shards. */
  engineMs: number;
  /** Forward/backward per thread if the shards had been spread perfectly. */
  engineMeanMs: number;
  /** Gradient sum and optimizer on the critical path (not hidden behind the slowest shard). */
  optimizerMs: number;
  /** Gradient sum and optimizer work, all threads together. */
  optimizerWorkMs: number;
  /** stepMs - engineMs - optimizerMs, and that over stepMs. */
  overheadMs: number;
  overhead: number;
}

const PHASES = ['gradMs', 'applyMs', 'redisMs'] as const;

/** The largest per-thread sum of `ms(task)`. */
function busiest<T extends { thread: number }>(results: readonly T[], ms: (r: T) => number): number {
  const perThread = new Map<number, number>();
  for (const r of results) perThread.set(r.thread, (perThread.get(r.thread) ?? 0) + ms(r));
  return Math.max(0, ...perThread.values());
}

export class StepTiming {
  private steps = 0;
  private stepTimes: number[] = [];
  private sums = { gradMs: 0, applyMs: 0, redisMs: 0, engineMs: 0, engineMeanMs: 0, optimizerMs: 0, optimizerWorkMs: 0 };

  constructor(private readonly threads: number) {}

  /** One step: its phases' wall-clock times, its grad tasks and its apply tasks (clipping). */
  record(phases: StepPhases, grads: readonly GradTiming[], applied: readonly TaskTiming[]): void {
    this.steps++;
    this.stepTimes.push(PHASES.reduce((a, k) => a + phases[k], 0));
    for (const k of PHASES) this.sums[k] += phases[k];
    const engineMs = busiest(grads, (r) => r.ms);
    const criticalMs = busiest(grads, (r) => r.busyMs) + busiest(applied, (r) => r.ms);
    this.sums.engineMs += engineMs;
    this.sums.engineMeanMs += grads.reduce((a, r) => a + r.ms, 0) / Math.min(this.threads, grads.length);
    this.sums.optimizerMs += Math.max(0, criticalMs - engineMs);
    this.sums.optimizerWorkMs += grads.reduce((a, r) => a + r.reduceMs, 0) + applied.reduce((a, r) => a + r.ms, 0);
  }

  /** Per-step means since the last call (ms, 3 decimals), then starts over. */
  take(): StepTimingSummary {
    const n = Math.max(1, this.steps);
    const ms = (v: number) => Math.round(v * 1000) / 1000;
    const mean = (v: number) => ms(v / n);
    const sorted = this.stepTimes.sort((a, b) => a - b);
    const quantile = (q: number) => ms(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
    const s = this.sums;
    const stepMs = s.gradMs + s.applyMs + s.redisMs;
    const overheadMs = stepMs - s.engineMs - s.optimizerMs;
    const out: StepTimingSummary = {
      steps: this.steps,
      stepMs: mean(stepMs),
      stepMsP50: quantile(0.5),
      stepMsP90: quantile(0.9),
      gradMs: mean(s.gradMs),
      applyMs: mean(s.applyMs),
      redisMs: mean(s.redisMs),
      engineMs: mean(s.engineMs),
      engineMeanMs: mean(s.engineMeanMs),
      optimizerMs: mean(s.optimizerMs),
      optimizerWorkMs: mean(s.optimizerWorkMs),
      overheadMs: mean(overheadMs),
      overhead: stepMs > 0 ? Math.round((overheadMs / stepMs) * 10000) / 10000 : 0,
    };
    this.steps = 0;
    this.stepTimes = [];
    for (const k of Object.keys(s) as Array<keyof typeof s>) s[k] = 0;
    return out;
  }
}
