// Learning-rate schedules at their key steps, against values read off PyTorch's
// schedulers (torch 2.13: CosineAnnealingLR(T_max=100, eta_min=0.1) on lr 1.0,
// StepLR(step_size=10, gamma=0.5) on lr 0.3, the lr in effect for each update).
import { describe, expect, it } from 'vitest';
import { learningRate, validateSchedule, type LrSchedule } from '../../src/engine/optim/index.js';

const lrAt = (schedule: LrSchedule, base: number, steps: number[], total: number): number[] =>
  steps.map((s) => learningRate(schedule, base, s, total));

describe('learningRate', () => {
  it('constant: the base rate at every step', () => {
    expect(lrAt({ type: 'constant' }, 0.01, [0, 1, 999, 5000], 1000)).toEqual([0.01, 0.01, 0.01, 0.01]);
  });

  it('step: multiplies by gamma every stepSize updates, as torch StepLR', () => {
    const steps = [0, 9, 10, 19, 20, 30];
    const torch = [0.3, 0.3, 0.15, 0.15, 0.075, 0.0375];
    lrAt({ type: 'step', stepSize: 10, gamma: 0.5 }, 0.3, steps, 100).forEach((lr, i) => {
      expect(lr).toBeCloseTo(torch[i]!, 15);
    });
    // gamma defaults to 0.1, as in PyTorch
    expect(learningRate({ type: 'step', stepSize: 3 }, 1, 6, 10)).toBeCloseTo(0.01, 15);
  });

  it('cosine: from the base rate down to minLr over totalSteps, as torch CosineAnnealingLR', () => {
    const steps = [0, 1, 25, 50, 75, 99, 100];
    const torch = [1.0, 0.9997779521645792, 0.8681980515339464, 0.5500000000000002, 0.231801948466054, 0.10022204783542078, 0.1];
    lrAt({ type: 'cosine', minLr: 0.1 }, 1, steps, 100).forEach((lr, i) => {
      expect(lr).toBeCloseTo(torch[i]!, 12);
    });
    // past the end it stays at minLr (default 0)
    expect(learningRate({ type: 'cosine', minLr: 0.1 }, 1, 250, 100)).toBe(0.1);
    expect(learningRate({ type: 'cosine' }, 1, 100, 100)).toBe(0);
  });

  it('cosine never increases', () => {
    const lrs = lrAt(
      { type: 'cosine', minLr: 0.001 },
      0.1,
      Array.from({ length: 120 }, (_, i) => i),
      100,
    );
    for (let i = 1; i < lrs.length; i++) expect(lrs[i]!).toBeLessThanOrEqual(lrs[i - 1]!);
  });

  it('warm-up rises linearly to the base rate over warmupSteps, then the schedule starts from its own step 0', () => {
    const warm = lrAt({ type: 'constant', warmupSteps: 4 }, 0.2, [0, 1, 2, 3, 4, 100], 200);
    [0.05, 0.1, 0.15, 0.2, 0.2, 0.2].forEach((lr, i) => {
      expect(warm[i]).toBeCloseTo(lr, 15);
    });
    // step schedule shifted by the warm-up: its first decay comes stepSize updates after it
    expect(lrAt({ type: 'step', stepSize: 10, gamma: 0.5, warmupSteps: 5 }, 1, [0, 4, 5, 14, 15], 100)).toEqual([0.2, 1, 1, 1, 0.5]);
    // cosine spans the updates after the warm-up: with 10 of 110, the midpoint is update 60
    const cosine: LrSchedule = { type: 'cosine', minLr: 0.1, warmupSteps: 10 };
    expect(learningRate(cosine, 1, 0, 110)).toBeCloseTo(0.1, 15);
    expect(learningRate(cosine, 1, 9, 110)).toBe(1);
    expect(learningRate(cosine, 1, 10, 110)).toBe(1);
    expect(learningRate(cosine, 1, 60, 110)).toBeCloseTo(0.55, 12);
    expect(learningRate(cosine, 1, 110, 110)).toBe(0.1);
  });
});

