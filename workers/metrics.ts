// Loss and accuracy: pool tasks return sums (loss summed over samples, samples classified right),
// the main thread adds them up and divides once. The train metrics of an epoch are its steps'
// running sums (kept in the TrainState, so they survive a resume); validation and test are whole
// passes at the epoch's end.
import type { EpochMetrics, Metrics } from '../src/contracts/index.js';

/** What a pool task (or several) report: summed loss and correct predictions. */
export interface LossSums {
  lossSum: number;
  correct: number;
}

export interface Means {
  loss: number | null;
  accuracy: number | null;
}

/** The running sums of the epoch in progress (fields of the TrainState). */
export interface EpochTally {
  epochLossSum: number;
  epochCorrect: number;
  epochSeen: number;
}

export function sumLosses(results: readonly LossSums[]): LossSums {
  let lossSum = 0;
  let correct = 0;
  for (const r of results) {
    lossSum += r.lossSum;
    correct += r.correct;
  }
  return { lossSum, correct };
}

/** Mean loss and accuracy over `count` samples; nulls when there were none. */
export function means(sums: LossSums, count: number): Means {
  return count > 0 ? { loss: sums.lossSum / count, accuracy: sums.correct / count } : { loss: null, accuracy: null };
}

/** The train loss and accuracy of the epoch so far. */
export function epochMeans(t: EpochTally): Means {
  return means({ lossSum: t.epochLossSum, correct: t.epochCorrect }, t.epochSeen);
}

/** One step's sums into the epoch's. */
export function addStep(t: EpochTally, sums: LossSums, samples: number): void {
  t.epochLossSum += sums.lossSum;
  t.epochCorrect += sums.correct;
  t.epochSeen += samples;
}

/** An epoch's entry in the history: train means, then validation and test when the job has them. */
export function epochMetrics(
  epoch: number,
  tally: EpochTally,
  learningRate: number,
  seconds: number,
  evaluated: { validation?: Means | undefined; test?: Means | undefined },
): EpochMetrics {
  const m: EpochMetrics = { epoch, ...epochMeans(tally), learningRate, seconds };
  if (evaluated.validation) Object.assign(m, { valLoss: evaluated.validation.loss, valAccuracy: evaluated.validation.accuracy });
  if (evaluated.test) Object.assign(m, { testLoss: evaluated.test.loss, testAccuracy: evaluated.test.accuracy });
  return m;
}

/** The job's current metrics: the last epoch's, without its number, learning rate and time. */
export function latestMetrics(history: readonly EpochMetrics[]): Metrics {
  const last = history.at(-1);
  if (!last) return { loss: null, accuracy: null };
  const { epoch: _epoch, learningRate: _lr, seconds: _seconds, ...metrics } = last;
  return metrics;
}
