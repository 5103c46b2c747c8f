// Tenants sharing one Convoy, with real API and worker processes: revocation and rate limits seen
// by every API process, quotas, stream tokens, the open-stream cap, fair share between tenants,
// and the running-jobs quota enforced by the worker.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { JobDocument } from '../../src/contracts/index.js';
import { authedFetch, bearer } from '../helpers/auth.js';
import { toySpec } from '../helpers/jobs.js';
import { getJson, postJson, startStack, waitFor, type Stack } from '../helpers/stack.js';

let stack: Stack;
const url = (i = 0) => stack.apis[i]!.url!;

async function newKey(tenant: string, role = 'member'): Promise<{ key: string; id: string }> {
  const res = await postJson<{ key: string; id: string }>(`${url()}/v1/keys`, { tenant, name: 'e2e', role });
  expect(res.status).toBe(201);
  return res.body;
}

const put = (path: string, body: unknown) =>
  authedFetch(`${url()}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  stack = await startStack({
    redisUrl: inject('redisUrl'),
    apis: 2,
    workers: 0,
    env: { STREAM_TOKEN_TTL_SECONDS: '2', SSE_MAX_STREAMS_PER_TENANT: '2' },
  });
});
afterAll(async () => {
  await stack?.stop();
});

describe('several API processes', () => {
  it('a revoked key is refused by the other API process within a second', async () => {
    const { key, id } = await newKey('revoked');
    expect((await getJson(`${url(1)}/v1/jobs`, bearer(key))).status).toBe(200);
    const revoked = await authedFetch(`${url(0)}/v1/keys/${id}`, { method: 'DELETE' });
    expect(revoked.status).toBe(204);
    const t0 = Date.now();
    await waitFor(
      async () => (await getJson(`${url(1)}/v1/jobs`, bearer(key))).status === 401,
      1000,
      () => 'still accepted',
    );
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('the write budget of a key is shared by both processes: 429 with Retry-After and RateLimit-*', async () => {
    const small = await startStack({ redisUrl: inject('redisUrl'), apis: 2, workers: 0, env: { RATE_LIMIT_WRITES_PER_MINUTE: '6' } });
    const at = (i: number) => small.apis[i % 2]!.url!;
    const { body: created } = await postJson<{ key: string }>(`${at(0)}/v1/keys`, { tenant: 'chatty', name: 'e2e' });
    const key = created.key;
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof postJson>> | undefined;
    try {
      for (let i = 0; i < 8; i++) {
        const res = await postJson(`${at(i)}/v1/jobs/validate`, toySpec(), bearer(key));
        statuses.push(res.status);
        if (res.status === 429) limited ??= res;
      }
      // reads have their own budget
      expect((await getJson(`${at(1)}/v1/jobs`, bearer(key))).status).toBe(200);
    } finally {
      await small.stop();
    }
    expect(statuses.slice(0, 6)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(statuses.slice(6)).toEqual([429, 429]);
    expect(limited!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited!.headers.get('ratelimit-limit')).toBe('6');
    expect(limited!.headers.get('ratelimit-remaining')).toBe('0');
    expect(limited!.headers.get('content-type')).toMatch(/problem\+json/);
  });
});

describe('quotas', () => {
  it('active jobs and datasets: 429 naming the quota, its limit and the use; the admin raises it', async () => {
    const { key } = await newKey('small');
    expect((await put('/v1/tenants/small', { maxActiveJobs: 1, maxDatasets: 1 })).status).toBe(200);
    expect((await postJson(`${url()}/v1/jobs`, toySpec(), bearer(key))).status).toBe(202);
    const over = await postJson<{ quota: string; limit: number; used: number; type: string }>(`${url(1)}/v1/jobs`, toySpec(), bearer(key));
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ quota: 'maxActiveJobs', limit: 1, used: 1, type: '/problems/quota-exceeded' });
    const csv = { method: 'POST', headers: { 'content-type': 'text/csv', ...bearer(key) }, body: '0,1,2,3,4\n1,5,6,7,8\n' };
    expect((await fetch(`${url()}/v1/datasets`, csv)).status).toBe(201);
    const second = await fetch(`${url()}/v1/datasets`, csv);
    expect([second.status, ((await second.json()) as { quota: string }).quota]).toEqual([429, 'maxDatasets']);
    const info = await getJson<{ usage: { activeJobs: number; datasets: number; storedBytes: number } }>(
      `${url()}/v1/tenants/small`,
      bearer(key),
    );
    expect(info.body.usage).toMatchObject({ activeJobs: 1, datasets: 1 });
    expect(info.body.usage.storedBytes).toBeGreaterThan(0);
    expect((await put('/v1/tenants/small', { maxActiveJobs: null })).status).toBe(200);
    expect((await postJson(`${url()}/v1/jobs`, toySpec(), bearer(key))).status).toBe(202);
  });
});

describe('stream tokens', () => {
  it('read one job stream by ?token=, nothing else; they expire and die with their key', async () => {
    const { key, id: keyId } = await newKey('viewer');
    const job = await postJson<{ id: string }>(`${url()}/v1/jobs`, toySpec(), bearer(key));
    const { body: st } = await postJson<{ token: string; expiresAt: string; tenant: string }>(`${url()}/v1/stream-tokens`, {}, bearer(key));
    expect(st.tenant).toBe('viewer');
    expect(st.token).toMatch(/^cvyst_/);
    const events = (token: string, id = job.body.id) =>
      fetch(`${url(1)}/v1/jobs/${id}/events?token=${token}`, { headers: { accept: 'application/json' } });
    const ok = await events(st.token);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { events: unknown[] }).events.length).toBeGreaterThan(0);
    // not on other routes, not as a bearer, never for writing
    expect((await fetch(`${url()}/v1/jobs/${job.body.id}?token=${st.token}`)).status).toBe(401);
    expect((await fetch(`${url()}/v1/jobs/${job.body.id}/events`, { headers: bearer(st.token) })).status).toBe(401);
    const cancel = await fetch(`${url()}/v1/jobs/${job.body.id}/cancel?token=${st.token}`, { method: 'POST' });
    expect(cancel.status).toBe(401);
    // another tenant's job: absent
    const other = await postJson<{ id: string }>(`${url()}/v1/jobs`, toySpec());
    expect((await events(st.token, other.body.id)).status).toBe(404);
    // expiry (STREAM_TOKEN_TTL_SECONDS=2)
    await new Promise((r) => setTimeout(r, 2200));
    expect((await events(st.token)).status).toBe(401);
    // revoking the key kills the tokens it asked for
    const fresh = await postJson<{ token: string }>(`${url()}/v1/stream-tokens`, {}, bearer(key));
    expect((await events(fresh.body.token)).status).toBe(200);
    expect((await authedFetch(`${url()}/v1/keys/${keyId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await events(fresh.body.token)).status).toBe(401);
  });

  it('a tenant may hold SSE_MAX_STREAMS_PER_TENANT open streams across processes; one more is 429', async () => {
    const { key } = await newKey('watcher');
    const job = await postJson<{ id: string }>(`${url()}/v1/jobs`, toySpec(), bearer(key));
    const ac = new AbortController();
    const open = (i: number) =>
      fetch(`${url(i % 2)}/v1/jobs/${job.body.id}/events`, { headers: { accept: 'text/event-stream', ...bearer(key) }, signal: ac.signal });
    try {
      const first = await Promise.all([open(0), open(1)]);
      expect(first.map((r) => r.status)).toEqual([200, 200]);
      const third = await open(0);
      expect([third.status, third.headers.get('retry-after')]).toEqual([429, '5']);
      // closing one frees its slot
      await first[0]!.body!.cancel();
      await waitFor(
        async () => (await open(1)).status === 200,
        3000,
        () => 'slot not freed',
      );
    } finally {
      ac.abort();
    }
  });
});

