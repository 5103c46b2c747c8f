// Redis under pressure (issue 12), on a redis-server of its own squeezed with CONFIG SET maxmemory:
// above REDIS_HIGH_WATER_RATIO submit and upload answer 503 storage-full with Retry-After; a write
// Redis refuses (OOM) answers the same problem with an errorId, never a 500 with Redis's text; a
// worker's final write waits the squeeze out instead of failing the job.
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createModel } from '../../src/engine/index.js';
import { JobStore, parseMemoryInfo, queuedJobDocument } from '../../src/store/index.js';
import { settle } from '../../workers/admission.js';
import { JobWriter } from '../../workers/job-writer.js';
import { packWeights } from '../../workers/job-weights.js';
import { startRedis, type PrivateRedis } from '../helpers/redis-server.js';
import { startApp, tinyJob, type TestApp } from './helpers.js';

let server: PrivateRedis;
let redis: Redis;
let t: TestApp;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
  t = await startApp({ REDIS_HIGH_WATER_RATIO: '0.5' }, 'full', server.url);
});
afterEach(async () => {
  await redis.config('SET', 'maxmemory', '0');
});
afterAll(async () => {
  await t?.close();
  redis?.disconnect();
  await server?.stop();
});

const used = async () => parseMemoryInfo(await redis.info('memory')).used;
/** Past the API's one-second cache of INFO memory. */
const pastCache = () => sleep(1100);
const csv = '0,1,2,3,4\n1,5,6,7,8\n';

describe('Redis under pressure', () => {
  it('answers submit and upload with 503 storage-full and Retry-After above the high-water mark, and takes them again after', async () => {
    await redis.config('SET', 'maxmemory', String(Math.ceil((await used()) / 0.6)));
    await pastCache();
    const submit = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob() });
    expect(submit.statusCode).toBe(503);
    expect(submit.headers['retry-after']).toBe('30');
    expect(submit.json()).toMatchObject({ code: 'storage-full', type: '/problems/storage-full' });
    const upload = await t.app.inject({ method: 'POST', url: '/v1/datasets', payload: csv, headers: { 'content-type': 'text/csv' } });
    expect(upload.statusCode).toBe(503);
    expect(upload.json().code).toBe('storage-full');
    // Reads still work.
    const read = await t.app.inject({ url: '/v1/jobs' });
    expect(read.statusCode, read.body).toBe(200);

    await redis.config('SET', 'maxmemory', '0');
    await pastCache();
    expect((await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob() })).statusCode).toBe(202);
  });

  it('maps a write Redis refuses (OOM) to 503 storage-full with an errorId, never Redis text', async () => {
    const id = (await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob({ name: 'oom' }) })).json().id;
    await redis.config('SET', 'maxmemory', '1');
    const res = await t.app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel` });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('30');
    expect(res.json()).toMatchObject({ code: 'storage-full', errorId: expect.stringMatching(/^err_[0-9a-f]{16}$/) });
    expect(res.body).not.toMatch(/OOM|maxmemory|ReplyError/);
  });

  it('leaves a job unfailed when Redis refused a write mid-run (the attempt ends; the reconciler recovers it)', async () => {
    const store = new JobStore(redis, 'full-settle');
    const id = 'mid-run';
    await store.create(queuedJobDocument(id, { ...tinyJob() } as never, 2));
    await store.update(id, { status: 'running', stage: 'training', attempt: 1 });
    const log = pino({ level: 'silent' });
    const oom = Object.assign(new Error("OOM command not allowed when used memory > 'maxmemory'."), { name: 'ReplyError' });
    await expect(settle(oom, new JobWriter(store, id, 1, log, 5000), log)).rejects.toBe(oom);
    expect((await store.get(id))?.status).toBe('running');
  });

  it("waits out a squeeze at a job's final write instead of failing the job", async () => {
    const store = new JobStore(redis, 'full-writer');
    const id = 'final-write';
    await store.create(queuedJobDocument(id, { ...tinyJob(), model: tinyJob().model } as never, 2));
    await store.update(id, { status: 'running', stage: 'training', attempt: 1 });
    const writer = new JobWriter(store, id, 1, pino({ level: 'silent' }), 30_000);
    const model = createModel({ input: [1, 4, 4], layers: [{ type: 'flatten' }, { type: 'dense', units: 2 }] });
    const weights = packWeights(id, model, 255, 1024);
    const metrics = { loss: 0.5, accuracy: 0.75 };
    const progress = { epoch: 1, epochs: 1, step: 2, stepsPerEpoch: 2, percent: 100, etaSeconds: 0, samplesPerSecond: null };

    await redis.config('SET', 'maxmemory', '1');
    const outcome = writer.completed({ reason: 'epochs', metrics, history: [], weights, progress });
    let settled = false;
    outcome.then(
      () => (settled = true),
      () => (settled = true),
    );
    await sleep(800);
    expect(settled).toBe(false);
    expect((await store.get(id))?.status).toBe('running');

    await redis.config('SET', 'maxmemory', '0');
    expect(await outcome).toEqual({ kind: 'succeeded', reason: 'epochs' });
    const doc = await store.get(id);
    expect(doc?.status).toBe('succeeded');
    expect(doc?.weights?.sha256).toBe(weights.info.sha256);
  });
});
