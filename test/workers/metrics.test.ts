// Loss and accuracy from the pool's sums (workers/metrics.ts): averaged in one place for progress
// events, epoch metrics, evaluation and a cancelled job's metrics.
import { describe, expect, it } from 'vitest';
import { addStep, epochMeans, epochMetrics, latestMetrics, means, sumLosses } from '../../workers/metrics.js';

describe('metrics', () => {
  it('adds task sums and divides once; no samples give nulls', () => {
    const sums = sumLosses([
      { lossSum: 3, correct: 2 },
      { lossSum: 1.5, correct: 4 },
    ]);
    expect(sums).toEqual({ lossSum: 4.5, correct: 6 });
    expect(means(sums, 8)).toEqual({ loss: 0.5625, accuracy: 0.75 });
    expect(means(sums, 0)).toEqual({ loss: null, accuracy: null });
  });

  it('keeps the running sums of the epoch in progress', () => {
    const tally = { epochLossSum: 0, epochCorrect: 0, epochSeen: 0 };
    expect(epochMeans(tally)).toEqual({ loss: null, accuracy: null });
    addStep(tally, { lossSum: 8, correct: 3 }, 4);
    addStep(tally, { lossSum: 2, correct: 1 }, 4);
    expect(tally).toEqual({ epochLossSum: 10, epochCorrect: 4, epochSeen: 8 });
    expect(epochMeans(tally)).toEqual({ loss: 1.25, accuracy: 0.5 });
  });

  it("an epoch's entry carries validation and test only when the job has them", () => {
    const tally = { epochLossSum: 6, epochCorrect: 3, epochSeen: 4 };
    const train = epochMetrics(2, tally, 0.01, 1.5, {});
    expect(train).toEqual({ epoch: 2, loss: 1.5, accuracy: 0.75, learningRate: 0.01, seconds: 1.5 });
    expect(Object.keys(train)).not.toContain('valLoss');
    const both = epochMetrics(2, tally, 0.01, 1.5, { validation: { loss: 0.4, accuracy: 0.9 }, test: { loss: 0.5, accuracy: 0.8 } });
    expect(both).toMatchObject({ valLoss: 0.4, valAccuracy: 0.9, testLoss: 0.5, testAccuracy: 0.8 });
    expect(epochMetrics(2, tally, 0.01, 1.5, { test: { loss: 0.5, accuracy: 0.8 } })).not.toHaveProperty('valLoss');
  });

  it("the job's metrics are the last epoch's, without its number, learning rate and time", () => {
    expect(latestMetrics([])).toEqual({ loss: null, accuracy: null });
    const history = [
      { epoch: 1, loss: 2, accuracy: 0.1, learningRate: 0.1, seconds: 1 },
      { epoch: 2, loss: 1, accuracy: 0.5, valLoss: 1.2, valAccuracy: 0.4, learningRate: 0.1, seconds: 1 },
    ];
    expect(latestMetrics(history)).toEqual({ loss: 1, accuracy: 0.5, valLoss: 1.2, valAccuracy: 0.4 });
  });
});
