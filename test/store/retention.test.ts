// Retention (issue 12) against a real Redis: a finished job's keys expire (JOB_RETENTION_SECONDS, set
// by the terminal commit), the sweep takes expired jobs out of the listings and gives their tenant
// the stored bytes back, jobs finished before retention existed are adopted, and datasets expire
// after DATASET_RETENTION_SECONDS unless a job still needs them.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { JobSpec } from '../../src/contracts/index.js';
import { datasetFromArrays } from '../../src/datasets/index.js';
import { DatasetStore } from '../../src/store/datasets.js';
import { connectRedis } from '../../src/store/redis.js';
import { JobRetention, JobStore, queuedJobDocument } from '../../src/store/index.js';

let redis: Redis;
beforeAll(() => {
  redis = connectRedis(inject('redisUrl'), 'retention-test');
});
afterAll(async () => {
  await redis.quit();
});

const spec = (dataset: JobSpec['dataset'] = { builtin: 'mnist' }) =>
  ({ model: { input: [1, 28, 28], layers: [] }, dataset, training: { epochs: 1, batchSize: 1 } }) as unknown as JobSpec;

function stores(jobRetentionSeconds: number) {
  const prefix = `ret-${randomUUID().slice(0, 8)}`;
  const store = new JobStore(redis, prefix, { maxProgressEvents: 10, tenantLogLength: 1000, jobRetentionSeconds });
  return { store, datasets: new DatasetStore(redis, prefix), retention: new JobRetention(redis, store.keys), k: store.keys };
}

async function finishedJob(store: JobStore, opts: { dataset?: JobSpec['dataset']; weights?: Buffer; tenant?: string } = {}) {
  const id = randomUUID();
  await store.create(queuedJobDocument(id, spec(opts.dataset), 1, opts.tenant ?? 'acme'), { type: 'status', data: {} });
  await store.update(id, { status: 'running', stage: 'training', attempt: 1 });
  await store.update(
    id,
    { status: 'succeeded', stage: 'done' },
    { event: { type: 'completed', data: {} }, ...(opts.weights ? { weights: opts.weights } : {}) },
  );
  return id;
}

describe('job retention', () => {
  it("expires a finished job's hash, events and weights at its terminal commit, and keeps them with 0", async () => {
    const { store, k } = stores(3600);
    const id = await finishedJob(store, { weights: Buffer.alloc(1000) });
    for (const key of [k.job(id), k.events(id), k.weights(id)]) {
      const ttl = await redis.ttl(key);
      expect(ttl, key).toBeGreaterThan(3500);
      expect(ttl, key).toBeLessThanOrEqual(3600);
    }
    expect(await redis.hget(k.jobsExpiryInfo(), id)).toBe('acme succeeded 1000');

    const kept = stores(0);
    const keptId = await finishedJob(kept.store, { weights: Buffer.alloc(10) });
    expect(await redis.ttl(kept.k.job(keptId))).toBe(-1);
    expect(await redis.ttl(kept.k.weights(keptId))).toBe(-1);
    expect(await redis.zscore(kept.k.jobsExpiry(), keptId)).toBeNull();
  });

  it("leaves an unfinished job's keys alone", async () => {
    const { store, k } = stores(60);
    const id = randomUUID();
    await store.create(queuedJobDocument(id, spec(), 1, 'acme'), { type: 'status', data: {} });
    await store.update(id, { status: 'running', stage: 'training', attempt: 1 }, { event: { type: 'status', data: {} } });
    expect(await redis.ttl(k.job(id))).toBe(-1);
    expect(await redis.ttl(k.events(id))).toBe(-1);
  });

  it('sweeps expired jobs out of the listings and gives the tenant its stored bytes back', async () => {
    const { store, retention, k } = stores(60);
    const id = await finishedJob(store, { weights: Buffer.alloc(5000) });
    const other = await finishedJob(store);
    // written after the end, so without an expiry of their own: delivery records, a webhook still owed
    await redis.rpush(k.deliveries(id), '{"attempt":1}');
    await redis.hset(k.webhookOutbox(), id, '1-0');
    expect(await redis.hget(k.tenantUsage('acme'), 'bytes')).toBe('5000');
    expect(await retention.sweep(Date.now())).toEqual([]);
    const swept = await retention.sweep(Date.now() + 61_000);
    expect(swept.sort()).toEqual([id, other].sort());
    expect((await store.list({ tenant: 'acme' })).jobs).toEqual([]);
    expect((await store.list()).jobs).toEqual([]);
    expect(await redis.hget(k.tenantUsage('acme'), 'bytes')).toBe('0');
    expect(await redis.exists(k.job(id), k.events(id), k.weights(id))).toBe(0);
    expect(await redis.exists(k.deliveries(id))).toBe(0);
    expect(await redis.hexists(k.webhookOutbox(), id)).toBe(0);
    expect(await retention.sweep(Date.now() + 61_000)).toEqual([]);
  });

  it('adopts jobs that finished before retention existed, counting from their finishedAt', async () => {
    const { store, retention, k } = stores(600);
    const id = await finishedJob(store, { weights: Buffer.alloc(7) });
    // As stored before: no expiry anywhere.
    await redis.persist(k.job(id));
    await redis.persist(k.events(id));
    await redis.persist(k.weights(id));
    await redis.zrem(k.jobsExpiry(), id);
    await redis.hdel(k.jobsExpiryInfo(), id);
    expect(await retention.adopt(600)).toBe(1);
    const finishedAt = Date.parse((await store.get(id))!.finishedAt!);
    expect(Number(await redis.zscore(k.jobsExpiry(), id))).toBe(finishedAt + 600_000);
    expect(await redis.pexpiretime(k.weights(id))).toBe(finishedAt + 600_000);
    expect(await redis.hget(k.jobsExpiryInfo(), id)).toBe('acme succeeded 7');
    expect(await retention.adopt(600)).toBe(0);
  });
});

describe('dataset retention', () => {
  const inline = { shape: [1, 2, 2] as [number, number, number], samples: [[1, 2, 3, 4]], labels: [0] };

  it('deletes a dataset unused for its retention, but never while an unfinished job needs it', async () => {
    const { store, datasets, k } = stores(60);
    const { info } = await datasets.putInline(datasetFromArrays(inline), 'acme');
    const id = randomUUID();
    await store.create(queuedJobDocument(id, spec({ id: info.id }), 1, 'acme'));
    const later = Date.now() + 3600_000;
    expect(await datasets.sweep(later, 60)).toEqual([]);
    expect(await datasets.info(info.id)).not.toBeNull();
    await store.update(id, { status: 'cancelled', stage: 'done' });
    expect(await redis.scard(k.datasetJobs(info.id))).toBe(0);
    // Its last use is now (the job ended): gone only after the retention from then.
    expect(await datasets.sweep(Date.now() + 30_000, 60)).toEqual([]);
    expect(await datasets.sweep(Date.now() + 61_000, 60)).toEqual([info.id]);
    expect(await datasets.info(info.id)).toBeNull();
    expect(await redis.hget(k.tenantUsage('acme'), 'bytes')).toBe('0');
    // A job's inline samples count as stored bytes, never against the tenant's uploads (maxDatasets).
    expect(await redis.hget(k.tenantUsage('acme'), 'datasets')).toBeNull();
  });
});
