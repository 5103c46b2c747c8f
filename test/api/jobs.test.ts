import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { TRAIN_QUEUE } from '../../src/contracts/index.js';
import { startApp, tinyJob, type TestApp } from './helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t?.close();
});

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, payload: body as object, headers });

describe('POST /v1/jobs', () => {
  it('accepts a job: 202, Location, a queued document, a status event and a BullMQ job with our id', async () => {
    const res = await post('/v1/jobs', tinyJob({ name: 'tiny', priority: 5 }));
    expect(res.statusCode, res.body).toBe(202);
    const body = res.json();
    expect(body).toMatchObject({ id: expect.any(String), status: 'queued' });
    expect(res.headers.location).toBe(`/v1/jobs/${body.id}`);
    expect(body.links.events).toBe(`/v1/jobs/${body.id}/events`);

    const doc = (await t.app.inject({ url: `/v1/jobs/${body.id}` })).json();
    expect(doc).toMatchObject({ id: body.id, name: 'tiny', status: 'queued', stage: 'queued', attempt: 0, priority: 5 });
    expect(doc.progress).toMatchObject({ epoch: 0, epochs: 1, stepsPerEpoch: 2, percent: 0 });
    expect(doc.spec.model.layers).toHaveLength(2);
    expect(doc.transitions).toEqual([expect.objectContaining({ status: 'queued', stage: 'queued' })]);

    const events = await t.redis.xrange(`${t.prefix}:job:${body.id}:events`, '-', '+');
    expect(events).toHaveLength(1);
    expect(events[0]![1]).toEqual(['type', 'status', 'data', expect.stringContaining('"status":"queued"')]);

    const queue = new Queue(TRAIN_QUEUE, { connection: t.redis, prefix: t.prefix });
    const job = await queue.getJob(body.id);
    expect(job?.data).toEqual({ id: body.id });
    expect(job?.opts.priority).toBe(5);
    await queue.close();
  });

  it('resolves presets to a full spec', async () => {
    const res = await post('/v1/jobs', {
      model: { preset: 'lenet5' },
      dataset: { builtin: 'fashion-mnist', trainSize: 640 },
      training: { epochs: 1, batchSize: 64, optimizer: { type: 'adam', learningRate: 0.001 } },
    });
    expect(res.statusCode, res.body).toBe(202);
    const doc = (await t.app.inject({ url: `/v1/jobs/${res.json().id}` })).json();
    expect(doc.spec.model.input).toEqual([1, 28, 28]);
    expect(doc.spec.model.layers.at(-1)).toMatchObject({ type: 'dense', units: 10 });
    expect(doc.progress.stepsPerEpoch).toBe(10);
  });
});

describe('Idempotency-Key', () => {
  it('same key + same body (any field order) returns the same job; a different body is 422', async () => {
    const key = `k-${Date.now()}`;
    const a = await post('/v1/jobs', tinyJob({ name: 'idem' }), { 'idempotency-key': key });
    expect(a.statusCode).toBe(202);
    // Same content, keys in another order.
    const body = tinyJob({ name: 'idem' });
    const reordered = { training: body.training, name: 'idem', dataset: body.dataset, model: body.model };
    const b = await post('/v1/jobs', reordered, { 'idempotency-key': key });
    expect(b.statusCode).toBe(202);
    expect(b.json().id).toBe(a.json().id);
    expect(b.headers['idempotent-replayed']).toBe('true');
    const c = await post('/v1/jobs', tinyJob({ name: 'other' }), { 'idempotency-key': key });
    expect(c.statusCode).toBe(422);
    expect(c.json()).toMatchObject({ code: 'idempotency-key-reuse', type: '/problems/idempotency-key-reuse' });
    // Without a key, every submission is a new job.
    const d = await post('/v1/jobs', tinyJob({ name: 'idem' }));
    expect(d.json().id).not.toBe(a.json().id);
  });

  it('concurrent duplicates create one job', async () => {
    const key = `race-${Date.now()}`;
    const results = await Promise.all(
      Array.from({ length: 5 }, () => post('/v1/jobs', tinyJob({ name: 'race' }), { 'idempotency-key': key })),
    );
    const ok = results.filter((r) => r.statusCode === 202).map((r) => r.json().id);
    expect(ok.length).toBeGreaterThan(0);
    expect(new Set(ok).size).toBe(1);
    for (const r of results) expect([202, 409]).toContain(r.statusCode);
  });
});

describe('GET /v1/jobs', () => {
  it('lists newest first, pages with the cursor without gaps or repeats, filters by status', async () => {
    const fresh = await startApp();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await fresh.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob({ name: `j${i}` }) });
        ids.push(r.json().id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const page = (await fresh.app.inject({ url: `/v1/jobs?limit=2${q}` })).json();
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((j: { id: string }) => j.id));
        for (const item of page.items) expect(item).not.toHaveProperty('spec');
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual([...ids].reverse());
      expect(pages).toBe(3);

      await fresh.app.inject({ method: 'POST', url: `/v1/jobs/${ids[0]}/cancel` });
      const cancelled = (await fresh.app.inject({ url: '/v1/jobs?status=cancelled' })).json();
      expect(cancelled.items.map((j: { id: string }) => j.id)).toEqual([ids[0]]);
      const queued = (await fresh.app.inject({ url: '/v1/jobs?status=queued' })).json();
      expect(queued.items).toHaveLength(4);
      const bad = await fresh.app.inject({ url: '/v1/jobs?cursor=garbage' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().field).toBe('querystring/cursor');
    } finally {
      await fresh.close();
    }
  });
});

