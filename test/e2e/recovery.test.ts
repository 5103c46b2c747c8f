// Issue 4 end to end, with real processes: bit-identical weights whatever the thread count; a worker
// killed with SIGKILL mid-epoch, or stopped with SIGTERM, loses no work: another worker resumes from
// the checkpoint, clients see one continuous event stream, and the final weights equal an
// uninterrupted run's; two workers and ten jobs complete every job exactly once.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { JobAccepted, JobDocument, JobSpec } from '../../src/contracts/index.js';
import { FAST_RECOVERY_ENV, getJson, postJson, readSse, startStack, type SseFrame, type Stack } from '../helpers/stack.js';
import { toySpec } from '../helpers/jobs.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    redisUrl: inject('redisUrl'),
    apis: 1,
    workers: 0,
    env: { ...FAST_RECOVERY_ENV, PROGRESS_INTERVAL_MS: '0', CHECKPOINT_EVERY_STEPS: '5' },
  });
});
afterAll(async () => {
  await stack?.stop();
});
afterEach(async () => {
  await stack.stopWorkers(); // each test starts the workers it needs
});

async function submit(spec: JobSpec): Promise<string> {
  const res = await postJson<JobAccepted>(`${stack.url}/v1/jobs`, spec);
  expect(res.status).toBe(202);
  return res.body.id;
}

async function finalDoc(id: string): Promise<JobDocument> {
  const frames = await readSse(`${stack.url}/v1/jobs/${id}/events`, { until: (f) => ['completed', 'failed', 'cancelled'].includes(f.event), timeoutMs: 60_000 });
  expect(frames.at(-1)?.event).toBe('completed');
  return (await getJson<JobDocument>(`${stack.url}/v1/jobs/${id}`)).body;
}

/** A job long enough to interrupt (a few seconds on one thread). */
const longSpec = () => toySpec({ epochs: 12, batchSize: 4 }, 256);

/** Watches the document while a job runs: progress must never go backwards. */
function watchProgress(id: string): { stop(): Promise<[number, number][]> } {
  const seen: [number, number][] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const { body } = await getJson<JobDocument>(`${stack.url}/v1/jobs/${id}`);
      if (body?.progress) seen.push([body.progress.epoch, body.progress.step]);
      await new Promise((r) => setTimeout(r, 30));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return seen;
    },
  };
}

function expectMonotonic(seen: [number, number][]): void {
  for (let i = 1; i < seen.length; i++) {
    const [e0, s0] = seen[i - 1]!;
    const [e1, s1] = seen[i]!;
    expect(e1 > e0 || (e1 === e0 && s1 >= s0), `progress went from ${e0}/${s0} to ${e1}/${s1}`).toBe(true);
  }
}

function expectContinuous(frames: SseFrame[], logIds: string[]): void {
  const ids = frames.filter((f) => f.id).map((f) => f.id!);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids).toEqual(logIds);
}

describe('parallel and unkillable', () => {
  let reference = '';

  it('gives bit-identical weights with 1, 2 and 3 threads', async () => {
    const hashes: string[] = [];
    for (const threads of ['1', '2', '3']) {
      const worker = await stack.addWorker({ POOL_THREADS: threads, MICRO_SHARD_SIZE: '3' });
      const doc = await finalDoc(await submit(toySpec({ epochs: 2, batchSize: 16 })));
      hashes.push(doc.weights!.sha256);
      await stack.kill(worker, 'SIGTERM');
    }
    expect(hashes[1]).toBe(hashes[0]);
    expect(hashes[2]).toBe(hashes[0]);
  });

  it('an uninterrupted run gives the reference weights', async () => {
    const worker = await stack.addWorker();
    const doc = await finalDoc(await submit(longSpec()));
    expect(doc.attempt).toBe(1);
    reference = doc.weights!.sha256;
    await stack.kill(worker, 'SIGTERM');
  });

  it('resumes after SIGKILL mid-epoch: same weights, one continuous stream, attempt 2, recovering', async () => {
    const first = await stack.addWorker();
    const id = await submit(longSpec());
    const watch = watchProgress(id);
    const stream = readSse(`${stack.url}/v1/jobs/${id}/events`, { until: (f) => f.event === 'completed', timeoutMs: 60_000 });
    // kill once the job is well into its second epoch
    await readSse(`${stack.url}/v1/jobs/${id}/events`, {
      until: (f) => f.event === 'progress' && JSON.parse(f.data).epoch >= 2 && JSON.parse(f.data).step >= 7,
    });
    await stack.kill(first, 'SIGKILL');
    await stack.addWorker();
    const frames = await stream;
    const seen = await watch.stop();
    expectMonotonic(seen);
    const doc = (await getJson<JobDocument>(`${stack.url}/v1/jobs/${id}`)).body;
    expect(doc.status).toBe('succeeded');
    expect(doc.attempt).toBe(2);
    expect(doc.weights!.sha256).toBe(reference);
    const recovering = frames.find((f) => f.event === 'status' && JSON.parse(f.data).stage === 'recovering');
    expect(JSON.parse(recovering!.data).attempt).toBe(2);
    const log = await getJson<{ events: { id: string }[] }>(`${stack.url}/v1/jobs/${id}/events?limit=10000`);
    expectContinuous(frames, log.body.events.map((e) => e.id));
  });

  it('hands jobs back on SIGTERM and resumes them on restart: same weights', async () => {
    const first = await stack.addWorker();
    const id = await submit(longSpec());
    const stream = readSse(`${stack.url}/v1/jobs/${id}/events`, { until: (f) => f.event === 'completed', timeoutMs: 60_000 });
    await readSse(`${stack.url}/v1/jobs/${id}/events`, {
      until: (f) => f.event === 'progress' && JSON.parse(f.data).epoch >= 2 && JSON.parse(f.data).step >= 3,
    });
    expect(await stack.kill(first, 'SIGTERM')).toBe(0);
    const handed = (await getJson<JobDocument>(`${stack.url}/v1/jobs/${id}`)).body;
    expect(handed.status, first.lines.slice(-8).join('\n')).toBe('queued');
    await stack.addWorker();
    const frames = await stream;
    const doc = (await getJson<JobDocument>(`${stack.url}/v1/jobs/${id}`)).body;
    expect(doc.attempt).toBe(2);
    expect(doc.weights!.sha256).toBe(reference);
    const log = await getJson<{ events: { id: string }[] }>(`${stack.url}/v1/jobs/${id}/events?limit=10000`);
    expectContinuous(frames, log.body.events.map((e) => e.id));
  });

  it('two workers and ten jobs: every job completes exactly once', async () => {
    await Promise.all([stack.addWorker(), stack.addWorker()]);
    const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => submit(toySpec({ epochs: 2, seed: i }, 64))));
    const docs = await Promise.all(ids.map(finalDoc));
    for (const doc of docs) {
      expect(doc.status).toBe('succeeded');
      expect(doc.attempt).toBe(1);
    }
    for (const id of ids) {
      const log = await getJson<{ events: { type: string }[] }>(`${stack.url}/v1/jobs/${id}/events?limit=10000`);
      expect(log.body.events.filter((e) => e.type === 'completed')).toHaveLength(1);
    }
  });
});
