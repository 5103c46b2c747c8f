// Chaos, part 3: every job reaches an end (issue 12). Real API and worker processes, a Redis of this
// file's own (the squeeze below would refuse every other test file's writes too), and the reconciler in the API (RECONCILE_INTERVAL_MS) with fast locks. Redis refuses
// every write for a few seconds mid-run (a `CONFIG SET maxmemory` squeeze under noeviction): the
// worker's writes fail and BullMQ's entries may fail with them; once Redis takes writes again, each
// job ends (resumed from its checkpoint and succeeded, or failed with code `lost`), a cancel sent
// after it ends the job as `cancelled`, and DELETE works. And a worker frozen past its lock while its
// job is cancelled: with no worker alive to carry the cancel out, the reconciler does, DELETE works,
// and the worker, woken, records nothing about the deleted job and goes on with the next one.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobAccepted, JobDocument } from '../../src/contracts/index.js';
import { authedFetch } from '../helpers/auth.js';
import { toySpec } from '../helpers/jobs.js';
import { startRedis, type PrivateRedis } from '../helpers/redis-server.js';
import { FAST_RECOVERY_ENV, getJson, jobEnded, postJson, readSse, startStack, waitFor, type Stack } from '../helpers/stack.js';

let stack: Stack;
let redis: Redis;
let server: PrivateRedis;

beforeAll(async () => {
  server = await startRedis();
  stack = await startStack({
    redisUrl: server.url,
    apis: 1,
    workers: 0,
    env: { ...FAST_RECOVERY_ENV, PROGRESS_INTERVAL_MS: '20', CHECKPOINT_EVERY_STEPS: '10', RECONCILE_INTERVAL_MS: '300' },
  });
  redis = new Redis(server.url);
  redis.on('error', () => {});
});
afterEach(async () => {
  await redis.config('SET', 'maxmemory', '0'); // whatever happened, Redis takes writes again
  await Promise.all(stack.workers.map((w) => stack.kill(w, 'SIGKILL')));
});
afterAll(async () => {
  redis?.disconnect();
  await stack?.stop();
  await server?.stop();
});

/** 20 epochs x 100 steps: long enough to break in the middle. */
const longSpec = () => toySpec({ epochs: 20, batchSize: 8, microShardSize: 4 }, 800);

async function submit(): Promise<string> {
  const res = await postJson<JobAccepted>(`${stack.url}/v1/jobs`, longSpec());
  expect(res.status).toBe(202);
  return res.body.id;
}

const doc = async (id: string) => (await getJson<JobDocument>(`${stack.url}/v1/jobs/${id}`)).body;

const ended = (id: string, timeoutMs = 60_000) =>
  jobEnded<JobDocument>(stack.url, id, timeoutMs, () => `; worker: ${stack.workers.at(-1)?.lines.slice(-4).join('\n')}`);

const running = (id: string) => async () => {
  const d = await doc(id);
  return d.status === 'running' && d.progress.epoch >= 2;
};

async function del(id: string): Promise<number> {
  return (await authedFetch(`${stack.url}/v1/jobs/${id}`, { method: 'DELETE' })).status;
}

/** The event stream, replayed from the start, ends with the job's terminal event. */
async function streamEnds(id: string, type: string): Promise<void> {
  const frames = await readSse(`${stack.url}/v1/jobs/${id}/events`, {
    until: (f) => ['completed', 'failed', 'cancelled'].includes(f.event),
    timeoutMs: 10_000,
  });
  expect(frames.at(-1)?.event).toBe(type);
}

describe('chaos: every job reaches an end', () => {
  it('Redis refuses writes mid-run: each job ends (resumed, or failed `lost`), cancel ends one, DELETE works', async () => {
    await stack.addWorker({ POOL_THREADS: '2' });
    const [a, b] = [await submit(), await submit()];
    await waitFor(running(a), 30_000, () => 'job a never ran');
    await waitFor(running(b), 30_000, () => 'job b never ran');

    const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
    await redis.config('SET', 'maxmemory-policy', 'noeviction');
    await redis.config('SET', 'maxmemory', String(used - 200_000));
    await new Promise((r) => setTimeout(r, 5000));
    expect((await postJson(`${stack.url}/v1/jobs`, longSpec())).status).toBeGreaterThanOrEqual(500); // writes were refused
    await redis.config('SET', 'maxmemory', '0');

    const cancel = await postJson<{ status: string }>(`${stack.url}/v1/jobs/${b}/cancel`, {});
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(202);

    const docA = await ended(a);
    console.log(`after the squeeze: ${docA.status}${docA.error ? ` (${docA.error.code})` : ''}, attempt ${docA.attempt}`);
    if (docA.status === 'failed') expect(docA.error).toMatchObject({ code: 'lost' });
    else expect(docA).toMatchObject({ status: 'succeeded' });
    expect(docA.attempt, 'the squeeze did not hit the job').toBeGreaterThanOrEqual(docA.status === 'failed' ? 1 : 2);
    expect(JSON.stringify(docA.error ?? {})).not.toMatch(/OOM|maxmemory|ReplyError/);
    expect((await ended(b)).status).toBe('cancelled');
    await streamEnds(a, docA.status === 'succeeded' ? 'completed' : 'failed');
    await streamEnds(b, 'cancelled');
    expect(await del(a)).toBe(204);
    expect(await del(b)).toBe(204);
    const acted = stack.apis[0]!.lines.filter((l) => l.includes('reconciler: ended a job')).map((l) => JSON.parse(l).action);
    console.log(`the reconciler: ${acted.join(', ') || 'nothing'}`);
  });

  it('a worker frozen past its lock while its job is cancelled: cancelled by the reconciler, DELETE works, the woken worker records nothing', async () => {
    const frozen = await stack.addWorker({ POOL_THREADS: '1' });
    const id = await submit();
    await waitFor(running(id), 30_000, () => 'job never ran');
    frozen.child.kill('SIGSTOP');
    try {
      // past its lock, and past its heartbeat: no worker alive to carry out a cancel
      await new Promise((r) => setTimeout(r, 2 * Number(FAST_RECOVERY_ENV.LOCK_DURATION_MS)));
      const cancel = await postJson<{ status: string }>(`${stack.url}/v1/jobs/${id}/cancel`, {});
      expect(cancel.body.status).toBe('cancelling');
      expect((await ended(id, 15_000)).status).toBe('cancelled');
      await streamEnds(id, 'cancelled');
      expect(await del(id)).toBe(204);
    } finally {
      frozen.child.kill('SIGCONT');
    }
    // the woken attempt's writes are refused: nothing of the deleted job comes back
    await new Promise((r) => setTimeout(r, 2000));
    expect((await getJson(`${stack.url}/v1/jobs/${id}`)).status).toBe(404);
    expect(await redis.keys(`${stack.prefix}:job:${id}*`)).toEqual([]);
    // and the worker goes on with the next job
    const next = await postJson<JobAccepted>(`${stack.url}/v1/jobs`, toySpec({ epochs: 1 }));
    expect((await ended(next.body.id, 30_000)).status).toBe('succeeded');
  });
});
