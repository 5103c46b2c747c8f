// What one job attempt needs from its worker process, and how it ends.
import type { Logger } from 'pino';
import type { JobError } from '../src/contracts/index.js';
import type { JobStore } from '../src/store/index.js';
import type { UploadedLoader } from './data.js';
import type { Placement } from './placement.js';
import type { Pool } from './pool.js';

export interface TrainSettings {
  /** Checkpoint every N optimizer steps (0 = only at epoch ends). */
  checkpointEverySteps: number;
  /** Checkpoint when this many seconds passed since the last one (0 = off). */
  checkpointEverySeconds: number;
  /** Minimum ms between two progress events of one job. */
  progressIntervalMs: number;
  /** The completed event carries the tensors inline up to this many safetensors bytes. */
  weightsInlineMaxBytes: number;
  /** How long a terminal commit waits out a full or unreachable Redis (default 2 minutes). */
  finalWriteRetryMs?: number;
  /** A job whose workers died this many times (not counting graceful hand-backs) fails. */
  maxCrashes: number;
  /** Where builtin datasets are cached (default src/datasets' choice). */
  datasetCacheDir?: string | undefined;
}

export interface TrainDeps {
  store: JobStore;
  pool: Pool;
  log: Logger;
  settings: TrainSettings;
  loadUploaded: UploadedLoader;
  /** True once the process is shutting down: checkpoint at the next step and hand the job back. */
  draining(): boolean;
  /** The jobs in this process: who shares it, who must run alone (placement.ts). */
  placement: Placement;
  /** The tenant's running-jobs quota: a job of a tenant at it is not claimed (deferred). */
  maxRunningJobs(tenant: string): Promise<number>;
  /** Called with samples trained, for the process's samples/s figure. */
  onSamples?(n: number): void;
}

export type TrainOutcome =
  | { kind: 'succeeded'; reason: string }
  | { kind: 'failed'; error: JobError }
  | { kind: 'cancelled' }
  | { kind: 'handed-back' }
  /** Not claimed: back to the queue for a moment (this process cannot take it now). */
  | { kind: 'deferred'; why: string }
  | { kind: 'fenced' }
  | { kind: 'skipped'; why: string };
