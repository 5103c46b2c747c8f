// What one attempt writes about its job: document changes with their events, checkpoints, and the
// terminal commits. Every write carries the attempt as a fence: once another attempt has claimed
// the job, the next one is refused with FencedError and this attempt stops without recording
// anything. Document writes go out in order: the loop does not wait for a progress write (the next
// step computes meanwhile), so each write queues behind the one before.
import { setTimeout } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { EpochEvent, EpochMetrics, JobDocument, JobError, Metrics, Progress, TensorNorm } from '../src/contracts/index.js';
import {
  FencedError,
  failedEvent,
  isTransientStorageError,
  JobFinishedError,
  statusEvent,
  type JobPatch,
  type JobStore,
  type UpdateOptions,
} from '../src/store/index.js';
import type { TrainOutcome } from './attempt.js';
import type { PackedWeights } from './job-weights.js';
import type { Means } from './metrics.js';
import type { Position } from './progress.js';

/** How long a terminal commit waits out a full or unreachable Redis by default (FINAL_WRITE_RETRY_MS). */
export const DEFAULT_FINAL_WRITE_RETRY_MS = 120_000;

export class JobWriter {
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: JobStore,
    readonly id: string,
    readonly attempt: number,
    private readonly log: Logger,
    private readonly finalWriteRetryMs = DEFAULT_FINAL_WRITE_RETRY_MS,
  ) {}

  /**
   * A terminal commit: the job's result is computed, so a Redis that refuses writes for a while
   * (full under noeviction, failing over) is waited out with backoff rather than failing the job.
   * Past the budget the error goes up (the reconciler then ends the job: docs/operations.md).
   */
  private async final<T>(write: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.finalWriteRetryMs;
    for (let delay = 100; ; delay = Math.min(2 * delay, 5000)) {
      try {
        return await write();
      } catch (err) {
        if (!isTransientStorageError(err) || Date.now() + delay > deadline) throw err;
        this.log.warn({ err: (err as Error).message, retryInMs: delay }, 'redis refused the final write; retrying');
        await setTimeout(delay);
      }
    }
  }

  private update(patch: JobPatch | ((d: JobDocument) => JobPatch | null), options: UpdateOptions = {}) {
    const write = this.writes.catch(() => undefined).then(() => this.store.update(this.id, patch, { ...options, fence: this.attempt }));
    this.writes = write;
    return write;
  }

  async stage(stage: JobDocument['stage'], message?: string): Promise<void> {
    await this.update({ stage }, { event: (d) => statusEvent(d, message) });
  }

  async progress(progress: Progress, means: Means, norms?: TensorNorm[]): Promise<void> {
    await this.update({ progress }, { event: { type: 'progress', data: { ...progress, ...means, ...(norms && { norms }) } } });
  }

  /**
   * An epoch's event, the job's metrics and history, and the checkpoint at the start of the next
   * epoch, in one atomic write: a crash can neither lose the event nor make a resumed attempt
   * publish it twice.
   */
  async epochDone(event: EpochEvent, c: { metrics: Metrics; history: EpochMetrics[]; checkpoint: Buffer }): Promise<void> {
    await this.update(
      { metrics: c.metrics, history: c.history, stage: 'training' },
      { event: { type: 'epoch', data: event }, checkpoint: c.checkpoint },
    );
  }

  /** A checkpoint on its own (between epoch ends). */
  async checkpoint(bytes: Buffer): Promise<void> {
    if (!(await this.store.putCheckpoint(this.id, this.attempt, bytes))) throw new FencedError(this.id, this.attempt);
  }

  cancelRequested(): Promise<boolean> {
    return this.store.isCancelRequested(this.id);
  }

  async completed(c: {
    reason: string;
    metrics: Metrics;
    history: EpochMetrics[];
    weights: PackedWeights;
    progress: Progress;
  }): Promise<TrainOutcome> {
    const { reason, metrics, history, weights, progress } = c;
    await this.final(() =>
      this.update(
        { status: 'succeeded', stage: 'done', metrics, history, weights: weights.info, progress },
        {
          weights: weights.bytes,
          event: { type: 'completed', data: { metrics, history, weights: weights.ref, reason } },
        },
      ),
    );
    this.log.info({ reason, ...metrics }, 'job succeeded');
    return { kind: 'succeeded', reason };
  }

  /** Cancelled, with the partial weights (none if it never trained). */
  async cancelled(
    at: Position,
    c: { metrics: Metrics; history: EpochMetrics[]; weights: PackedWeights | undefined },
  ): Promise<TrainOutcome> {
    const { metrics, history, weights } = c;
    await this.final(() =>
      this.update(
        { status: 'cancelled', stage: 'done', metrics, history, weights: weights ? { ...weights.info, partial: true } : null },
        {
          ...(weights ? { weights: weights.bytes } : {}),
          event: { type: 'cancelled', data: { metrics, weights: weights?.ref ?? null } },
        },
      ),
    );
    this.log.info({ epoch: at.epoch + 1, step: at.step }, 'job cancelled');
    return { kind: 'cancelled' };
  }

  /** Back to the queue, once the checkpoint it resumes from is written. */
  async handedBack(at: Position, why: string): Promise<TrainOutcome> {
    const message = `${why}: checkpointed at epoch ${at.epoch + 1}, step ${at.step}; the job goes back to the queue`;
    await this.update({ status: 'queued', stage: 'queued' }, { event: (d) => statusEvent(d, message) });
    this.log.info({ epoch: at.epoch + 1, step: at.step, why }, 'job handed back');
    return { kind: 'handed-back' };
  }

  /** Failed with `error`. The history stays what the epoch commits made it. */
  async failed(error: JobError): Promise<TrainOutcome> {
    try {
      await this.final(() => this.update({ status: 'failed', stage: 'done', error }, { event: failedEvent(error, this.attempt) }));
    } catch (err) {
      if (err instanceof FencedError) return { kind: 'fenced' };
      if (err instanceof JobFinishedError) return { kind: 'skipped', why: err.status };
      throw err;
    }
    this.log.warn({ error }, 'job failed');
    return { kind: 'failed', error };
  }
}
