// The reconciler (src/server/reconciler.ts) against a real Redis and real BullMQ entries: each
// inconsistent state of reconcile-rules.ts, set up the way it happens (a queue entry failed by a
// worker, a job's entry gone, a live attempt holding its lock), then two ticks (a verdict is acted
// on only when a later tick still reaches it; no grace period here). Every change arrives with its event.
import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TRAIN_JOB_NAME, TRAIN_QUEUE, type JobDocument, type TrainJobData } from '../../src/contracts/index.js';
import { LOST_ERROR, Reconciler } from '../../src/server/reconciler.js';
import { JobStore, Lease, WebhookStore, WorkerRegistry, statusEvent } from '../../src/store/index.js';
import { connectRedis } from '../../src/store/redis.js';
import { newJobDocument, toySpec } from '../helpers/jobs.js';
import { waitFor } from '../helpers/stack.js';

let redis: Redis;
const closers: (() => Promise<unknown>)[] = [];
beforeAll(() => {
  redis = connectRedis(inject('redisUrl'), 'reconciler-test');
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await redis.quit();
});

/** The end the reconciler wrote is owed a webhook, by the same commit (src/store/scripts.ts). */
async function expectWebhookOwed(store: JobStore, id: string): Promise<void> {
  const last = (await store.events(id)).at(-1)!;
  expect(await new WebhookStore(redis, store.keys.prefix).owed(100)).toEqual([{ jobId: id, eventId: last.id }]);
}

/** A prefix of its own: a store, the train queue, a reconciler. */
function world() {
  const prefix = `rec-${randomUUID().slice(0, 8)}`;
  const store = new JobStore(redis, prefix);
  const queue = new Queue<TrainJobData>(TRAIN_QUEUE, { connection: redis, prefix });
  closers.push(() => queue.close());
  const workers = new WorkerRegistry(redis, prefix);
  const reconciler = (token?: string, graceMs = 0) =>
    new Reconciler({
      store,
      queue,
      redis,
      workers,
      lease: new Lease(redis, prefix, 'reconciler', token),
      log: pino({ level: 'silent' }),
      intervalMs: 1000,
      liveWithinMs: 5000,
      graceMs, // 0: the ticks come one after the other here
      requeue: async (doc) => {
        await queue.add(TRAIN_JOB_NAME, { id: doc.id }, { jobId: doc.id });
      },
    });
  /** A job as a worker's claim leaves it: `running`, attempt 1 (or `status` after that). */
  async function job(status: 'queued' | 'running' | 'cancelling', options: { checkpoint?: boolean; entry?: boolean } = {}) {
    const id = `j${randomUUID().slice(0, 8)}`;
    await store.create(newJobDocument(id, toySpec()));
    if (options.entry !== false) await queue.add(TRAIN_JOB_NAME, { id }, { jobId: id });
    if (status !== 'queued') await store.update(id, { status: 'running', stage: 'training', attempt: 1 }, { event: (d) => statusEvent(d) });
    if (status === 'cancelling') await store.update(id, { status: 'cancelling' }, { event: (d) => statusEvent(d, 'cancel requested') });
    if (status === 'queued' && options.entry === false) await store.update(id, { attempt: 1 });
    if (options.checkpoint) await store.putCheckpoint(id, 1, Buffer.from('checkpoint'));
    return id;
  }
  /** A worker process's queue consumer for a moment: `process` decides what happens to the entries. */
  function consumer(process: (id: string) => Promise<void>) {
    const connection = redis.duplicate({ maxRetriesPerRequest: null });
    const w = new Worker<TrainJobData>(TRAIN_QUEUE, async (j) => process(j.data.id), { connection, prefix, lockDuration: 60_000 });
    const close = async () => {
      await w.close(true);
      connection.disconnect();
    };
    closers.push(close);
    return close;
  }
  const state = async (id: string) => (await queue.getJob(id))?.getState() ?? 'missing';
  return { prefix, store, queue, workers, reconciler, job, consumer, state };
}

/** Its entry failed by a worker that lost its Redis writes (the message is internal). */
async function failEntry(w: ReturnType<typeof world>, id: string) {
  const stop = w.consumer(async () => {
    throw new Error("OOM command not allowed when used memory > 'maxmemory'");
  });
  await waitFor(
    async () => (await w.state(id)) === 'failed',
    10_000,
    () => `entry of ${id} did not fail`,
  );
  await stop();
}

const types = async (w: ReturnType<typeof world>, id: string) => (await w.store.events(id)).map((e) => e.type);

