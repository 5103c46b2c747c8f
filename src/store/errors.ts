// The store's domain errors. The API maps each to one problem (src/server/errors.ts); workers
// act on them by class, never by name or message.
export { JobFinishedError } from './merge.js';

export class JobNotFoundError extends Error {
  constructor(readonly jobId: string) {
    super(`job ${jobId} not found`);
    this.name = 'JobNotFoundError';
  }
}

export class JobExistsError extends Error {
  constructor(readonly jobId: string) {
    super(`job ${jobId} already exists`);
    this.name = 'JobExistsError';
  }
}

/** A write from an attempt that no longer owns the job (it lost its lock; another attempt took over). */
export class FencedError extends Error {
  constructor(
    readonly jobId: string,
    readonly attempt: number,
  ) {
    super(`job ${jobId}: attempt ${attempt} no longer owns the job; write refused`);
    this.name = 'FencedError';
  }
}

/** A list cursor this store did not hand out. */
export class InvalidCursorError extends Error {
  constructor(readonly cursor: string) {
    super('invalid cursor');
    this.name = 'InvalidCursorError';
  }
}

/** A tenant is at one of its quotas (contracts/auth.ts QuotasSchema). */
export class QuotaExceededError extends Error {
  constructor(
    readonly quota: string,
    readonly limit: number,
    readonly used: number,
  ) {
    super(`quota ${quota} reached: ${used} of ${limit}`);
    this.name = 'QuotaExceededError';
  }
}

/** A job names a stored dataset that no longer exists (deleted, or expired, since it was checked). */
export class DatasetGoneError extends Error {
  constructor(readonly datasetId: string) {
    super(`dataset ${datasetId} does not exist`);
    this.name = 'DatasetGoneError';
  }
}

/** A dataset that unfinished jobs still need cannot be deleted. */
export class DatasetInUseError extends Error {
  constructor(
    readonly datasetId: string,
    readonly jobIds: string[],
    /** All the jobs that need it, `jobIds` being those the caller may see. */
    readonly count = jobIds.length,
  ) {
    super(`dataset ${datasetId} is needed by ${count} unfinished job(s)`);
    this.name = 'DatasetInUseError';
  }
}

/**
 * Whether a Redis error is one that passes: Redis out of memory under `noeviction` (`OOM ...`),
 * loading, read-only during a failover, busy with a script, or the connection gone for a while.
 * A write that met one can be tried again later; the raw message is for the log only.
 */
export function isTransientStorageError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  return /^(OOM|LOADING|READONLY|BUSY|TRYAGAIN|CLUSTERDOWN)\b|^Connection is closed|ECONNREFUSED|ECONNRESET/.test(err.message);
}

/** Redis refused a write because it is full (`OOM command not allowed when used memory > 'maxmemory'`). */
export function isStorageFullError(err: unknown): boolean {
  return err instanceof Error && /^OOM\b/.test(err.message);
}