// Read off torch 1.13's OneCycleLR(SGD lr 0.1, ..., cycle_momentum=False): param_groups[0]['lr'] before
// each optimizer step k (so the lr update k uses), /usr/bin/python3 with Debian's python3-torch.
describe('oneCycle, as torch OneCycleLR (cosine annealing)', () => {
  it('defaults: pct_start 0.3, div_factor 25, final_div_factor 1e4 (max_lr 0.1, 100 steps)', () => {
    const torch: Record<number, number> = {
      0: 0.0040000000000000036,
      1: 0.004281378056590748,
      15: 0.05459866761210004,
      28: 0.09971862194340926,
      29: 0.1,
      30: 0.09994965352845243,
      50: 0.0793893450575732,
      75: 0.026306861650082565,
      98: 5.07464715475788e-5,
      99: 4e-7,
    };
    for (const [step, lr] of Object.entries(torch)) {
      expect(learningRate({ type: 'oneCycle' }, 0.1, Number(step), 100), `step ${step}`).toBeCloseTo(lr, 14);
    }
  });

  it('pct_start 0.25, div_factor 10, final_div_factor 100 (max_lr 2, 37 steps: the peak falls between steps)', () => {
    const schedule: LrSchedule = { type: 'oneCycle', pctStart: 0.25, divFactor: 10, finalDivFactor: 100 };
    const torch: Record<number, number> = {
      0: 0.19999999999999996,
      3: 0.7261264882983021,
      8: 1.995924730315776,
      9: 1.9964010910539838,
      10: 1.9804582093133654,
      20: 1.2390203328317417,
      36: 0.002,
    };
    for (const [step, lr] of Object.entries(torch)) {
      expect(learningRate(schedule, 2, Number(step), 37), `step ${step}`).toBeCloseTo(lr, 13);
    }
  });

  it('rises, then falls, and stays at its last rate after the run', () => {
    const lrs = lrAt(
      { type: 'oneCycle' },
      1,
      Array.from({ length: 100 }, (_, i) => i),
      100,
    );
    const peak = lrs.indexOf(Math.max(...lrs));
    expect(peak).toBe(29);
    for (let i = 1; i < lrs.length; i++) expect(lrs[i]! >= lrs[i - 1]!).toBe(i <= peak);
    expect(learningRate({ type: 'oneCycle' }, 1, 150, 100)).toBeCloseTo(1 / 25 / 1e4, 15);
  });
});

describe('validateSchedule', () => {
  it('accepts the valid ones', () => {
    expect(() => validateSchedule({ type: 'oneCycle', pctStart: 0.1, divFactor: 10, finalDivFactor: 1 }, 0.1)).not.toThrow();
    expect(() => validateSchedule({ type: 'constant' }, 0.1)).not.toThrow();
    expect(() => validateSchedule({ type: 'step', stepSize: 5, gamma: 0.5, warmupSteps: 2 }, 0.1)).not.toThrow();
    expect(() => validateSchedule({ type: 'cosine', minLr: 0.01 }, 0.1)).not.toThrow();
  });

  it('names the bad field', () => {
    expect(() => validateSchedule({ type: 'step', stepSize: 0 }, 0.1)).toThrow(/schedule.stepSize/);
    expect(() => validateSchedule({ type: 'step', stepSize: 2.5 }, 0.1)).toThrow(/schedule.stepSize/);
    expect(() => validateSchedule({ type: 'step', stepSize: 2, gamma: 0 }, 0.1)).toThrow(/schedule.gamma/);
    expect(() => validateSchedule({ type: 'cosine', minLr: 0.5 }, 0.1)).toThrow(/schedule.minLr/);
    expect(() => validateSchedule({ type: 'constant', warmupSteps: -1 }, 0.1)).toThrow(/schedule.warmupSteps/);
    expect(() => validateSchedule({ type: 'oneCycle', pctStart: 1 }, 0.1)).toThrow(/schedule.pctStart/);
    expect(() => validateSchedule({ type: 'oneCycle', divFactor: 0.5 }, 0.1)).toThrow(/schedule.divFactor/);
    expect(() => validateSchedule({ type: 'oneCycle', finalDivFactor: Number.NaN }, 0.1)).toThrow(/schedule.finalDivFactor/);
  });
});
