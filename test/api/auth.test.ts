// Who may call what, route by route: every operation of the OpenAPI document is called with no key,
// with an unknown key, with tenant B's member key on tenant A's objects, and with a member key on
// the admin routes. Each answer must be the right problem (401 with WWW-Authenticate, 404 that does
// not reveal the object, 403), and Redis must be exactly as it was before the call.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_AUTH, bearer } from '../helpers/auth.js';
import { startApp, tinyJob, type TestApp } from './helpers.js';

let t: TestApp;
let keyA: string;
let keyB: string;
let keyBId: string;
let jobA: string;
let datasetA: string;
let routes: { method: string; path: string; security: unknown }[];

const post = (url: string, payload: object, headers: Record<string, string | undefined> = {}) =>
  t.app.inject({ method: 'POST', url, payload, headers });

async function createKey(tenant: string, role = 'member'): Promise<{ key: string; id: string }> {
  const res = await post('/v1/keys', { tenant, name: `test-${tenant}`, role });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** Every key of this app's prefix with its DUMP: what a call must not change. */
async function redisState(): Promise<Map<string, string>> {
  const state = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await t.redis.scan(cursor, 'MATCH', `${t.prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      if (key.includes(':rate-limit:')) continue; // counting requests is the rate limiter's job
      const dump = await t.redis.dumpBuffer(key);
      state.set(key, dump ? createHash('sha256').update(dump).digest('hex') : 'gone');
    }
  } while (cursor !== '0');
  return state;
}

/** A concrete URL and a plausible body for an operation, aimed at tenant A's objects. */
function call(method: string, path: string): { url: string; payload?: object } {
  const url = path
    .replace('/v1/datasets/{id}', `/v1/datasets/${datasetA}`)
    .replace('/v1/keys/{id}', `/v1/keys/${keyBId}`)
    .replace('{id}', jobA)
    .replace('{tenant}', 'tenant-a');
  if (method === 'GET' || method === 'DELETE') return { url };
  const bodies: Record<string, object> = {
    '/v1/jobs': tinyJob(),
    '/v1/jobs/validate': tinyJob(),
    '/v1/keys': { tenant: 'tenant-b', name: 'sneaky', role: 'admin' },
    '/v1/tenants/{tenant}': { maxActiveJobs: 1000 },
    '/v1/tenants/{tenant}/webhook': { url: null },
    '/v1/jobs/{id}/predict': { inputs: [Array(16).fill(0)] },
  };
  return { url, payload: bodies[path] ?? {} };
}

beforeAll(async () => {
  t = await startApp();
  keyA = (await createKey('tenant-a')).key;
  ({ key: keyB, id: keyBId } = await createKey('tenant-b'));
  const submitted = await post('/v1/jobs', tinyJob({ name: 'a-job' }), bearer(keyA));
  expect(submitted.statusCode, submitted.body).toBe(202);
  jobA = submitted.json().id;
  const upload = await t.app.inject({
    method: 'POST',
    url: '/v1/datasets?name=a-data',
    headers: { 'content-type': 'text/csv', ...bearer(keyA) },
    payload: '0,1,2,3,4\n1,5,6,7,8\n',
  });
  expect(upload.statusCode, upload.body).toBe(201);
  datasetA = upload.json().id;
  const doc = (await t.app.inject({ url: '/openapi.json' })).json() as {
    paths: Record<string, Record<string, { security?: unknown }>>;
  };
  routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, security: op.security })),
  );
});
afterAll(async () => {
  await t?.close();
});

describe('every route, called by someone who may not', () => {
  const isPublic = (r: { security: unknown }) => Array.isArray(r.security) && r.security.length === 0;

  it('finds the routes in the OpenAPI document, the public ones marked as such', () => {
    expect(routes.length).toBeGreaterThanOrEqual(22);
    expect(
      routes
        .filter(isPublic)
        .map((r) => r.path)
        .sort(),
    ).toEqual(['/healthz', '/readyz']);
  });

  it.each([
    ['no key', {}, 'send Authorization'],
    ['an unknown key', bearer('cvy_not-a-key-that-exists-0123456789abcdefghijk'), 'unknown or revoked key'],
    ['a malformed header', { authorization: 'Basic dXNlcjpwYXNz' }, 'must be "Bearer <key>"'],
    ['a stream token as Bearer', bearer('cvyst_tokens-are-for-event-routes-only-0123456789'), 'unknown or revoked key'],
  ])('%s: 401 problem with WWW-Authenticate on every non-public route, nothing changed', async (_what, headers, detail) => {
    const before = await redisState();
    for (const r of routes.filter((x) => !isPublic(x))) {
      const { url, payload } = call(r.method, r.path);
      const res = await t.app.inject({ method: r.method as 'GET', url, payload, headers: { authorization: undefined, ...headers } });
      const where = `${r.method} ${r.path}`;
      expect(res.statusCode, `${where}: ${res.body}`).toBe(401);
      expect(res.headers['www-authenticate'], where).toMatch(/^Bearer realm="convoy"/);
      expect(res.headers['content-type'], where).toMatch(/^application\/problem\+json/);
      expect(res.json().detail, where).toContain(detail);
    }
    expect(await redisState()).toEqual(before);
  });

  it("tenant B's key on tenant A's objects: 404 (as if absent), admin routes 403; nothing changed", async () => {
    await t.app.inject({ url: '/v1/jobs', headers: bearer(keyB) }); // the key's first use records lastUsedAt
    const before = await redisState();
    const asked: string[] = [];
    for (const r of routes.filter((x) => !isPublic(x))) {
      // Admin routes (keys, tenants but a member's own, metrics) are forbidden; routes on one of A's
      // objects answer as if it did not exist. Routes with no object of A's (submit, list,
      // validate, stream tokens) are the member's own business: tested below.
      const forbidden = r.path.startsWith('/v1/keys') || r.path.startsWith('/v1/tenants') || r.path === '/metrics';
      if (!forbidden && !r.path.includes('{id}')) continue;
      const { url, payload } = call(r.method, r.path);
      const res = await t.app.inject({ method: r.method as 'GET', url, payload, headers: bearer(keyB) });
      const where = `${r.method} ${r.path}: ${res.body}`;
      expect(res.statusCode, where).toBe(forbidden ? 403 : 404);
      expect(res.json().type, where).toBe(forbidden ? '/problems/forbidden' : '/problems/not-found');
      expect(res.json().detail, where).not.toContain('tenant-a');
      asked.push(`${r.method} ${r.path}`);
    }
    expect(asked).toEqual(
      expect.arrayContaining(['GET /v1/jobs/{id}', 'DELETE /v1/jobs/{id}', 'GET /v1/jobs/{id}/weights', 'POST /v1/keys']),
    );
    expect(await redisState()).toEqual(before);
  });

  it("lists show a member its own tenant's jobs and datasets only; naming another tenant is 403", async () => {
    const jobs = await t.app.inject({ url: '/v1/jobs', headers: bearer(keyB) });
    expect(jobs.json().items.map((j: { id: string }) => j.id)).not.toContain(jobA);
    const own = await t.app.inject({ url: '/v1/jobs', headers: bearer(keyA) });
    expect(own.json().items.map((j: { id: string; tenant: string }) => [j.id, j.tenant])).toContainEqual([jobA, 'tenant-a']);
    const datasets = await t.app.inject({ url: '/v1/datasets', headers: bearer(keyB) });
    expect(datasets.json().items).toEqual([]);
    const other = await t.app.inject({ url: '/v1/jobs?tenant=tenant-a', headers: bearer(keyB) });
    expect(other.statusCode).toBe(403);
    const admin = await t.app.inject({ url: '/v1/jobs?tenant=tenant-a', headers: ADMIN_AUTH });
    expect(admin.json().items.map((j: { id: string }) => j.id)).toEqual([jobA]);
  });

  it("a submission cannot reach another tenant's dataset or warm-start from its job", async () => {
    const viaDataset = await post('/v1/jobs', { ...tinyJob(), dataset: { id: datasetA } }, bearer(keyB));
    expect([viaDataset.statusCode, viaDataset.json().field]).toEqual([400, '/dataset/id']);
    const viaWeights = await post('/v1/jobs/validate', { ...tinyJob(), initialWeights: { fromJob: jobA } }, bearer(keyB));
    expect([viaWeights.statusCode, viaWeights.json().field]).toEqual([400, '/initialWeights/fromJob']);
  });

  it('members may only lower their priority; admins set any', async () => {
    const raise = await post('/v1/jobs/validate', tinyJob({ priority: 1 }), bearer(keyB));
    expect(raise.statusCode).toBe(200); // validate does not judge priority
    const denied = await post('/v1/jobs', tinyJob({ priority: 1 }), bearer(keyB));
    expect([denied.statusCode, denied.json().field]).toEqual([400, '/priority']);
    expect((await post('/v1/jobs', tinyJob({ priority: 5000 }), bearer(keyB))).statusCode).toBe(202);
    expect((await post('/v1/jobs', tinyJob({ priority: 1 }), ADMIN_AUTH)).statusCode).toBe(202);
  });

  it('Idempotency-Keys are per tenant: the same key from two tenants makes two jobs', async () => {
    const h = { 'idempotency-key': 'shared-key' };
    const a = await post('/v1/jobs', tinyJob(), { ...h, ...bearer(keyA) });
    const b = await post('/v1/jobs', tinyJob(), { ...h, ...bearer(keyB) });
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    expect(a.json().id).not.toBe(b.json().id);
    const again = await post('/v1/jobs', tinyJob(), { ...h, ...bearer(keyB) });
    expect([again.json().id, again.headers['idempotent-replayed']]).toEqual([b.json().id, 'true']);
  });

  it('/metrics: no key 401, a member 403, an admin key or METRICS_TOKEN 200', async () => {
    const m = await startApp({ METRICS_TOKEN: 'scrape-me' }, t.prefix);
    try {
      expect((await m.app.inject({ url: '/metrics', headers: { authorization: undefined } })).statusCode).toBe(401);
      expect((await m.app.inject({ url: '/metrics', headers: bearer(keyA) })).statusCode).toBe(403);
      expect((await m.app.inject({ url: '/metrics', headers: bearer('scrape-me') })).statusCode).toBe(200);
      expect((await m.app.inject({ url: '/metrics' })).statusCode).toBe(200);
      expect((await m.app.inject({ url: '/healthz', headers: { authorization: undefined } })).statusCode).toBe(200);
    } finally {
      await m.close();
    }
  });

  it('keys: the secret is shown once, stored only as a hash, listed without it', async () => {
    const created = await createKey('tenant-c');
    expect(created.key).toMatch(/^cvy_[A-Za-z0-9_-]{43}$/);
    const list = (await t.app.inject({ url: '/v1/keys?tenant=tenant-c' })).json();
    expect(list.items).toEqual([expect.objectContaining({ id: created.id, tenant: 'tenant-c', role: 'member', lastUsedAt: null })]);
    expect(JSON.stringify(list)).not.toContain(created.key);
    const stored = await redisState();
    for (const key of stored.keys()) expect(key).not.toContain(created.key);
    const raw = await t.redis.get(`${t.prefix}:apikey:${createHash('sha256').update(created.key).digest('hex')}`);
    expect(raw).not.toContain(created.key);
    expect(JSON.parse(raw!)).toMatchObject({ id: created.id });
  });
});
