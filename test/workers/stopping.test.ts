// The stopping rules (workers/stopping.ts): target accuracy, patience, the last epoch, max runtime.
import { describe, expect, it } from 'vitest';
import type { EpochMetrics } from '../../src/contracts/index.js';
import { outOfTime, stopAfterEpoch, type Patience } from '../../workers/stopping.js';

const epoch = (n: number, m: Partial<EpochMetrics> = {}): EpochMetrics => ({ epoch: n, loss: 1, accuracy: 0.5, ...m });
const fresh = (): Patience => ({ bestLoss: null, epochsWithoutImprovement: 0 });

describe('stopAfterEpoch', () => {
  it('without rules, stops after the last epoch only', () => {
    expect(stopAfterEpoch(undefined, epoch(2), 3, fresh())).toBeUndefined();
    expect(stopAfterEpoch(undefined, epoch(3), 3, fresh())).toBe('epochs');
  });

  it('target accuracy watches validation, else test, else train accuracy; it wins over the last epoch', () => {
    const rules = { targetAccuracy: 0.8 };
    expect(stopAfterEpoch(rules, epoch(1, { accuracy: 0.9, valAccuracy: 0.7 }), 5, fresh())).toBeUndefined();
    expect(stopAfterEpoch(rules, epoch(1, { accuracy: 0.5, valAccuracy: 0.8 }), 5, fresh())).toBe('target-accuracy');
    expect(stopAfterEpoch(rules, epoch(1, { accuracy: 0.5, testAccuracy: 0.85 }), 5, fresh())).toBe('target-accuracy');
    expect(stopAfterEpoch(rules, epoch(1, { accuracy: 0.8 }), 5, fresh())).toBe('target-accuracy');
    expect(stopAfterEpoch(rules, epoch(5, { accuracy: 0.9 }), 5, fresh())).toBe('target-accuracy');
  });

  it('patience counts epochs without a new best loss (validation, else train) and carries its counters', () => {
    const rules = { patience: 2 };
    const p = fresh();
    expect(stopAfterEpoch(rules, epoch(1, { loss: 1, valLoss: 0.9 }), 10, p)).toBeUndefined();
    expect(p).toEqual({ bestLoss: 0.9, epochsWithoutImprovement: 0 });
    expect(stopAfterEpoch(rules, epoch(2, { loss: 0.5, valLoss: 0.95 }), 10, p)).toBeUndefined();
    expect(p.epochsWithoutImprovement).toBe(1);
    // a resumed run goes on counting from the checkpointed counters
    const resumed = { ...p };
    expect(stopAfterEpoch(rules, epoch(3, { valLoss: 0.9 }), 10, resumed)).toBe('patience');
    expect(stopAfterEpoch(rules, epoch(3, { valLoss: 0.8 }), 10, { ...p })).toBeUndefined();
    const train = fresh();
    stopAfterEpoch(rules, epoch(1, { loss: 0.7 }), 10, train);
    expect(train.bestLoss).toBe(0.7);
  });

  it('patience does not move in an epoch that reached the target accuracy', () => {
    const p = { bestLoss: 0.5, epochsWithoutImprovement: 1 };
    expect(stopAfterEpoch({ patience: 2, targetAccuracy: 0.6 }, epoch(4, { loss: 0.9, accuracy: 0.7 }), 10, p)).toBe('target-accuracy');
    expect(p).toEqual({ bestLoss: 0.5, epochsWithoutImprovement: 1 });
  });
});

describe('outOfTime', () => {
  it('holds once the attempts together ran for maxRuntimeSeconds', () => {
    expect(outOfTime(undefined, 1e12)).toBe(false);
    expect(outOfTime({ patience: 3 }, 1e12)).toBe(false);
    expect(outOfTime({ maxRuntimeSeconds: 60 }, 59_999)).toBe(false);
    expect(outOfTime({ maxRuntimeSeconds: 60 }, 60_000)).toBe(true);
  });
});
