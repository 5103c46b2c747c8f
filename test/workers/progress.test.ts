// The `progress` figures of a job (workers/progress.ts): where it is, how fast it goes, when it ends.
import { describe, expect, it } from 'vitest';
import { finalProgress, progressAt, samplesPerSecond } from '../../workers/progress.js';

const plan = { epochs: 4, stepsPerEpoch: 10, batchSize: 32 };

describe('progressAt', () => {
  it('reports the 1-based epoch, the steps done, the percent, samples/s and the ETA at the mean step time', () => {
    // 320 samples in 2 s: 160 samples/s, 200 ms per step of 32; 13 of 40 steps done, 27 left
    expect(progressAt({ epoch: 1, step: 3 }, plan, { samples: 320, ms: 2000 })).toEqual({
      epoch: 2,
      epochs: 4,
      step: 3,
      stepsPerEpoch: 10,
      percent: 32.5,
      etaSeconds: 5.4,
      samplesPerSecond: 160,
    });
  });

  it('has no speed and no ETA before this attempt has timed a step', () => {
    const p = progressAt({ epoch: 2, step: 0 }, plan, { samples: 0, ms: 0 });
    expect(p.samplesPerSecond).toBeNull();
    expect(p.etaSeconds).toBeNull();
    expect(p.percent).toBe(50);
  });

  it('rounds samples/s and the ETA to tenths', () => {
    const p = progressAt({ epoch: 0, step: 1 }, plan, { samples: 100, ms: 3000 });
    expect(p.samplesPerSecond).toBe(33.3);
    // 39 steps left at 3000 / 100 * 32 = 960 ms each
    expect(p.etaSeconds).toBe(37.4);
    expect(samplesPerSecond({ samples: 100, ms: 3000 })).toBeCloseTo(33.333, 3);
  });
});

describe('finalProgress', () => {
  const t = { samples: 640, ms: 1000 };

  it('at an epoch end: the epoch just trained, all of its steps', () => {
    expect(finalProgress({ epoch: 4, step: 0 }, plan, t)).toEqual({
      epoch: 4,
      epochs: 4,
      step: 10,
      stepsPerEpoch: 10,
      percent: 100,
      etaSeconds: 0,
      samplesPerSecond: 640,
    });
    // stopped early (patience) after epoch 2, and a one-epoch job
    expect(finalProgress({ epoch: 2, step: 0 }, plan, t)).toMatchObject({ epoch: 2, step: 10 });
    expect(finalProgress({ epoch: 1, step: 0 }, { ...plan, epochs: 1 }, t)).toMatchObject({ epoch: 1, step: 10, percent: 100 });
  });

  it('mid-epoch (max runtime): where it stopped, at 100%', () => {
    expect(finalProgress({ epoch: 1, step: 4 }, plan, t)).toMatchObject({ epoch: 2, step: 4, percent: 100, etaSeconds: 0 });
  });
});
