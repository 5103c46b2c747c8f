// Where a training step's time goes, averaged per step over an epoch: logged with each 'epoch done'
// line and read by `npm run bench:parallel`.
//
// The critical path of a step is the engine time of its busiest thread in each phase: the
// forward/backward of the micro-shards (grad), then the optimizer (inside the reduce or apply
// tasks). Everything else on the step's wall clock is the pool's overhead: posting tasks and
// collecting results, summing the shards' gradients, waking the main thread, Redis.
//   overhead   = 1 - (engineMs + optimizerMs) / stepMs
//   imbalance  = engineMs - engineMeanMs   (a thread idle while the other finishes its shard:
//                                          engine time on the critical path, not overhead)
// Besides the means, the median and 90th percentile step: on a shared host a few slow steps (a
// neighbour's burst) move the mean; the median is the typical step, p90 shows the jitter.
import type { TaskTiming } from './protocol.js';

export interface StepPhases {
  gradMs: number;
  reduceMs: number;
  /** Clipping's second pass (scale + optimizer), 0 without clipping. */
  applyMs: number;
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
  /** Optimizer on the critical path. */
  optimizerMs: number;
  /** stepMs - engineMs - optimizerMs, and that over stepMs. */
  overheadMs: number;
  overhead: number;
}

const PHASES = ['gradMs', 'reduceMs', 'applyMs', 'redisMs'] as const;

/** The largest per-thread sum of ms. */
function busiest(results: readonly TaskTiming[]): number {
  const perThread = new Map<number, number>();
  for (const r of results) perThread.set(r.thread, (perThread.get(r.thread) ?? 0) + r.ms);
  return Math.max(0, ...perThread.values());
}

export class StepTiming {
  private steps = 0;
  private stepTimes: number[] = [];
  private sums = { gradMs: 0, reduceMs: 0, applyMs: 0, redisMs: 0, engineMs: 0, engineMeanMs: 0, optimizerMs: 0 };

  constructor(private readonly threads: number) {}

  record(phases: StepPhases, grads: readonly TaskTiming[], optimizer: readonly TaskTiming[]): void {
    this.steps++;
    this.stepTimes.push(PHASES.reduce((a, k) => a + phases[k], 0));
    for (const k of PHASES) this.sums[k] += phases[k];
    this.sums.engineMs += busiest(grads);
    this.sums.engineMeanMs += grads.reduce((a, r) => a + r.ms, 0) / Math.min(this.threads, grads.length);
    this.sums.optimizerMs += busiest(optimizer);
  }

  /** Per-step means since the last call (ms, 3 decimals), then starts over. */
  take(): StepTimingSummary {
    const n = Math.max(1, this.steps);
    const ms = (v: number) => Math.round(v * 1000) / 1000;
    const mean = (v: number) => ms(v / n);
    const sorted = this.stepTimes.sort((a, b) => a - b);
    const quantile = (q: number) => ms(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
    const s = this.sums;
    const stepMs = s.gradMs + s.reduceMs + s.applyMs + s.redisMs;
    const overheadMs = stepMs - s.engineMs - s.optimizerMs;
    const out: StepTimingSummary = {
      steps: this.steps,
      stepMs: mean(stepMs),
      stepMsP50: quantile(0.5),
      stepMsP90: quantile(0.9),
      gradMs: mean(s.gradMs),
      reduceMs: mean(s.reduceMs),
      applyMs: mean(s.applyMs),
      redisMs: mean(s.redisMs),
      engineMs: mean(s.engineMs),
      engineMeanMs: mean(s.engineMeanMs),
      optimizerMs: mean(s.optimizerMs),
      overheadMs: mean(overheadMs),
      overhead: stepMs > 0 ? Math.round((overheadMs / stepMs) * 10000) / 10000 : 0,
    };
    this.steps = 0;
    this.stepTimes = [];
    for (const k of Object.keys(s) as Array<keyof typeof s>) s[k] = 0;
    return out;
  }
}
