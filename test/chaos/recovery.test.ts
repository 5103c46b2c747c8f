// Chaos, part 1: the same weights whatever happens to the processes. Real API and worker processes
// from dist, the run's private Redis. One job spec throughout (a toy inline dataset, ~500 steps of a
// few ms): its weights with 1, 2 and 3 pool threads are the reference; a run whose worker is killed
// with SIGKILL after a checkpoint, one whose worker is stopped with SIGTERM (a rolling restart), and
// one whose worker is frozen with SIGSTOP long enough to lose the job (its late writes must be fenced
// off when it wakes) must all end with the very same safetensors bytes. A real `eventsource` client
// follows each job from submit to end, is cut off and reconnects with Last-Event-ID to the other API
// process: it must see the event log exactly, no id twice, none missing.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { JobAccepted, JobDocument } from '../../src/contracts/index.js';
import { decodeSafetensors } from '../../src/engine/safetensors.js';
import { createKeys } from '../../src/store/keys.js';
import { toySpec } from '../helpers/jobs.js';
import { JobFollower, type FollowedEvent } from '../helpers/sse-follower.js';
import { FAST_RECOVERY_ENV, getJson, postJson, startStack, waitFor, type Proc, type Stack } from '../helpers/stack.js';
import { authedFetch } from '../helpers/auth.js';

const CHECKPOINT_EVERY_STEPS = 10;
/** 5 epochs x 100 steps of batch 8 (a second or two), cut into micro-shards of 3 (3 + 3 + 2). */
const EPOCHS = 5;
const spec = () => toySpec({ epochs: EPOCHS, batchSize: 8, seed: 11, microShardSize: 3 }, 800);
const stepsPerEpoch = 100;

let stack: Stack;
let redis: Redis;

beforeAll(async () => {
  stack = await startStack({
    redisUrl: inject('redisUrl'),
    apis: 2,
    workers: 0,
    env: {
      ...FAST_RECOVERY_ENV,
      PROGRESS_INTERVAL_MS: '20',
      CHECKPOINT_EVERY_STEPS: String(CHECKPOINT_EVERY_STEPS),
      SSE_RETRY_MS: '100',
    },
  });
  redis = new Redis(inject('redisUrl'));
  redis.on('error', () => {});
});
afterEach(async () => {
  // every test starts with no worker: a leftover one would take the next test's job
  await Promise.all(stack.workers.map((w) => stack.kill(w, 'SIGTERM')));
});
afterAll(async () => {
  redis?.disconnect();
  await stack?.stop();
});

const bases = () => stack.apis.map((a) => a.url!);

async function submit(): Promise<string> {
  const res = await postJson<JobAccepted>(`${stack.url}/v1/jobs`, spec());
  expect(res.status).toBe(202);
  return res.body.id;
}

async function doc(id: string): Promise<JobDocument> {
  return (await getJson<JobDocument>(`${stack.url}/v1/jobs/${id}`)).body;
}

