// The reconciler: every RECONCILE_INTERVAL_MS one API process (the holder of the `reconciler` lease,
// src/store/lease.ts) compares the documents of unfinished jobs with their BullMQ entries and ends
// what nothing else will: a job whose worker lost it (Redis refused its writes, its process died with
// no other worker left) goes back to the queue when a checkpoint allows, or fails with code `lost`; a
// cancel nobody will carry out ends as `cancelled`; a queued job without a queue entry is queued again.
// What to do is reconcile-rules.ts; this file observes and acts.
//
// Safe against a slow but alive worker: nothing is done to a job whose entry's lock is held, a verdict
// is acted on only when every tick for `graceMs` (three intervals) reached it for the same document
// (status, attempt, transitions): a worker restarting meanwhile takes the job back first; the queue
// entry is removed first (BullMQ refuses while an attempt holds the lock), and
// every document change goes through JobStore.update() fenced by the attempt it judged, with its event,
// so event streams see the end. A leader that stalls past its lease loses it, and its late changes are
// refused by the same fences.
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { JobDocument, JobStatus, TrainJobData } from '../contracts/index.js';
import { failedEvent, FencedError, JobFinishedError, Lease, statusEvent, type JobStore, type WorkerRegistry } from '../store/index.js';
import { requeueJob } from './enqueue.js';
import { LeaderLoop } from './leader-loop.js';
import { decide, type Action, type QueueState } from './reconcile-rules.js';

export const LOST_ERROR = {
  code: 'lost',
  message: 'the job lost its worker (its queue entry ended without it) and had no checkpoint to resume from; submit it again',
} as const;
const HANDED_BACK = 'the job lost its worker (its queue entry ended without it); back to the queue to resume from its last checkpoint';

/** Unfinished jobs looked at per status and tick. */
const BATCH = 1000;
const WATCHED: readonly JobStatus[] = ['running', 'cancelling', 'queued'];

export interface ReconcilerDeps {
  store: JobStore;
  queue: Queue<TrainJobData>;
  redis: Redis;
  workers: WorkerRegistry;
  lease: Lease;
  log: FastifyBaseLogger;
  intervalMs: number;
  /** A worker counts as alive with a heartbeat this recent. */
  liveWithinMs: number;
  /** How long a verdict must hold, tick after tick, before it is acted on (default 3 intervals). */
  graceMs?: number;
  /** Puts a job back on the training queue (src/server/enqueue.ts). */
  requeue(doc: JobDocument): Promise<void>;
}

export interface Acted {
  id: string;
  action: Exclude<Action, 'none'>;
}

export class Reconciler extends LeaderLoop {
  /** Verdicts of the last tick: id -> what would be done, for which document, first reached when. */
  private suspects = new Map<string, { verdict: string; since: number }>();

  constructor(private readonly d: ReconcilerDeps) {
    super(d, 'reconcile');
  }

  /** One round if this process holds (or takes) the lease: what was done. */
  async tick(): Promise<Acted[]> {
    if (!(await this.leading())) {
      this.suspects.clear();
      return [];
    }
    return this.reconcile();
  }

  private async reconcile(): Promise<Acted[]> {
    const { store, workers, liveWithinMs } = this.d;
    const workersAlive = (await workers.live(liveWithinMs)).length > 0;
    const seen = new Map<string, { verdict: string; since: number }>();
    const acted: Acted[] = [];
    const now = Date.now();
    const grace = this.d.graceMs ?? 3 * this.d.intervalMs;
    for (const status of WATCHED) {
      for (const id of await store.idsByStatus(status, BATCH)) {
        const doc = await store.get(id);
        if (!doc || doc.status !== status) continue;
        const action = await this.judge(doc, workersAlive);
        if (action === 'none') continue;
        const verdict = `${action}:${doc.status}:${doc.attempt}:${doc.transitions.length}`;
        const before = this.suspects.get(id);
        const held = before?.verdict === verdict; // reached on the tick before too
        const since = held ? before.since : now;
        seen.set(id, { verdict, since });
        // first reached on this tick (two ticks may share a millisecond), or not for long enough:
        // act if it still holds on a later tick
        if (!held || now - since < grace) continue;
        if (await this.act(doc, action)) acted.push({ id, action });
      }
    }
    this.suspects = seen;
    return acted;
  }

  private async judge(doc: JobDocument, workersAlive: boolean): Promise<Action> {
    const entry = await this.d.queue.getJob(doc.id);
    const queue: QueueState = entry ? await entry.getState() : 'missing';
    const locked = (await this.d.redis.exists(`${this.d.queue.toKey(doc.id)}:lock`)) === 1;
    const checkpoint = doc.status === 'running' && (await this.d.store.hasCheckpoint(doc.id));
    return decide({ status: doc.status, queue, locked, workersAlive, checkpoint });
  }

  /** Carries out one verdict; false when something else got there first (a worker took the job). */
  private async act(doc: JobDocument, action: Exclude<Action, 'none'>): Promise<boolean> {
    const { store, queue, log } = this.d;
    const { id, attempt } = doc;
    // BullMQ refuses (0) while an attempt holds the entry's lock: that attempt is alive after all.
    if ((await queue.remove(id)) !== 1) return false;
    try {
      let changed: unknown = true;
      if (action === 'hand-back') {
        changed = await store.update(id, (d) => (d.status === 'running' ? { status: 'queued', stage: 'queued' } : null), {
          fence: attempt,
          event: (d) => statusEvent(d, HANDED_BACK),
        });
        // (unchanged: the document moved on; a queued one without an entry is requeued next tick)
        if (changed) await this.d.requeue(doc);
      } else if (action === 'lose') {
        const error = { ...LOST_ERROR };
        changed = await store.update(id, (d) => (d.status === 'running' ? { status: 'failed', stage: 'done', error } : null), {
          fence: attempt,
          event: failedEvent(error, attempt),
        });
      } else if (action === 'cancel') {
        changed = await store.update(id, (d) => (d.status === 'cancelling' ? { status: 'cancelled', stage: 'done' } : null), {
          event: (d) => ({ type: 'cancelled', data: { metrics: d.metrics, weights: null } }),
        });
      } else {
        await this.d.requeue(doc);
      }
      if (!changed) return false;
    } catch (err) {
      if (err instanceof FencedError || err instanceof JobFinishedError) return false;
      throw err;
    }
    log.warn({ jobId: id, attempt, action, status: doc.status }, 'reconciler: ended a job nothing else would');
    return true;
  }
}

/** Starts the app's reconciler (RECONCILE_INTERVAL_MS; 0: none). Stop it before closing the app. */
export function startReconciler(app: FastifyInstance, config: Config): Reconciler | undefined {
  const intervalMs = config.api.reconcileIntervalMs;
  if (intervalMs <= 0) return undefined;
  const reconciler = new Reconciler({
    store: app.store,
    queue: app.queues.train,
    redis: app.redis,
    workers: app.workers,
    lease: new Lease(app.redis, config.redisPrefix, 'reconciler'),
    log: app.log.child({ component: 'reconciler' }),
    intervalMs,
    liveWithinMs: config.api.readyWorkerWithinMs,
    requeue: (doc) => requeueJob(app, doc),
  });
  reconciler.start();
  return reconciler;
}
