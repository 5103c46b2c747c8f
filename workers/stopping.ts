// When training stops (the `completed` event's reason), from the job's `stopping` rules:
//   target-accuracy  after an epoch, accuracy (validation, else test, else train) >= targetAccuracy
//   patience         `patience` epochs in a row without a new best loss (validation, else train)
//   epochs           the last epoch is done
//   max-runtime      after any step, the attempts' wall time reached maxRuntimeSeconds
// Pure: the patience counters live in the job's TrainState (checkpoint.ts), so a resumed run goes on counting.
import type { EpochMetrics, Stopping } from '../src/contracts/index.js';

export type StopReason = 'epochs' | 'target-accuracy' | 'patience' | 'max-runtime';

export interface Patience {
  bestLoss: number | null;
  epochsWithoutImprovement: number;
}

/**
 * Why training stops after epoch `m.epoch` of `epochs`, if it does. Updates the patience counters
 * in `patience` (they do not move when the target accuracy is reached).
 */
export function stopAfterEpoch(rules: Stopping | undefined, m: EpochMetrics, epochs: number, patience: Patience): StopReason | undefined {
  return earlyStop(rules, m, patience) ?? (m.epoch >= epochs ? 'epochs' : undefined);
}

function earlyStop(rules: Stopping | undefined, m: EpochMetrics, patience: Patience): StopReason | undefined {
  if (!rules) return undefined;
  const acc = m.valAccuracy ?? m.testAccuracy ?? m.accuracy;
  if (rules.targetAccuracy !== undefined && acc !== null && acc !== undefined && acc >= rules.targetAccuracy) {
    return 'target-accuracy';
  }
  if (rules.patience !== undefined) {
    const watched = m.valLoss ?? m.loss;
    if (watched !== null && watched !== undefined && (patience.bestLoss === null || watched < patience.bestLoss)) {
      patience.bestLoss = watched;
      patience.epochsWithoutImprovement = 0;
    } else if (++patience.epochsWithoutImprovement >= rules.patience) {
      return 'patience';
    }
  }
  return undefined;
}

/** True once the job has run for its maxRuntimeSeconds (checked after every step). */
export function outOfTime(rules: Stopping | undefined, elapsedMs: number): boolean {
  return rules?.maxRuntimeSeconds !== undefined && elapsedMs >= rules.maxRuntimeSeconds * 1000;
}
