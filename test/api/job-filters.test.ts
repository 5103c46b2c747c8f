// Tags and finding jobs: `metadata` on submit (stored, returned, bounded), and GET /v1/jobs filtered
// by metadata pairs (?tag=key=value), name prefix and creation time, paged with the cursor, within
// the caller's tenant, each bad value a 400 naming the field; a filtered page scans a bounded number
// of jobs (src/store/page.ts MAX_SCANNED).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSpec } from '../../src/contracts/index.js';
import { MAX_SCANNED, queuedJobDocument } from '../../src/store/index.js';
import { bearer } from '../helpers/auth.js';
import { startApp, tinyJob, type TestApp } from './helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t?.close();
});

const list = async (query: string, headers?: Record<string, string>) => {
  const res = await t.app.inject({ url: `/v1/jobs?${query}`, ...(headers ? { headers } : {}) });
  return { status: res.statusCode, body: res.json() };
};
const names = (body: { items: { name: string | null }[] }) => body.items.map((j) => j.name ?? '');

/** A queued job written straight to the store, created at `at`. */
async function stored(tenant: string, name: string, at: string, metadata: Record<string, string> = {}): Promise<string> {
  const id = randomUUID();
  const spec = { ...tinyJob(), name, metadata } as unknown as JobSpec;
  await t.app.store.create(queuedJobDocument(id, spec, 2, tenant, at));
  return id;
}

async function memberKey(tenant: string): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/keys', payload: { tenant, name: `k-${tenant}`, role: 'member' } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().key;
}

describe('metadata on submit', () => {
  it('is stored on the job and returned by GET /v1/jobs/{id} and the list', async () => {
    const metadata = { team: 'vision', 'run/id': 'r-42', note: '' };
    const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob({ name: 'tagged', metadata }) });
    expect(res.statusCode, res.body).toBe(202);
    const { id } = res.json();
    expect((await t.app.inject({ url: `/v1/jobs/${id}` })).json()).toMatchObject({ name: 'tagged', metadata });
    const page = await list('tag=run/id=r-42');
    expect(page.body.items).toEqual([expect.objectContaining({ id, metadata })]);
  });

  it.each([
    ['17 pairs', Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])), '/metadata', /more than 16/],
    ['a key with a space', { 'bad key': 'v' }, '/metadata/bad key', /key/],
    ['a key of 65 characters', { ['k'.repeat(65)]: 'v' }, `/metadata/${'k'.repeat(65)}`, /key/],
    ['a value of 513 characters', { k: 'v'.repeat(513) }, '/metadata/k', /more than 512/],
    ['a number as a value', { k: 1 }, '/metadata/k', /string/],
  ])('refuses %s: 400 naming the field', async (_what, metadata, field, detail) => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob({ metadata }) });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().field).toBe(field);
    expect(res.json().detail).toMatch(detail);
  });
});

