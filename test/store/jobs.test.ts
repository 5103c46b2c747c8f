// The job store against a real Redis: document + event atomicity, transitions, monotonic progress,
// fencing of stale attempts, listing, checkpoints, heartbeats.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { JobDocument } from '../../src/contracts/index.js';
import { connectRedis } from '../../src/store/redis.js';
import { FencedError, JobExistsError, JobFinishedError, JobStore, WorkerRegistry } from '../../src/store/index.js';

let redis: Redis;
let store: JobStore;

beforeAll(() => {
  redis = connectRedis(inject('redisUrl'), 'store-test');
  store = new JobStore(redis, `t-${randomUUID().slice(0, 8)}`);
});
afterAll(async () => {
  await redis.quit();
});

function newDoc(id: string, createdAt = new Date()): JobDocument {
  const at = createdAt.toISOString();
  return {
    id,
    name: null,
    status: 'queued',
    stage: 'queued',
    attempt: 0,
    progress: null,
    metrics: null,
    history: [],
    transitions: [{ status: 'queued', stage: 'queued', at }],
    error: null,
    createdAt: at,
    startedAt: null,
    finishedAt: null,
    spec: { model: { input: [1, 2, 2], layers: [] } },
  } as unknown as JobDocument;
}

describe('job store', () => {
  it('creates a job with its first event and refuses a second create with the same id', async () => {
    const id = randomUUID();
    const { eventId } = await store.create(newDoc(id), { type: 'status', data: { status: 'queued' } });
    expect(eventId).toMatch(/^\d+-\d+$/);
    const doc = await store.get(id);
    expect(doc?.status).toBe('queued');
    expect((doc!.spec as unknown as { model: unknown }).model).toEqual({ input: [1, 2, 2], layers: [] });
    await expect(store.create(newDoc(id))).rejects.toBeInstanceOf(JobExistsError);
    const events = await store.events(id);
    expect(events).toEqual([{ id: eventId, type: 'status', data: { status: 'queued' }, raw: '{"status":"queued"}' }]);
  });

  it('records transitions, keeps cancelling sticky and never moves progress backwards', async () => {
    const id = randomUUID();
    await store.create(newDoc(id));
    const claimed = await store.update(id, (d) => ({ attempt: d.attempt + 1, status: 'running', stage: 'training' }));
    expect(claimed?.doc.attempt).toBe(1);
    const p = (epoch: number, step: number) => ({
      epoch,
      epochs: 3,
      step,
      stepsPerEpoch: 10,
      percent: 0,
      etaSeconds: null,
      samplesPerSecond: 1,
    });
    await store.update(id, { progress: p(1, 5) } as never, { fence: 1, event: { type: 'progress', data: p(1, 5) } });
    await store.update(id, { progress: p(1, 2) } as never, { fence: 1, event: { type: 'progress', data: p(1, 2) } });
    let doc = await store.get(id);
    expect(doc?.progress).toMatchObject({ epoch: 1, step: 5 });
    await store.update(id, { status: 'cancelling' });
    await store.update(id, { status: 'running', stage: 'evaluating' }, { fence: 1 });
    doc = await store.get(id);
    expect(doc?.status).toBe('cancelling');
    expect(doc?.transitions.map((t) => `${t.status}/${t.stage}`)).toEqual([
      'queued/queued',
      'running/training',
      'cancelling/training',
      'cancelling/evaluating',
    ]);
    expect(doc?.startedAt).toBeTruthy();
    // every update appended its event, in order
    const types = (await store.events(id)).map((e) => e.type);
    expect(types).toEqual(['progress', 'progress']);
  });

  it('fences off a late write from an attempt that lost the job', async () => {
    const id = randomUUID();
    await store.create(newDoc(id));
    await store.update(id, (d) => ({ attempt: d.attempt + 1, status: 'running', stage: 'training' }));
    expect(await store.putCheckpoint(id, 1, Buffer.from('one'))).toBe(true);
    // attempt 2 takes over (the first lost its lock)
    await store.update(id, (d) => ({ attempt: d.attempt + 1, stage: 'recovering' }));
    await expect(
      store.update(id, { status: 'succeeded', stage: 'done' }, { fence: 1, weights: Buffer.from('late') }),
    ).rejects.toBeInstanceOf(FencedError);
    expect(await store.putCheckpoint(id, 1, Buffer.from('stale'))).toBe(false);
    expect((await store.getCheckpoint(id))?.toString()).toBe('one');
    expect(await store.getWeights(id)).toBeNull();
    const done = await store.update(
      id,
      { status: 'succeeded', stage: 'done' },
      { fence: 2, weights: Buffer.from([1, 2, 3]), event: { type: 'completed', data: {} } },
    );
    expect(done?.doc.finishedAt).toBeTruthy();
    expect([...((await store.getWeights(id)) ?? [])]).toEqual([1, 2, 3]);
    expect(await store.getCheckpoint(id)).toBeNull();
    // a finished job never changes again, nor accepts checkpoints
    await expect(store.update(id, { stage: 'training' })).rejects.toBeInstanceOf(JobFinishedError);
    expect(await store.putCheckpoint(id, 2, Buffer.from('x'))).toBe(false);
  });

  it('serialises concurrent writers without losing an update', async () => {
    const id = randomUUID();
    await store.create(newDoc(id));
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.update(id, (d) => ({ attempt: d.attempt + 1 }), { event: { type: 'status', data: { i } } }),
      ),
    );
    expect((await store.get(id))?.attempt).toBe(20);
    expect(await store.events(id)).toHaveLength(20);
  });

  it('lists newest first, filters by status and pages with a cursor', async () => {
    const local = new JobStore(redis, `t-${randomUUID().slice(0, 8)}`);
    const base = Date.now();
    const ids = Array.from({ length: 7 }, (_, i) => `job-${i}`);
    // two share a timestamp to exercise the tie-break
    for (const [i, id] of ids.entries()) await local.create(newDoc(id, new Date(base + Math.min(i, 5) * 1000)));
    await local.update('job-2', { status: 'running' });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await local.list({ limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.jobs.map((j) => j.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['job-6', 'job-5', 'job-4', 'job-3', 'job-2', 'job-1', 'job-0']);
    expect((await local.list({ status: 'running' })).jobs.map((j) => j.id)).toEqual(['job-2']);
    expect((await local.list({ status: 'queued' })).jobs).toHaveLength(6);
    expect(await local.delete('job-2')).toBe(true);
    expect(await local.get('job-2')).toBeNull();
    expect((await local.list({ status: 'running' })).jobs).toHaveLength(0);
  });

  it('replays events after an id and blocks for new ones on several jobs at once', async () => {
    const a = randomUUID();
    const b = randomUUID();
    await store.create(newDoc(a), { type: 'status', data: 1 });
    const { eventId: b0 } = await store.create(newDoc(b), { type: 'status', data: 1 });
    const second = await store.update(a, {}, { event: { type: 'progress', data: 2 } });
    const all = await store.events(a);
    expect(await store.events(a, { after: all[0]!.id })).toEqual([all[1]]);
    const reader = redis.duplicate();
    const pending = store.logs.read(
      reader,
      new Map([
        [store.logs.key({ job: a }), second!.eventId!],
        [store.logs.key({ job: b }), b0!],
      ]),
      5000,
    );
    await new Promise((r) => setTimeout(r, 50));
    await store.update(b, {}, { event: { type: 'progress', data: 3 } });
    const got = await pending;
    await reader.quit();
    expect(got.get(store.logs.key({ job: b }))?.map((e) => e.data)).toEqual([3]);
    expect(got.has(a)).toBe(false);
  });

  it('keeps cancel flags, attempt marks and worker heartbeats', async () => {
    const id = randomUUID();
    await store.create(newDoc(id));
    expect(await store.isCancelRequested(id)).toBe(false);
    await store.requestCancel(id);
    expect(await store.isCancelRequested(id)).toBe(true);
    await store.putCheckpoint(id, 0, Buffer.from('ckpt'));
    await store.markAttempt(id, 1, 'alone');
    await store.markAttempt(id, 2, 'alone');
    await store.markAttempt(id, 2, 'shared'); // the last mark wins
    expect(await store.attemptRuns(id)).toEqual(
      new Map([
        [1, 'alone'],
        [2, 'shared'],
      ]),
    );
    await store.update(id, { status: 'cancelled' });
    // finishing clears the flag, the checkpoint and the attempt marks, whoever finishes the job
    expect(await store.isCancelRequested(id)).toBe(false);
    expect(await store.getCheckpoint(id)).toBeNull();
    expect((await store.attemptRuns(id)).size).toBe(0);
  });

  it('worker heartbeats: live within the window, gone when removed or too old', async () => {
    const workers = new WorkerRegistry(redis, store.keys.prefix);
    const now = new Date().toISOString();
    const beat = { id: 'w1', pid: 1, host: 'h', threads: 2, concurrency: 1, activeJobs: [], startedAt: now, seenAt: now };
    await workers.heartbeat(beat, 5000);
    const old = new Date(Date.now() - 20_000).toISOString();
    await workers.heartbeat({ ...beat, id: 'w-old', seenAt: old }, 5000);
    expect((await workers.live(10_000)).map((w) => w.id)).toEqual(['w1']);
    await workers.remove('w1');
    expect((await workers.live(10_000)).map((w) => w.id)).not.toContain('w1');
  });
});
