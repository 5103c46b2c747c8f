// The worker process's BullMQ side: a Worker on `convoy-train` (training jobs, concurrency from
// config, all sharing the process's one Piscina pool), a Worker on `convoy-predict` (answers
// {jobId, inputs} with the job's final weights, computed on the pool), and a heartbeat in Redis.
//
// Shutdown (close): stop taking jobs, let every running job checkpoint at its next step and go back
// to the queue (moveToDelayed + DelayedError: another worker, or this one restarted, resumes it),
// then close the pool and the connections.
import { hostname } from 'node:os';
import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { PREDICT_QUEUE, TRAIN_QUEUE, type PredictJobData, type PredictResult, type TrainJobData } from '../src/contracts/index.js';
import { loadConfig, type TenantQuotas, type WorkerConfig } from '../src/config.js';
import { kernelVariant } from '../src/engine/index.js';
import { DatasetStore } from '../src/store/datasets.js';
import { connectRedis, JobStore, PredictRequests, TenantStore, WorkerRegistry, type LogLimits } from '../src/store/index.js';
import { Placement } from './placement.js';
import { Pool } from './pool.js';
import { Predictor } from './predict.js';
import type { TrainOutcome, TrainSettings } from './attempt.js';
import { trainJob } from './train.js';

export interface WorkerOptions {
  redisUrl: string;
  prefix: string;
  config: WorkerConfig;
  /** The tenants' default quotas (their overrides are in Redis): the running-jobs limit applies here. */
  tenantQuotas?: TenantQuotas;
  /** How long the event logs grow (default: EVENT_LOG_MAX_PROGRESS, TENANT_EVENT_LOG_LENGTH defaults). */
  eventLog?: LogLimits;
  weightsInlineMaxBytes: number;
  log: Logger;
  datasetCacheDir?: string;
}

/** How long a job this process turned away waits in the queue before a worker tries it again. */
const DEFER_MS = 1000;

export class ConvoyWorker {
  readonly id: string;
  readonly store: JobStore;
  readonly pool: Pool;
  /** Which training jobs run here; one recovering from a crash runs alone (placement.ts). */
  readonly placement: Placement;
  private readonly redis: Redis;
  private readonly datasets: DatasetStore;
  private readonly workers: WorkerRegistry;
  private readonly tenants: TenantStore;
  private readonly log: Logger;
  private trainWorker: Worker<TrainJobData, TrainOutcome> | undefined;
  private predictWorker: Worker<PredictJobData, PredictResult> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private draining = false;
  private readonly active = new Set<{ id: string; token: string | undefined }>();
  private readonly predictor: Predictor;
  private readonly startedAt = new Date().toISOString();
  /** Samples trained by this process (for the heartbeat's samples/s). */
  private samples = 0;
  private lastBeat = { at: Date.now(), samples: 0 };

  constructor(private readonly options: WorkerOptions) {
    this.id = options.config.id ?? `${hostname()}-${process.pid}`;
    this.log = options.log.child({ worker: this.id });
    this.redis = connectRedis(options.redisUrl, `convoy-worker-${this.id}`);
    this.redis.on('error', (err) => this.log.warn({ err: err.message }, 'redis connection error'));
    this.store = new JobStore(this.redis, options.prefix, options.eventLog);
    this.datasets = new DatasetStore(this.redis, options.prefix);
    this.workers = new WorkerRegistry(this.redis, options.prefix);
    this.tenants = new TenantStore(this.redis, options.prefix, options.tenantQuotas ?? loadConfig({}).tenantQuotas);
    this.pool = new Pool(options.config.threads, options.config.poolRecycleBytes);
    this.placement = new Placement();
    this.predictor = new Predictor(this.store, new PredictRequests(this.redis, options.prefix), this.pool, this.log);
  }