describe('GET /v1/jobs filters', () => {
  const tenant = 'filters-a';
  beforeAll(async () => {
    await stored(tenant, 'resnet-a', '2026-01-01T00:00:00.000Z', { team: 'vision', size: 'big' });
    await stored(tenant, 'resnet-b', '2026-01-02T00:00:00.000Z', { team: 'vision', size: 'small' });
    await stored(tenant, 'lenet-a', '2026-01-03T00:00:00.000Z', { team: 'vision', size: 'small' });
    await stored(tenant, 'lenet-b', '2026-01-04T00:00:00.000Z', { team: 'audio' });
    await stored('filters-b', 'resnet-other', '2026-01-02T12:00:00.000Z', { team: 'vision', size: 'small' });
  });
  const q = `tenant=${tenant}`;

  it('by metadata pairs (every one must match), name prefix and creation time, newest first', async () => {
    expect(names((await list(`${q}&tag=team=vision`)).body)).toEqual(['lenet-a', 'resnet-b', 'resnet-a']);
    expect(names((await list(`${q}&tag=team=vision&tag=size=small`)).body)).toEqual(['lenet-a', 'resnet-b']);
    expect(names((await list(`${q}&tag=team=nobody`)).body)).toEqual([]);
    expect(names((await list(`${q}&name=resnet`)).body)).toEqual(['resnet-b', 'resnet-a']);
    // [createdAfter, createdBefore): at or after, and before
    const range = 'createdAfter=2026-01-02T00:00:00Z&createdBefore=2026-01-04T00:00:00Z';
    expect(names((await list(`${q}&${range}`)).body)).toEqual(['lenet-a', 'resnet-b']);
    expect(names((await list(`${q}&${range}&name=lenet&tag=size=small`)).body)).toEqual(['lenet-a']);
    expect(names((await list(`${q}&status=running&tag=team=vision`)).body)).toEqual([]);
    expect(names((await list(`${q}&status=queued&tag=team=vision&limit=1`)).body)).toEqual(['lenet-a']);
  });

  it('pages a filtered list with the cursor, without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`${q}&tag=team=vision&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...names(page.body));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['lenet-a', 'resnet-b', 'resnet-a']);
    // a cursor taken without the time bound still keeps to it
    const newest = await list(`${q}&limit=1`);
    expect(names(newest.body)).toEqual(['lenet-b']);
    const older = await list(`${q}&createdBefore=2026-01-03T00:00:00Z&cursor=${newest.body.nextCursor}`);
    expect(names(older.body)).toEqual(['resnet-b', 'resnet-a']);
  });

  it("keeps a member to its tenant's jobs", async () => {
    const a = bearer(await memberKey(tenant));
    expect(names((await list('tag=size=small', a)).body)).toEqual(['lenet-a', 'resnet-b']);
    expect(names((await list('name=resnet', bearer(await memberKey('filters-b')))).body)).toEqual(['resnet-other']);
    expect((await list('tenant=filters-b&tag=size=small', a)).status).toBe(403);
    // the admin without ?tenant= sees every tenant's
    expect(names((await list('tag=size=small&createdBefore=2026-01-05T00:00:00Z')).body)).toEqual(['lenet-a', 'resnet-other', 'resnet-b']);
  });

  it.each([
    ['tag=team', 'querystring/tag/0'],
    ['tag=bad key=v', 'querystring/tag/0'],
    [Array.from({ length: 17 }, (_, i) => `tag=k${i}=v`).join('&'), 'querystring/tag'],
    ['name=', 'querystring/name'],
    ['createdAfter=yesterday', 'querystring/createdAfter'],
    ['createdBefore=2026-01-01', 'querystring/createdBefore'],
    ['createdAfter=2026-01-01T23:59:60Z', 'querystring/createdAfter'],
    ['createdAfter=2026-01-02T00:00:00Z&createdBefore=2026-01-01T00:00:00Z', 'querystring/createdBefore'],
    ['metadata[team]=vision', 'querystring/metadata[team]'],
  ])('?%s is a 400 naming %s', async (query, field) => {
    const res = await list(`${q}&${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.field).toBe(field);
  });
});

describe('a filtered page is bounded', () => {
  it(`looks at ${MAX_SCANNED} jobs at most, then hands back a cursor to go on`, async () => {
    const tenant = 'filters-many';
    const rare = await stored(tenant, 'rare', '2025-06-01T00:00:00.000Z', { find: 'me' });
    const base = Date.parse('2025-07-01T00:00:00.000Z');
    for (let i = 0; i < MAX_SCANNED + 50; i++) await stored(tenant, `common-${i}`, new Date(base + i * 1000).toISOString());
    const first = await list(`tenant=${tenant}&tag=find=me`);
    expect(first.body.items).toEqual([]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await list(`tenant=${tenant}&tag=find=me&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((j: { id: string }) => j.id)).toEqual([rare]);
    expect(second.body.nextCursor).toBeNull();
    // unfiltered pages are full as before
    expect((await list(`tenant=${tenant}&limit=200`)).body.items).toHaveLength(200);
  });
});