describe('reconciler', () => {
  it('running, its entry failed, a checkpoint: back to the queue (on the second tick), with a status event', async () => {
    const w = world();
    const id = await w.job('running', { checkpoint: true });
    await failEntry(w, id);
    const r = w.reconciler();
    expect(await r.tick()).toEqual([]);
    expect(await r.tick()).toEqual([{ id, action: 'hand-back' }]);
    const doc = (await w.store.get(id))!;
    expect(doc).toMatchObject({ status: 'queued', stage: 'queued', attempt: 1 });
    expect(['waiting', 'prioritized']).toContain(await w.state(id));
    const last = (await w.store.events(id)).at(-1)!;
    expect(last.type).toBe('status');
    expect((last.data as { message: string }).message).toMatch(/back to the queue/);
  });

  it('running, its entry failed, no checkpoint: failed with code lost and no internal text', async () => {
    const w = world();
    const id = await w.job('running');
    await failEntry(w, id);
    const r = w.reconciler();
    await r.tick();
    expect(await r.tick()).toEqual([{ id, action: 'lose' }]);
    const doc = (await w.store.get(id)) as JobDocument;
    expect(doc.status).toBe('failed');
    expect(doc.error).toEqual(LOST_ERROR);
    expect(JSON.stringify(doc)).not.toMatch(/OOM|maxmemory/);
    expect((await types(w, id)).at(-1)).toBe('failed');
    expect(await w.state(id)).toBe('missing');
    await expectWebhookOwed(w.store, id);
  });

  it('never touches a job whose lock is held: a slow attempt alive without heartbeats, even when cancelled', async () => {
    const w = world();
    const id = await w.job('running');
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    const stop = w.consumer(() => held); // takes the entry and keeps its lock
    await waitFor(
      async () => (await w.state(id)) === 'active',
      10_000,
      () => 'not active',
    );
    const r = w.reconciler();
    for (let i = 0; i < 3; i++) expect(await r.tick()).toEqual([]);
    await w.store.update(id, { status: 'cancelling' });
    for (let i = 0; i < 3; i++) expect(await r.tick()).toEqual([]);
    expect((await w.store.get(id))!.status).toBe('cancelling');
    release();
    await stop();
  });

  it('cancelling with no worker to carry it out (entry gone): cancelled, with its event', async () => {
    const w = world();
    const id = await w.job('cancelling', { entry: false });
    const r = w.reconciler();
    await r.tick();
    expect(await r.tick()).toEqual([{ id, action: 'cancel' }]);
    expect((await w.store.get(id))!.status).toBe('cancelled');
    expect((await types(w, id)).at(-1)).toBe('cancelled');
    await expectWebhookOwed(w.store, id);
  });

  it('cancelling, entry waiting: left to a live worker (which saves partial weights), cancelled when none is alive', async () => {
    const w = world();
    const id = await w.job('cancelling');
    const beat = (ms: number) =>
      w.workers.heartbeat(
        { id: 'w1', pid: 1, host: 'h', threads: 1, concurrency: 1, activeJobs: [], startedAt: '', seenAt: new Date().toISOString() },
        ms,
      );
    await beat(60_000);
    const r = w.reconciler();
    for (let i = 0; i < 3; i++) expect(await r.tick()).toEqual([]);
    await w.workers.remove('w1');
    await r.tick();
    expect(await r.tick()).toEqual([{ id, action: 'cancel' }]);
    expect(await w.state(id)).toBe('missing');
  });

  it('queued after running, its entry gone: queued again', async () => {
    const w = world();
    const id = await w.job('queued', { entry: false });
    const r = w.reconciler();
    await r.tick();
    expect(await r.tick()).toEqual([{ id, action: 'requeue' }]);
    expect(['waiting', 'prioritized']).toContain(await w.state(id));
  });

  it('a fresh job whose entry is being added is not requeued (a verdict must hold two ticks), nor a consistent one', async () => {
    const w = world();
    const id = await w.job('queued', { entry: false });
    const r = w.reconciler();
    await r.tick();
    await w.queue.add(TRAIN_JOB_NAME, { id }, { jobId: id }); // the submit's queue.add lands
    expect(await r.tick()).toEqual([]);
    expect(await r.tick()).toEqual([]);
  });

  it('a verdict is acted on only once it has held for the grace period (a restarting worker gets there first)', async () => {
    const w = world();
    const id = await w.job('cancelling', { entry: false });
    const r = w.reconciler(undefined, 600);
    expect(await r.tick()).toEqual([]);
    expect(await r.tick()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(await r.tick()).toEqual([{ id, action: 'cancel' }]);
  });

  it('one leader at a time: a second reconciler on the same prefix does nothing while the first holds the lease', async () => {
    const w = world();
    const id = await w.job('cancelling', { entry: false });
    const [a, b] = [w.reconciler(), w.reconciler()];
    await a.tick();
    await b.tick();
    expect(await b.tick()).toEqual([]);
    expect(await a.tick()).toEqual([{ id, action: 'cancel' }]);
    await a.stop(); // gives the lease up
    expect(await b.tick()).toEqual([]); // b leads now, with nothing to do
  });
});