describe('cancel and delete', () => {
  it('cancels a queued job at once: out of the queue, cancelled, a cancelled event; then it can be deleted', async () => {
    const { id } = (await post('/v1/jobs', tinyJob())).json();
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/jobs/${id}` })).statusCode).toBe(409);
    const res = await post(`/v1/jobs/${id}/cancel`, undefined);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({ id, status: 'cancelled' });
    const doc = (await t.app.inject({ url: `/v1/jobs/${id}` })).json();
    expect(doc).toMatchObject({ status: 'cancelled', stage: 'done', finishedAt: expect.any(String) });
    const queue = new Queue(TRAIN_QUEUE, { connection: t.redis, prefix: t.prefix });
    expect(await queue.getJob(id)).toBeUndefined();
    await queue.close();
    const types = (await t.redis.xrange(`${t.prefix}:job:${id}:events`, '-', '+')).map(([, f]) => f[1]);
    expect(types).toEqual(['status', 'cancelled']);
    // Cancelling again: it has finished.
    expect((await post(`/v1/jobs/${id}/cancel`, undefined)).statusCode).toBe(409);
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/jobs/${id}` })).statusCode).toBe(204);
    expect((await t.app.inject({ url: `/v1/jobs/${id}` })).statusCode).toBe(404);
    expect(await t.redis.exists(`${t.prefix}:job:${id}`, `${t.prefix}:job:${id}:events`)).toBe(0);
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/jobs/${id}` })).statusCode).toBe(404);
  });

  it('cancels a running job through the flag, whichever process runs it', async () => {
    const t = await startApp();
    const post = (url: string, body: unknown) => t.app.inject({ method: 'POST', url, payload: body as object });
    // A stand-in worker process: a real BullMQ Worker that marks the job running and stops at the flag.
    const { Worker } = await import('bullmq');
    const { JobStore } = await import('../../src/store/index.js');
    const conn = t.redis.duplicate({ maxRetriesPerRequest: null });
    const store = new JobStore(conn, t.prefix);
    let sawCancel = false;
    const worker = new Worker(
      TRAIN_QUEUE,
      async (job) => {
        const id = job.data.id as string;
        await store.update(
          id,
          { status: 'running', stage: 'training', attempt: 1 },
          { event: { type: 'status', data: { status: 'running', stage: 'training', attempt: 1, at: new Date().toISOString() } } },
        );
        for (let i = 0; i < 500 && !(await store.isCancelRequested(id)); i++) await new Promise((r) => setTimeout(r, 10));
        sawCancel = await store.isCancelRequested(id);
        await store.update(
          id,
          { status: 'cancelled', stage: 'done' },
          { event: { type: 'cancelled', data: { metrics: { loss: null, accuracy: null }, weights: null } } },
        );
      },
      { connection: conn, prefix: t.prefix },
    );
    try {
      const { id } = (await post('/v1/jobs', tinyJob())).json();
      for (let i = 0; i < 300; i++) {
        if ((await t.app.inject({ url: `/v1/jobs/${id}` })).json().status === 'running') break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const res = await post(`/v1/jobs/${id}/cancel`, undefined);
      expect(res.statusCode).toBe(202);
      expect(res.json().status).toBe('cancelling');
      for (let i = 0; i < 300; i++) {
        if ((await t.app.inject({ url: `/v1/jobs/${id}` })).json().status === 'cancelled') break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const doc = (await t.app.inject({ url: `/v1/jobs/${id}` })).json();
      expect(sawCancel).toBe(true);
      expect(doc.transitions.map((x: { status: string }) => x.status)).toEqual(['queued', 'running', 'cancelling', 'cancelled']);
    } finally {
      await worker.close();
      conn.disconnect();
      await t.close();
    }
  });
});

describe('accepted jobs are never lost', () => {
  it('requeueOrphans() queues a job whose document was written but whose queue.add never happened', async () => {
    const { requeueOrphans } = await import('../../src/server/enqueue.js');
    const fresh = await startApp();
    try {
      const { id } = (await fresh.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob({ priority: 7 }) })).json();
      const queue = new Queue(TRAIN_QUEUE, { connection: fresh.redis, prefix: fresh.prefix });
      await queue.remove(id); // as if the API died between the document and queue.add
      expect(await queue.getJob(id)).toBeUndefined();
      expect(await requeueOrphans(fresh.app)).toBe(1);
      const job = await queue.getJob(id);
      expect(job?.data).toEqual({ id });
      expect(job?.opts.priority).toBe(7);
      expect(await requeueOrphans(fresh.app)).toBe(0);
      await queue.close();
    } finally {
      await fresh.close();
    }
  });
});
