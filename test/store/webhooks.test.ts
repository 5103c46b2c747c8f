// The webhook side of the store against a real Redis: the commit that writes a job's terminal event
// also records that a webhook is owed (once, whoever writes it), deletion takes it back with the
// delivery records, and a tenant's secret is created once and rotated on demand.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Delivery, JobDocument } from '../../src/contracts/index.js';
import { connectRedis } from '../../src/store/redis.js';
import { JobFinishedError, JobStore, WebhookStore, queuedJobDocument, statusEvent } from '../../src/store/index.js';
import { toySpec } from '../helpers/jobs.js';

let redis: Redis;
let store: JobStore;
let webhooks: WebhookStore;

beforeAll(() => {
  redis = connectRedis(inject('redisUrl'), 'webhooks-store-test');
  const prefix = `wh-${randomUUID().slice(0, 8)}`;
  store = new JobStore(redis, prefix);
  webhooks = new WebhookStore(redis, prefix);
});
afterAll(async () => {
  await redis.quit();
});

async function runningJob(tenant = 'acme'): Promise<string> {
  const id = `j${randomUUID().slice(0, 8)}`;
  const doc = queuedJobDocument(id, toySpec(), 4, tenant);
  await store.create(doc, statusEvent(doc));
  await store.update(id, { status: 'running', stage: 'training', attempt: 1 }, { fence: 0, event: (d) => statusEvent(d) });
  return id;
}

const owedIds = async () => (await webhooks.owed(1000)).map((o) => o.jobId);

const delivery = (attempt: number): Delivery => ({
  webhookId: 'msg',
  attempt,
  url: 'http://127.0.0.1/x',
  statusCode: 500,
  ok: false,
  error: 'the receiver answered 500',
  startedAt: new Date().toISOString(),
  finishedAt: new Date().toISOString(),
  willRetry: true,
});

describe('the webhook outbox', () => {
  it('gets a job when its terminal event is committed, with that event id, and only then', async () => {
    const id = await runningJob();
    expect(await owedIds()).not.toContain(id);
    await store.update(
      id,
      { progress: { epoch: 0, epochs: 1, step: 1, stepsPerEpoch: 4, percent: 25, etaSeconds: null, samplesPerSecond: null } },
      { fence: 1, event: { type: 'progress', data: {} } },
    );
    expect(await owedIds()).not.toContain(id);
    const res = await store.update(
      id,
      { status: 'failed', stage: 'done', error: { code: 'x', message: 'y' } },
      { fence: 1, event: { type: 'failed', data: { error: { code: 'x', message: 'y' }, attempt: 1 } } },
    );
    expect((await webhooks.owed(1000)).find((o) => o.jobId === id)).toEqual({ jobId: id, eventId: res!.eventId });
    expect(await webhooks.event(id, res!.eventId!)).toEqual({ type: 'failed', data: { error: { code: 'x', message: 'y' }, attempt: 1 } });
    // a finished job is frozen: nothing more is written, nothing more is owed
    await webhooks.done(id);
    await expect(store.update(id, { status: 'cancelled' }, { event: { type: 'cancelled', data: {} } })).rejects.toBeInstanceOf(
      JobFinishedError,
    );
    expect(await owedIds()).not.toContain(id);
  });

  it('gets unfenced ends too (a cancel from the API, the reconciler)', async () => {
    const id = await runningJob();
    await store.update(id, (d: JobDocument) => (d.status === 'running' ? { status: 'cancelled', stage: 'done' } : null), {
      event: { type: 'cancelled', data: { metrics: { loss: null, accuracy: null }, weights: null } },
    });
    expect(await owedIds()).toContain(id);
    await webhooks.done(id);
  });

  it('loses the job, and its delivery records, when the job is deleted', async () => {
    const id = await runningJob();
    await store.update(id, { status: 'succeeded', stage: 'done' }, { fence: 1, event: { type: 'completed', data: {} } });
    await webhooks.record(id, delivery(1));
    await webhooks.record(id, delivery(2));
    expect((await webhooks.deliveries(id)).map((d) => d.attempt)).toEqual([1, 2]);
    await store.delete(id);
    expect(await owedIds()).not.toContain(id);
    expect(await webhooks.deliveries(id)).toEqual([]);
    await webhooks.record(id, delivery(3)); // an attempt finishing after the delete leaves nothing behind
    expect(await webhooks.deliveries(id)).toEqual([]);
  });
});

describe("a tenant's webhook settings", () => {
  it('creates the secret once (whsec_ + 32 bytes), rotates it on demand', async () => {
    const tenant = `t${randomUUID().slice(0, 6)}`;
    const [a, b] = await Promise.all([webhooks.secret(tenant), webhooks.secret(tenant)]);
    expect(a).toBe(b);
    expect(Buffer.from(a.slice('whsec_'.length), 'base64')).toHaveLength(32);
    const rotated = await webhooks.rotateSecret(tenant);
    expect(rotated).not.toBe(a);
    expect(await webhooks.secret(tenant)).toBe(rotated);
  });

  it('keeps a default URL until it is removed', async () => {
    const tenant = `t${randomUUID().slice(0, 6)}`;
    expect(await webhooks.defaultUrl(tenant)).toBeNull();
    await webhooks.setDefaultUrl(tenant, 'https://hooks.example.com/a');
    expect(await webhooks.defaultUrl(tenant)).toBe('https://hooks.example.com/a');
    await webhooks.setDefaultUrl(tenant, null);
    expect(await webhooks.defaultUrl(tenant)).toBeNull();
  });
});