  /** Starts consuming both queues and the heartbeat. */
  async start(): Promise<void> {
    const { config, prefix } = this.options;
    const settings: TrainSettings = {
      checkpointEverySteps: config.checkpointEverySteps,
      checkpointEverySeconds: config.checkpointEverySeconds,
      progressIntervalMs: config.progressIntervalMs,
      weightsInlineMaxBytes: this.options.weightsInlineMaxBytes,
      maxCrashes: config.maxCrashes,
      finalWriteRetryMs: config.finalWriteRetryMs,
      datasetCacheDir: this.options.datasetCacheDir,
    };
    await this.beat();
    this.heartbeat = setInterval(() => {
      this.beat().catch((err: Error) => this.log.warn({ err: err.message }, 'heartbeat failed'));
    }, config.heartbeatMs);
    this.heartbeat.unref();

    this.trainWorker = new Worker<TrainJobData, TrainOutcome>(TRAIN_QUEUE, async (job, token) => this.train(job, token, settings), {
      connection: this.redis,
      prefix,
      concurrency: config.concurrency,
      lockDuration: config.lockDurationMs,
      stalledInterval: config.stalledIntervalMs,
      // Crash loops are bounded by our own attempt count (MAX_CRASHES), which knows a graceful
      // hand-back from a crash; BullMQ's stall limit must not fail the job behind our back.
      maxStalledCount: 1_000_000,
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 24 * 3600, count: 1000 },
      name: this.id,
    });
    this.predictWorker = new Worker<PredictJobData, PredictResult>(PREDICT_QUEUE, async (job) => this.predictor.answer(job), {
      connection: this.redis,
      prefix,
      concurrency: config.predictConcurrency,
      removeOnComplete: { age: 60, count: 100 },
      removeOnFail: { age: 60, count: 100 },
      name: this.id,
    });
    for (const w of [this.trainWorker, this.predictWorker]) {
      w.on('error', (err) => this.log.warn({ err: err.message }, 'queue worker error'));
    }
    this.trainWorker.on('failed', (job, err) => {
      if (!(err instanceof DelayedError)) this.log.warn({ jobId: job?.data.id, err: err.message }, 'train job failed in the queue');
    });
    await Promise.all([this.trainWorker.waitUntilReady(), this.predictWorker.waitUntilReady()]);
    this.log.info({ threads: this.pool.threads, concurrency: config.concurrency, kernelVariant }, 'worker ready');
  }

  private async train(job: Job<TrainJobData>, token: string | undefined, settings: TrainSettings): Promise<TrainOutcome> {
    const id = job.data.id;
    // Keyed by attempt: a stale attempt of this job (frozen, then fenced off) may still be finishing
    // in this process while the job's next attempt runs here too.
    const attempt = { id, token };
    this.active.add(attempt);
    const stopKeepingLock = this.keepLock(job, token);
    let outcome: TrainOutcome;
    try {
      outcome = await trainJob(id, {
        store: this.store,
        pool: this.pool,
        log: this.log,
        settings,
        loadUploaded: (dsId) => this.datasets.get(dsId),
        draining: () => this.draining,
        placement: this.placement,
        maxRunningJobs: async (tenant) => (await this.tenants.quotas(tenant)).quotas.maxRunningJobs,
        onSamples: (n) => (this.samples += n),
      });
    } catch (err) {
      // trainJob records every failure after its claim (fenced); what reaches here is Redis being
      // unreachable, where nothing can be recorded: BullMQ fails the queue entry and logs it.
      stopKeepingLock();
      this.active.delete(attempt);
      throw err;
    }
    stopKeepingLock();
    try {
      if (outcome.kind === 'handed-back') {
        // Back to the queue now; whichever worker takes it resumes from the checkpoint just written.
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      if (outcome.kind === 'deferred') {
        // Not claimed (its document is unchanged): back to the queue, to this or another worker soon.
        this.log.debug({ jobId: id, why: outcome.why }, 'job deferred');
        await job.moveToDelayed(Date.now() + DEFER_MS, token);
        throw new DelayedError();
      }
      return outcome;
    } finally {
      this.active.delete(attempt);
    }
  }

  /**
   * Renews this attempt's job lock for as long as it runs. BullMQ renews locks too, but it tracks
   * them by job id: when a stale attempt of the same job finishes in this process (a process frozen
   * past its lock, whose job the stalled check handed back to this same worker), BullMQ stops
   * renewing the live attempt's lock as well, and the job would stall again and again. Renewing by
   * our own token keeps the live attempt's lock; a lost lock fails the renewal (fencing does the rest).
   */
  private keepLock(job: Job<TrainJobData>, token: string | undefined): () => void {
    if (!token) return () => {};
    const every = Math.max(100, Math.floor(this.options.config.lockDurationMs / 2));
    const timer = setInterval(() => {
      job.extendLock(token, this.options.config.lockDurationMs).catch(() => {
        // the lock is gone: another attempt owns the job, and this one's writes are fenced off
      });
    }, every);
    timer.unref();
    return () => clearInterval(timer);
  }

  private async beat(): Promise<void> {
    const now = Date.now();
    const sps = ((this.samples - this.lastBeat.samples) * 1000) / Math.max(1, now - this.lastBeat.at);
    this.lastBeat = { at: now, samples: this.samples };
    await this.workers.heartbeat(
      {
        id: this.id,
        pid: process.pid,
        host: hostname(),
        threads: this.pool.threads,
        concurrency: this.options.config.concurrency,
        activeJobs: [...new Set([...this.active].map((a) => a.id))],
        startedAt: this.startedAt,
        seenAt: new Date(now).toISOString(),
        samplesPerSecond: Math.round(sps * 10) / 10,
      },
      this.options.config.heartbeatMs * 3,
    );
  }

  /** Graceful stop: running jobs checkpoint and go back to the queue; nothing new is taken. */
  async close(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    this.log.info({ activeJobs: [...this.active].map((a) => a.id) }, 'worker draining');
    if (this.heartbeat) clearInterval(this.heartbeat);
    await Promise.all([this.trainWorker?.close(), this.predictWorker?.close()]);
    await this.workers.remove(this.id).catch(() => {});
    await this.pool.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
    this.log.info('worker stopped');
  }
}