/** The sha256 of the final weights' safetensors bytes (checked against the download's ETag). */
async function weightsSha(id: string): Promise<string> {
  const res = await authedFetch(`${stack.apis[1]!.url}/v1/jobs/${id}/weights?format=safetensors`);
  expect(res.status).toBe(200);
  const bytes = new Uint8Array(await res.arrayBuffer());
  expect(decodeSafetensors(bytes).tensors.length).toBeGreaterThan(0);
  const sha = createHash('sha256').update(bytes).digest('hex');
  expect(res.headers.get('etag')?.replace(/"/g, '')).toBe(sha);
  expect((await doc(id)).weights?.sha256).toBe(sha);
  return sha;
}

/** Polls the job document while it runs: its progress must never go backwards. */
function watchProgress(id: string): { stop(): Promise<number[]> } {
  const seen: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const d = await doc(id).catch(() => undefined);
      if (d?.progress) seen.push((d.progress.epoch - 1) * d.progress.stepsPerEpoch + d.progress.step);
      await new Promise((r) => setTimeout(r, 25));
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

/** Fails with what the client saw and what the workers logged, instead of a bare test timeout. */
async function within<T>(p: Promise<T>, ms: number, what: string, follower: JobFollower): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const seen = follower.events.map((e) => (e.type === 'status' ? `status:${e.data.status}/${e.data.stage}#${e.data.attempt}` : e.type));
      const logs = stack.workers.map((w) => w.lines.slice(-6).join('\n')).join('\n---\n');
      reject(new Error(`${what}: nothing after ${ms} ms; events: ${seen.join(' ')}\nworker logs:\n${logs}`));
    }, ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The worker process running a job, from the heartbeats workers keep in Redis. */
async function owner(jobId: string): Promise<Proc> {
  const keys = createKeys(stack.prefix);
  for (const wid of await redis.zrange(keys.workers(), 0, -1)) {
    const beat = await redis.get(keys.worker(wid));
    if (!beat) continue;
    const { pid, activeJobs } = JSON.parse(beat) as { pid: number; activeJobs: string[] };
    const proc = stack.workers.find((w) => w.child.pid === pid && w.child.exitCode === null);
    if (proc && activeJobs.includes(jobId)) return proc;
  }
  throw new Error(`no live worker reports job ${jobId}`);
}

const globalStep = (epoch: number, step: number) => (epoch - 1) * stepsPerEpoch + step;
const isProgressAtLeast = (epoch: number, step: number) => (e: FollowedEvent) =>
  e.type === 'progress' && globalStep(e.data.epoch, e.data.step) >= globalStep(epoch, step);

/** The client saw the durable log exactly: same ids, same order, none twice, none missing. */
async function expectSameAsLog(events: FollowedEvent[], id: string): Promise<void> {
  const ids = events.map((e) => e.id);
  expect(new Set(ids).size, 'an event id arrived twice').toBe(ids.length);
  const log = await getJson<{ events: { id: string; type: string }[] }>(`${stack.apis[1]!.url}/v1/jobs/${id}/events?limit=10000`);
  expect(ids).toEqual(log.body.events.map((e) => e.id));
  expect(events.map((e) => e.type)).toEqual(log.body.events.map((e) => e.type));
}

function expectEpochsOnce(events: FollowedEvent[]): void {
  expect(events.filter((e) => e.type === 'epoch').map((e) => e.data.epoch)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1));
  expect(events.filter((e) => ['completed', 'failed', 'cancelled'].includes(e.type)).map((e) => e.type)).toEqual(['completed']);
}

function expectMonotonic(seen: number[]): void {
  expect(seen.length).toBeGreaterThan(3);
  for (let i = 1; i < seen.length; i++)
    expect(seen[i], `document progress went from ${seen[i - 1]} to ${seen[i]}`).toBeGreaterThanOrEqual(seen[i - 1]!);
}

/** "at epoch E, step S" in a status message, as a global step. */
function positionIn(message: string | undefined): number {
  const m = /epoch (\d+), step (\d+)/.exec(message ?? '');
  expect(m, `no position in ${JSON.stringify(message)}`).not.toBeNull();
  return globalStep(Number(m![1]), Number(m![2]));
}

describe('chaos: weights survive threads, SIGKILL and SIGTERM bit for bit', () => {
  let reference = '';

  it('1, 2 and 3 pool threads give bit-identical safetensors bytes', async () => {
    const hashes: string[] = [];
    for (const threads of ['1', '2', '3']) {
      const worker = await stack.addWorker({ POOL_THREADS: threads });
      const id = await submit();
      const follower = new JobFollower(bases(), id);
      const events = await follower.done;
      expect(events.at(-1)?.type).toBe('completed');
      expect((await doc(id)).attempt).toBe(1);
      hashes.push(await weightsSha(id));
      expect(await stack.kill(worker, 'SIGTERM')).toBe(0);
    }
    expect(hashes).toEqual([hashes[0], hashes[0], hashes[0]]);
    reference = hashes[0]!;
  });

  it('SIGKILL after a checkpoint: another worker resumes, same bytes, one continuous stream', async () => {
    expect(reference).not.toBe('');
    const first = await stack.addWorker({ POOL_THREADS: '2' });
    const id = await submit();
    const watch = watchProgress(id);
    const follower = new JobFollower(bases(), id);
    await follower.waitFor((e) => e.type === 'epoch' && e.data.epoch === 1);
    follower.drop(); // a network cut: reconnect to the other API with Last-Event-ID
    const before = await follower.waitFor(isProgressAtLeast(2, 15));
    expect(await redis.exists(createKeys(stack.prefix).checkpoint(id))).toBe(1);
    await stack.kill(first, 'SIGKILL');
    const killedAt = globalStep(before.data.epoch, before.data.step);
    // another thread count: the job's micro-shards, not the pool, fix the arithmetic
    await stack.addWorker({ POOL_THREADS: '1' });
    const recovering = await within(
      follower.waitFor((e) => e.type === 'status' && e.data.stage === 'recovering'),
      15_000,
      'resume after SIGKILL',
      follower,
    );
    follower.drop();
    const events = await within(follower.done, 20_000, 'completion', follower);
    const seen = await watch.stop();

    expect(recovering.data.attempt).toBe(2);
    // what the crash cost: at most the steps since the last checkpoint
    const resumedAt = positionIn(recovering.data.message);
    expect(resumedAt).toBeGreaterThanOrEqual(killedAt - CHECKPOINT_EVERY_STEPS);
    expect(events.at(-1)?.type).toBe('completed');
    expectEpochsOnce(events);
    await expectSameAsLog(events, id);
    expect(follower.connections.length).toBeGreaterThanOrEqual(3);
    for (const c of follower.connections.slice(1)) expect(c.lastEventId).toMatch(/^\d+-\d+$/);
    expectMonotonic(seen);
    const d = await doc(id);
    expect(d.status).toBe('succeeded');
    expect(d.attempt).toBe(2);
    expect(d.progress.percent).toBe(100);
    expect(await weightsSha(id)).toBe(reference);
  });

  it('SIGTERM (rolling restart): the job is handed back at its next step and resumed where it stopped, same bytes', async () => {
    expect(reference).not.toBe('');
    // both running before the job starts; the one that takes it is restarted, as in a rolling restart
    await Promise.all([stack.addWorker({ POOL_THREADS: '2' }), stack.addWorker({ POOL_THREADS: '3' })]);
    const id = await submit();
    const watch = watchProgress(id);
    const follower = new JobFollower(bases(), id);
    await follower.waitFor(isProgressAtLeast(2, 30));
    const old = await owner(id);
    follower.drop();
    expect(await stack.kill(old, 'SIGTERM')).toBe(0);
    const handedBack = await within(
      follower.waitFor((e) => e.type === 'status' && e.data.status === 'queued' && e.data.attempt === 1),
      10_000,
      'hand-back',
      follower,
    );
    const recovering = await within(
      follower.waitFor((e) => e.type === 'status' && e.data.stage === 'recovering'),
      10_000,
      'resume after the hand-back',
      follower,
    );
    const events = await within(follower.done, 20_000, 'completion', follower);
    const seen = await watch.stop();

    expect(recovering.data.attempt).toBe(2);
    // no work lost: resumed exactly where the hand-back checkpointed
    expect(positionIn(recovering.data.message)).toBe(positionIn(handedBack.data.message));
    expect(events.at(-1)?.type).toBe('completed');
    expectEpochsOnce(events);
    await expectSameAsLog(events, id);
    expectMonotonic(seen);
    const d = await doc(id);
    expect(d.status).toBe('succeeded');
    expect(d.attempt).toBe(2);
    expect(await weightsSha(id)).toBe(reference);
  });

  it('a frozen worker (SIGSTOP) loses its job to another; when it wakes its late writes are fenced off', async () => {
    expect(reference).not.toBe('');
    const frozen = await stack.addWorker({ POOL_THREADS: '2' });
    const id = await submit();
    const follower = new JobFollower(bases(), id);
    await follower.waitFor(isProgressAtLeast(2, 15));
    frozen.child.kill('SIGSTOP');
    try {
      await stack.addWorker({ POOL_THREADS: '1' });
      await within(
        follower.waitFor((e) => e.type === 'status' && e.data.stage === 'recovering'),
        15_000,
        "hand-on of the frozen worker's job",
        follower,
      );
    } finally {
      frozen.child.kill('SIGCONT');
    }
    const events = await within(follower.done, 30_000, 'completion', follower);
    // the woken attempt noticed it lost the job and recorded nothing
    await waitFor(
      () => frozen.lines.some((l) => l.includes(id) && l.includes('another attempt owns the job')),
      10_000,
      () => `the frozen worker never reported being fenced: ${frozen.lines.slice(-5).join('\n')}`,
    );
    expect(events.at(-1)?.type).toBe('completed');
    expectEpochsOnce(events);
    await expectSameAsLog(events, id);
    const d = await doc(id);
    expect(d.status).toBe('succeeded');
    expect(d.attempt).toBe(2);
    expect(await weightsSha(id)).toBe(reference);
    expect(frozen.lines.some((l) => l.includes(id) && l.includes('"msg":"job succeeded"'))).toBe(false);
  });

  it('a lone worker frozen past its lock takes its own job back on waking and keeps it to the end', async () => {
    // No other worker: on SIGCONT this process's stalled check hands the job back to this same
    // process while the frozen attempt is still finishing. The new attempt must keep its lock after
    // the stale one ends (BullMQ tracks locks by job id), or the job stalls again and again until it
    // fails as a crash loop. The job runs long enough after the freeze for a lost lock to show.
    // Steps of ~100 ms: the frozen attempt is still inside one when the new attempt claims the job.
    const epochs = 6;
    const heavy = toySpec({ epochs, batchSize: 64, seed: 11, microShardSize: 32 }, 640);
    heavy.model = {
      input: [1, 4, 4],
      layers: [
        { type: 'conv2d', filters: 128, kernelSize: 3, padding: 'same', activation: 'relu' },
        { type: 'conv2d', filters: 128, kernelSize: 3, padding: 'same', activation: 'relu' },
        { type: 'flatten' },
        { type: 'dense', units: 4 },
      ],
    };
    const lone = await stack.addWorker({ POOL_THREADS: '2' });
    const res = await postJson<JobAccepted>(`${stack.url}/v1/jobs`, heavy);
    expect(res.status).toBe(202);
    const id = res.body.id;
    const follower = new JobFollower(bases(), id);
    await follower.waitFor((e) => e.type === 'progress' && e.data.epoch >= 2);
    lone.child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 3 * Number(FAST_RECOVERY_ENV.LOCK_DURATION_MS)));
    lone.child.kill('SIGCONT');
    const events = await within(follower.done, 60_000, 'completion', follower);
    expect(events.at(-1)?.type).toBe('completed');
    expect(events.filter((e) => e.type === 'epoch').map((e) => e.data.epoch)).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
    // On waking, the stale attempt usually checkpoints once more (its timer ran on) while the new
    // one claims the job: the new one must resume from that checkpoint, not the one it read first.
    const logged = (msg: string) => lone.lines.filter((l) => l.includes(id) && l.includes(`"msg":"${msg}"`)).map((l) => JSON.parse(l));
    const moved = logged('the attempt before checkpointed while this one claimed the job');
    const resumed = logged('resumed from checkpoint').filter((l) => l.attempt === 2);
    if (moved.length > 0) expect(resumed.map((l) => l.globalStep)).toEqual([moved[0].now]);
    await expectSameAsLog(events, id);
    const d = await doc(id);
    expect(d.status).toBe('succeeded');
    expect(d.attempt).toBe(2);
  });

  it('SIGKILL while the final weights are saved: the resumed attempt reports no epoch twice', async () => {
    // ~17 MB of weights: packing and writing them leaves a window between `saving` and `completed`
    const big = toySpec({ epochs: 1, batchSize: 8, seed: 3 }, 16);
    big.model = {
      input: [1, 4, 4],
      layers: [
        { type: 'conv2d', filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' },
        { type: 'flatten' },
        { type: 'dense', units: 4096, activation: 'relu' },
        { type: 'dense', units: 4 },
      ],
    };
    const first = await stack.addWorker({ POOL_THREADS: '1' });
    const res = await postJson<JobAccepted>(`${stack.url}/v1/jobs`, big);
    expect(res.status).toBe(202);
    const id = res.body.id;
    const follower = new JobFollower(bases(), id);
    await within(
      follower.waitFor((e) => e.type === 'status' && e.data.stage === 'saving'),
      30_000,
      'saving',
      follower,
    );
    await stack.kill(first, 'SIGKILL');
    await stack.addWorker({ POOL_THREADS: '1' });
    const events = await within(follower.done, 30_000, 'completion', follower);
    expect(events.at(-1)?.type).toBe('completed');
    const d = await doc(id);
    expect(d.status).toBe('succeeded');
    // the kill landed while saving (the first attempt never committed `completed`)
    expect(d.attempt).toBe(2);
    expect(events.some((e) => e.type === 'status' && e.data.stage === 'recovering')).toBe(true);
    const story = events
      .filter((e) => e.type !== 'progress')
      .map((e) => (e.type === 'status' ? `${e.data.status}/${e.data.stage}#${e.data.attempt}` : e.type));
    expect(
      events.filter((e) => e.type === 'epoch').map((e) => e.data.epoch),
      story.join(' '),
    ).toEqual([1]);
    await expectSameAsLog(events, id);
  });
});