describe('with a worker', () => {
  it("fair share: tenant B's one job starts before tenant A's third next job, though A queued 50 first", async () => {
    const a = await newKey('fair-a');
    const b = await newKey('fair-b');
    expect((await put('/v1/tenants/fair-a', { maxRunningJobs: 100 })).status).toBe(200);
    const tiny = toySpec({ epochs: 1 }, 32);
    const aJobs: string[] = [];
    for (let i = 0; i < 50; i++) aJobs.push((await postJson<{ id: string }>(`${url(i % 2)}/v1/jobs`, tiny, bearer(a.key))).body.id);
    const bJob = (await postJson<{ id: string }>(`${url()}/v1/jobs`, tiny, bearer(b.key))).body.id;
    await stack.addWorker({ WORKER_CONCURRENCY: '1' });
    const doc = async (id: string) => (await getJson<JobDocument>(`${url()}/v1/jobs/${id}`)).body;
    await waitFor(
      async () => (await doc(bJob)).status === 'succeeded',
      60_000,
      () => 'b never ran',
    );
    const bStarted = Date.parse((await doc(bJob)).startedAt!);
    const aStarted = (await Promise.all(aJobs.map(doc))).map((d) => (d.startedAt ? Date.parse(d.startedAt) : Infinity));
    const aBeforeB = aStarted.filter((s) => s < bStarted).length;
    expect(aBeforeB, `A jobs started before B: ${aBeforeB}`).toBeLessThanOrEqual(2);
    await stack.stopWorkers();
  });

  it('the running-jobs quota: a second job of a tenant at it waits, though the worker has room', async () => {
    const { key } = await newKey('one-at-a-time');
    expect((await put('/v1/tenants/one-at-a-time', { maxRunningJobs: 1 })).status).toBe(200);
    const slow = toySpec({ epochs: 3 }, 192);
    const ids = [
      (await postJson<{ id: string }>(`${url()}/v1/jobs`, slow, bearer(key))).body.id,
      (await postJson<{ id: string }>(`${url()}/v1/jobs`, slow, bearer(key))).body.id,
    ];
    await stack.addWorker({ WORKER_CONCURRENCY: '2' });
    const docs = async () => Promise.all(ids.map(async (id) => (await getJson<JobDocument>(`${url()}/v1/jobs/${id}`)).body));
    await waitFor(
      async () => (await docs()).every((d) => d.status === 'succeeded'),
      60_000,
      () => 'jobs did not finish',
    );
    const [first, second] = (await docs()).sort((x, y) => Date.parse(x.startedAt!) - Date.parse(y.startedAt!));
    expect(Date.parse(second!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(first!.finishedAt!));
    await stack.stopWorkers();
  });
});
