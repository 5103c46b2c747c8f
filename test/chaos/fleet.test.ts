// Chaos, part 2: many processes. API and worker processes started and killed by the test, the run's
// private Redis. A cancel sent to one API process stops a job that a worker process runs, even while
// that worker is dead; an SSE client whose API process dies carries on at another without a gap; ten
// jobs on two workers, one of them killed mid-run, each complete exactly once; a job whose worker
// keeps dying fails after MAX_CRASHES attempts with a clear error instead of looping forever, and a
// crash is counted only against a job that had its process to itself, so its neighbours go on.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeSafetensors } from '../../src/engine/safetensors.js';
import { createKeys } from '../../src/store/keys.js';
import type { JobAccepted, JobDocument, JobSpec } from '../../src/contracts/index.js';
import { toySpec } from '../helpers/jobs.js';
import { JobFollower, type FollowedEvent } from '../helpers/sse-follower.js';
import { FAST_RECOVERY_ENV, getJson, postJson, startStack, type Proc, type Stack } from '../helpers/stack.js';
import { authedFetch } from '../helpers/auth.js';

const MAX_CRASHES = 2;
let stack: Stack;
let redis: Redis;

beforeAll(async () => {
  stack = await startStack({
    redisUrl: inject('redisUrl'),
    apis: 2,
    workers: 0,
    env: { ...FAST_RECOVERY_ENV, PROGRESS_INTERVAL_MS: '50', CHECKPOINT_EVERY_STEPS: '20', SSE_RETRY_MS: '100' },
  });
  redis = new Redis(inject('redisUrl'));
  redis.on('error', () => {});
});
afterEach(async () => {
  await Promise.all(stack.workers.map((w) => stack.kill(w, 'SIGTERM')));
});
afterAll(async () => {
  redis?.disconnect();
  await stack?.stop();
});

/** The live API processes' base URLs (one test kills an API). */
const bases = () => stack.apis.filter((a) => a.child.exitCode === null && a.child.signalCode === null).map((a) => a.url!);
/** Long enough to interrupt: 20 epochs x 100 steps (several seconds). */
const longSpec = () => toySpec({ epochs: 20, batchSize: 8 }, 800);

async function submit(spec: JobSpec, api = stack.url): Promise<string> {
  const res = await postJson<JobAccepted>(`${api}/v1/jobs`, spec);
  expect(res.status).toBe(202);
  return res.body.id;
}

async function doc(id: string): Promise<JobDocument> {
  return (await getJson<JobDocument>(`${stack.url}/v1/jobs/${id}`)).body;
}

async function eventLog(id: string): Promise<FollowedEvent[]> {
  return (await getJson<{ events: FollowedEvent[] }>(`${stack.url}/v1/jobs/${id}/events?limit=10000`)).body.events;
}

const TERMINAL = ['completed', 'failed', 'cancelled'];
const runningAttempt = (attempt: number) => (e: FollowedEvent) =>
  e.type === 'status' && e.data.status === 'running' && e.data.stage === 'training' && e.data.attempt === attempt;

/** Waits until `proc`'s heartbeat lists a running job that `ok` accepts; returns its id. */
async function runningOn(proc: Proc, ok: (jobId: string) => boolean): Promise<string> {
  const keys = createKeys(stack.prefix);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    for (const wid of await redis.zrange(keys.workers(), 0, -1)) {
      const beat = await redis.get(keys.worker(wid));
      if (!beat) continue;
      const { pid, activeJobs } = JSON.parse(beat) as { pid: number; activeJobs: string[] };
      const hit = pid === proc.child.pid ? activeJobs.find(ok) : undefined;
      if (hit) return hit;
    }
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error(`worker ${proc.child.pid} never ran an eligible job`);
}

/** Log lines of every worker process that mention this job and message. */
function workerLines(jobId: string, msg: string): string[] {
  return stack.workers.flatMap((w) => w.lines.filter((l) => l.includes(jobId) && l.includes(`"msg":"${msg}"`)));
}

