// What the reconciler (reconciler.ts) does with a job whose document and queue entry disagree.
// Pure: an observation in, an action out; the table in docs/operations.md ("How jobs recover").
//
//   an attempt holds the entry's lock ........................ nothing, ever (alive, maybe slow)
//   running     entry waiting / delayed ...................... nothing (a worker will claim it)
//               entry active, lock expired, workers alive .... nothing (BullMQ's stalled check hands it on)
//               entry active, lock expired, no worker alive .. ┐ the attempt is gone:
//               entry failed, completed or gone .............. ┘ back to the queue if a checkpoint
//                                                                 allows (hand-back), else failed `lost`
//   cancelling  entry waiting / delayed / active, workers alive  nothing (a worker takes it, sees the flag,
//                                                                 saves the partial weights)
//               no worker alive, or entry failed / completed / gone   cancelled
//   queued      entry failed, completed or gone .............. queued again (requeue)
import type { JobStatus } from '../contracts/index.js';

/** BullMQ's state of the job's entry in convoy-train ('missing': no entry). */
export type QueueState =
  | 'active'
  | 'waiting'
  | 'waiting-children'
  | 'delayed'
  | 'prioritized'
  | 'completed'
  | 'failed'
  | 'unknown'
  | 'missing';

export interface Observation {
  status: JobStatus;
  queue: QueueState;
  /** The entry's lock is held: an attempt is alive (perhaps slow). */
  locked: boolean;
  /** Some worker process sent a heartbeat recently. */
  workersAlive: boolean;
  /** The job has a checkpoint to resume from. */
  checkpoint: boolean;
}

export type Action = 'none' | 'hand-back' | 'lose' | 'cancel' | 'requeue';

export function decide(o: Observation): Action {
  if (o.locked) return 'none';
  const ended = o.queue === 'failed' || o.queue === 'completed' || o.queue === 'missing' || o.queue === 'unknown';
  const queued = !ended && o.queue !== 'active';
  switch (o.status) {
    case 'running':
      if (queued || (o.queue === 'active' && o.workersAlive)) return 'none';
      return o.checkpoint ? 'hand-back' : 'lose';
    case 'cancelling':
      return !ended && o.workersAlive ? 'none' : 'cancel';
    case 'queued':
      return ended ? 'requeue' : 'none';
    default:
      return 'none';
  }
}