describe('chaos: a fleet of processes', () => {
  it('cancel sent to one API process stops the job a separate worker process runs, keeping partial weights', async () => {
    const worker = await stack.addWorker();
    const [apiA, apiB] = bases();
    const id = await submit(longSpec(), apiA);
    const follower = new JobFollower([apiA!], id);
    await follower.waitFor((e) => e.type === 'progress' && e.data.step >= 10);
    const res = await postJson<{ id: string; status: string }>(`${apiB}/v1/jobs/${id}/cancel`, {});
    expect(res.status).toBe(202);
    const events = await follower.done;

    expect(events.at(-1)?.type).toBe('cancelled');
    expect(events.filter((e) => TERMINAL.includes(e.type))).toHaveLength(1);
    const d = await doc(id);
    expect(d.status).toBe('cancelled');
    expect(d.progress.percent).toBeLessThan(100);
    expect(d.weights?.partial).toBe(true);
    // the worker process, not the API that took the request, ended it (at its next batch)
    expect(worker.lines.some((l) => l.includes(id) && l.includes('"msg":"job cancelled"'))).toBe(true);
    const weights = await authedFetch(`${apiB}/v1/jobs/${id}/weights?format=safetensors`);
    expect(weights.status).toBe(200);
    const { tensors } = decodeSafetensors(new Uint8Array(await weights.arrayBuffer()));
    expect(tensors.map((t) => t.name)).toContain('layers.0.weight');
  });

  it("cancel while the job's worker is dead: the worker that resumes it ends it cancelled, with partial weights", async () => {
    const first = await stack.addWorker();
    const id = await submit(longSpec());
    const follower = new JobFollower(bases(), id);
    await follower.waitFor((e) => e.type === 'epoch' && e.data.epoch === 1); // a checkpoint exists
    await stack.kill(first, 'SIGKILL');
    const res = await postJson<{ status: string }>(`${bases()[1]}/v1/jobs/${id}/cancel`, {});
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('cancelling');
    await stack.addWorker();
    const events = await follower.done;

    expect(events.at(-1)?.type).toBe('cancelled');
    expect(events.filter((e) => TERMINAL.includes(e.type))).toHaveLength(1);
    const d = await doc(id);
    expect(d.status).toBe('cancelled');
    expect(d.attempt).toBe(2);
    expect(d.weights?.partial).toBe(true);
    expect((await authedFetch(`${bases()[1]}/v1/jobs/${id}/weights?format=safetensors`)).status).toBe(200);
  });

  it('an API process killed mid-stream: the client reconnects to another with Last-Event-ID and misses nothing', async () => {
    await stack.addWorker();
    const doomed = await stack.addApi();
    const id = await submit(toySpec({ epochs: 3, batchSize: 8 }, 800));
    const follower = new JobFollower([doomed.url!, stack.url], id);
    await follower.waitFor((e) => e.type === 'progress');
    await stack.kill(doomed, 'SIGKILL');
    const events = await follower.done;

    expect(events.at(-1)?.type).toBe('completed');
    expect(follower.connections.map((c) => c.base)).toEqual([doomed.url, stack.url]);
    expect(follower.connections[1]!.lastEventId).toMatch(/^\d+-\d+$/);
    const ids = events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual((await eventLog(id)).map((e) => e.id));
  });

  it('two workers, ten jobs, one worker killed mid-run: every job completes exactly once', async () => {
    const [w1] = await Promise.all([stack.addWorker(), stack.addWorker()]);
    const ids = await Promise.all(
      Array.from({ length: 10 }, (_, i) => submit(toySpec({ epochs: 3, batchSize: 8, seed: 100 + i }, 800), bases()[i % 2])),
    );
    const followers = ids.map((id) => new JobFollower(bases(), id));
    // kill w1 while it is training a job (its heartbeat lists it and the job has made progress)
    const victim = await runningOn(w1!, (id) => {
      const f = followers[ids.indexOf(id)];
      return f?.events.some((e) => e.type === 'progress') && !f.events.some((e) => TERMINAL.includes(e.type));
    });
    await stack.kill(w1!, 'SIGKILL');
    await stack.addWorker();
    const streams = await Promise.all(followers.map((f) => f.done));
    const attempts: number[] = [];
    const crashedAttempts: number[] = [];

    for (const [i, id] of ids.entries()) {
      const d = await doc(id);
      expect(d.status, `${id}: ${JSON.stringify(d.error)} attempt ${d.attempt}`).toBe('succeeded');
      attempts.push(d.attempt);
      const log = await eventLog(id);
      // one terminal event, and it is `completed`: in the durable log and on the live stream
      expect(log.filter((e) => TERMINAL.includes(e.type)).map((e) => e.type)).toEqual(['completed']);
      expect(streams[i]!.filter((e) => TERMINAL.includes(e.type)).map((e) => e.type)).toEqual(['completed']);
      const story = log.map((e) =>
        e.type === 'status' ? `${e.data.status}/${e.data.stage}#${e.data.attempt}` : e.type === 'epoch' ? `epoch${e.data.epoch}` : e.type,
      );
      expect(
        log.filter((e) => e.type === 'epoch').map((e) => e.data.epoch),
        story.filter((x) => x !== 'progress').join(' '),
      ).toEqual([1, 2, 3]);
      // one worker process recorded the success, once
      expect(workerLines(id, 'job succeeded'), id).toHaveLength(1);
      // every extra attempt is the crash or a hand-back making room for a job recovering from it
      crashedAttempts.push(d.attempt - 1 - log.filter((e) => e.type === 'status' && /making room/.test(e.data.message ?? '')).length);
    }
    // the job the killed worker was training was resumed by another; no job lost more than one attempt to it
    expect(crashedAttempts[ids.indexOf(victim)]).toBe(1);
    expect(Math.max(...crashedAttempts)).toBe(1);
    expect(attempts[ids.indexOf(victim)]).toBeGreaterThanOrEqual(2);
  });

  it(`crash loop: a job whose worker dies ${MAX_CRASHES} times fails with code crash-loop`, async () => {
    const id = await submit(longSpec());
    const follower = new JobFollower(bases(), id);
    // only these workers give up early (the default is 3): the other tests keep the default
    const crashEnv = { MAX_CRASHES: String(MAX_CRASHES) };
    for (let attempt = 1; attempt <= MAX_CRASHES; attempt++) {
      const worker = await stack.addWorker(crashEnv);
      await follower.waitFor(runningAttempt(attempt));
      await stack.kill(worker, 'SIGKILL');
    }
    const survivor = await stack.addWorker(crashEnv);
    const events = await follower.done;

    const failed = events.at(-1)!;
    expect(failed.type).toBe('failed');
    expect(failed.data.error.code).toBe('crash-loop');
    expect(failed.data.error.message).toContain(`${MAX_CRASHES} times`);
    expect(events.filter((e) => TERMINAL.includes(e.type))).toHaveLength(1);
    const d = await doc(id);
    expect(d.status).toBe('failed');
    expect(d.error?.code).toBe('crash-loop');
    expect(d.attempt).toBe(MAX_CRASHES + 1);
    // the worker that gave up is healthy and keeps serving
    expect(survivor.child.exitCode).toBeNull();
    const next = await submit(toySpec({ epochs: 1 }, 64));
    expect((await new JobFollower(bases(), next).done).at(-1)?.type).toBe('completed');
  });

  it('a crash counts only against a job that ran alone: the neighbour of a crashing job completes', async () => {
    const env = { MAX_CRASHES: '1' }; // the first counted crash fails a job
    const runs = async (id: string) => redis.hgetall(createKeys(stack.prefix).runs(id));
    const w1 = await stack.addWorker(env); // WORKER_CONCURRENCY 2: both jobs run in w1
    const [a, b] = [await submit(longSpec()), await submit(longSpec())];
    const followers = new Map([a, b].map((id) => [id, new JobFollower(bases(), id)]));
    /** Waits until the job trains in this attempt: its running event, then a progress event after it. */
    const training = async (id: string, attempt: number) => {
      const f = followers.get(id)!;
      const running = await f.waitFor(runningAttempt(attempt));
      await f.waitFor((e) => e.type === 'progress' && f.events.indexOf(e) > f.events.indexOf(running));
    };
    await Promise.all([a, b].map((id) => training(id, 1)));
    expect(await runs(a)).toEqual({ 1: 'shared' });
    expect(await runs(b)).toEqual({ 1: 'shared' });
    await stack.kill(w1, 'SIGKILL'); // either may have done it: neither is blamed

    // both crashed before, so each runs alone: w2 takes one (x). (Concurrency 1 here: x would share
    // w2 again once past the point of its crash, and this test needs its crash to happen alone.)
    const w2 = await stack.addWorker({ ...env, WORKER_CONCURRENCY: '1' });
    const x = await runningOn(w2, (id) => id === a || id === b);
    const y = x === a ? b : a;
    await training(x, 2);
    expect(await runs(x)).toEqual({ 1: 'shared', 2: 'alone' });
    expect(followers.get(y)!.events.some(runningAttempt(2)), 'y waits while x runs alone').toBe(false);
    await stack.kill(w2, 'SIGKILL'); // x alone: this one is x's

    await stack.addWorker(env);
    const [xs, ys] = await Promise.all([followers.get(x)!.done, followers.get(y)!.done]);
    expect(xs.at(-1)!.type).toBe('failed');
    expect(xs.at(-1)!.data.error.code).toBe('crash-loop');
    expect(xs.at(-1)!.data.error.message).toContain('2 times, 1 of them while running it alone');
    expect(ys.at(-1)!.type, JSON.stringify(ys.at(-1)!.data)).toBe('completed');
    expect((await doc(y)).attempt, 'y was never claimed by w2').toBe(2);
    expect(await runs(y), 'a finished job leaves no marks behind').toEqual({});
  });

  it('a job recovering from a crash has its worker to itself until past its crash: the job there is handed back meanwhile', async () => {
    // long enough to still be running when each step below happens; both are cancelled at the end
    const veryLong = () => toySpec({ epochs: 1000, batchSize: 8 }, 800);
    const w0 = await stack.addWorker({ WORKER_CONCURRENCY: '1' });
    const d = await submit(veryLong());
    const df = new JobFollower(bases(), d);
    await df.waitFor((e) => e.type === 'progress');
    await stack.addWorker(); // concurrency 2: takes c now, and d once w0 is dead
    const c = await submit(veryLong());
    const cf = new JobFollower(bases(), c);
    await cf.waitFor((e) => e.type === 'progress');
    await stack.kill(w0, 'SIGKILL');

    const idOf = (e: FollowedEvent) => e.id.split('-').map(Number) as [number, number]; // stream ids: ms-seq
    const precedes = (p: FollowedEvent, q: FollowedEvent) => {
      const [a, b] = [idOf(p), idOf(q)];
      return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
    };
    const cResumes = await cf.waitFor(runningAttempt(2));
    const handedBack = cf.events.find((e) => e.type === 'status' && /making room/.test(e.data.message ?? ''));
    expect(handedBack, cf.events.map((e) => e.type).join(' ')).toBeDefined();
    const dRuns = await df.waitFor(runningAttempt(2));
    expect(precedes(handedBack!, dRuns), 'c leaves before d starts').toBe(true);
    expect(precedes(dRuns, cResumes), 'c comes back after d started').toBe(true);
    // d runs alone until it has checkpointed past the furthest point it had reached; then c may return
    const relaxed = workerLines(d, 'past the point of the last crash: sharing the worker again');
    expect(relaxed).toHaveLength(1);
    const relaxedAt = (JSON.parse(relaxed[0]!) as { time: number }).time;
    expect(idOf(cResumes)[0], 'c comes back once d shares again').toBeGreaterThanOrEqual(relaxedAt);

    for (const id of [c, d]) {
      const res = await postJson(`${stack.url}/v1/jobs/${id}/cancel`, {});
      expect(res.status, JSON.stringify(res.body)).toBe(202);
    }
    const [ds, cs] = await Promise.all([df.done, cf.done]);
    expect([ds.at(-1)!.type, cs.at(-1)!.type]).toEqual(['cancelled', 'cancelled']);
    expect((await doc(c)).attempt).toBe(2);
    expect((await doc(d)).attempt).toBe(2);
  });
});
