// Fuzz: cursors and headers. List pages with generated `?cursor=` (mangled real cursors among
// them), event logs with generated `?after=` and Last-Event-ID (JSON and SSE), and writes with
// generated Authorization, Content-Type, Accept and Idempotency-Key. Never a 5xx; a rejection is a
// problem with a code; a read never writes; a rejected write stores and queues nothing.
import type { InjectOptions } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyJob } from '../api/helpers.js';
import { TEST_ADMIN_KEY } from '../helpers/auth.js';
import {
  accept,
  authorization,
  contentType,
  headerText,
  idempotencyKey,
  namePrefix,
  pageCursor,
  query,
  streamIdLike,
  tagFilter,
  timestamp,
} from './arbitraries/requests.js';
import { announceSeed, fuzzParams, fuzzTimeout, startFuzzApp, type FuzzApp } from './harness.js';

let f: FuzzApp;
const keys = { admin: TEST_ADMIN_KEY, member: '', revoked: '' };
const fixture = { queued: '', finished: '', dataset: '' };
const realCursors: string[] = [];
const kept = new Set<string>();

type Inject = InjectOptions & { method: string; url: string };
const call = (opts: Inject) => f.app.inject(opts as InjectOptions);

beforeAll(async () => {
  announceSeed('test/fuzz/cursors-headers.test.ts');
  f = await startFuzzApp({ TENANT_MAX_ACTIVE_JOBS: '1000000', TENANT_MAX_DATASETS: '1000000' });
  const key = async (name: string) =>
    (await call({ method: 'POST', url: '/v1/keys', payload: { tenant: 'acme', name, role: 'member' } })).json() as {
      id: string;
      key: string;
    };
  keys.member = (await key('member')).key;
  const revoked = await key('revoked');
  keys.revoked = revoked.key;
  expect((await call({ method: 'DELETE', url: `/v1/keys/${revoked.id}` })).statusCode).toBe(204);

  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push(((await call({ method: 'POST', url: '/v1/jobs', payload: tinyJob() })).json() as { id: string }).id);
  [fixture.queued, fixture.finished] = ids as [string, string];
  expect((await call({ method: 'POST', url: `/v1/jobs/${fixture.finished}/cancel` })).statusCode).toBe(202);
  const datasets: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await call({ method: 'POST', url: '/v1/datasets', headers: { 'content-type': 'text/csv' }, payload: `${i},1,2\n1,3,4\n` });
    datasets.push((res.json() as { id: string }).id);
  }
  fixture.dataset = datasets[0]!;
  for (const id of [...ids, ...datasets]) kept.add(id);
  for (const url of ['/v1/jobs?limit=1', '/v1/datasets?limit=1']) realCursors.push((await call({ method: 'GET', url })).json().nextCursor);
  const log = (await call({ method: 'GET', url: `/v1/jobs/${fixture.finished}/events`, headers: { accept: 'application/json' } })).json();
  realCursors.push(...(log.events as { id: string }[]).map((e) => e.id));
});
afterAll(async () => {
  await f?.close();
});

/** The Authorization header for a generated variant: `{admin}` stands for the admin key. */
function authHeader(variant: string): Record<string, string | undefined> {
  if (variant === 'none') return { authorization: undefined };
  if (variant === 'admin' || variant === 'member' || variant === 'revoked') return { authorization: `Bearer ${keys[variant]}` };
  return { authorization: variant.replaceAll('{admin}', TEST_ADMIN_KEY) };
}

/** One request whose answer is checked; reads (and every rejection) must leave the store as it was. */
async function probe(opts: Inject): Promise<number> {
  const before = await f.state();
  const res = await call(opts);
  await f.check(res, before, `${opts.method} ${opts.url} ${JSON.stringify(opts.headers ?? {}).slice(0, 300)}`);
  if (opts.method === 'GET') expect(await f.state(), `${opts.method} ${opts.url} wrote to Redis`).toEqual(before);
  return res.statusCode;
}

const anyId = () => fc.oneof(fc.constantFrom(fixture.queued, fixture.finished, fixture.dataset, 'nope', ''), fc.string({ maxLength: 70 }));

describe('fuzz: cursors', () => {
  const LISTS = 500;
  it(
    'GET /v1/jobs and /v1/datasets with generated ?cursor=, ?limit=, ?status=, ?tenant=, ?tag=, ?name=, ?createdAfter=/Before=',
    async () => {
      const cursor = pageCursor(() => realCursors);
      const q = query({
        cursor,
        status: fc.constantFrom('queued', 'cancelled', 'nope', ''),
        tenant: fc.constantFrom('default', 'acme', 'x y', ''),
        tag: tagFilter,
        name: namePrefix,
        createdAfter: timestamp,
        createdBefore: timestamp,
      });
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('/v1/jobs', '/v1/datasets'), q, authorization, async (path, qs, auth) => {
          await probe({ method: 'GET', url: `${path}?${qs}`, headers: authHeader(auth) });
        }),
        fuzzParams(LISTS),
      );
      await f.expectAlive();
    },
    fuzzTimeout(LISTS),
  );

  const EVENTS = 600;
  it(
    'GET /v1/jobs/{id}/events and /v1/events with generated ?after=, Last-Event-ID and Accept',
    async () => {
      const q = query({ after: streamIdLike, token: headerText(20), status: fc.constant('queued'), jobs: fc.string({ maxLength: 8 }) });
      const cases = fc.record({
        route: fc.constantFrom('job', 'job', 'tenant'),
        id: anyId(),
        qs: q,
        lastEventId: fc.option(streamIdLike, { freq: 3 }),
        accept,
        auth: fc.oneof({ weight: 4, arbitrary: fc.constant('admin') }, authorization),
      });
      await fc.assert(
        fc.asyncProperty(cases, async ({ route, id, qs, lastEventId, accept: acceptValue, auth }) => {
          // Only a finished job's stream ends by itself; everything else is read as JSON pages.
          const streams = route === 'job' && id === fixture.finished;
          const url = route === 'job' ? `/v1/jobs/${encodeURIComponent(id)}/events?${qs}` : `/v1/events?${qs}`;
          const headers = {
            ...authHeader(auth),
            accept: streams ? acceptValue : 'application/json',
            ...(lastEventId === null ? {} : { 'last-event-id': lastEventId }),
          };
          await probe({ method: 'GET', url, headers });
        }),
        fuzzParams(EVENTS),
      );
      await f.expectAlive();
    },
    fuzzTimeout(EVENTS),
  );
});

describe('fuzz: headers', () => {
  const WRITES = 700;
  it(
    'writes with generated Authorization, Content-Type, Accept and Idempotency-Key',
    async () => {
      const cases = fc.record({
        target: fc.constantFrom('submit', 'validate', 'upload', 'cancel', 'delete-job', 'delete-dataset', 'stream-token'),
        id: anyId(),
        auth: authorization,
        contentType,
        accept: fc.option(accept, { freq: 3 }),
        key: fc.option(idempotencyKey, { freq: 2 }),
      });
      await fc.assert(
        fc.asyncProperty(cases, async ({ target, id, auth, contentType: type, accept: acceptValue, key }) => {
          const headers: Record<string, string | undefined> = {
            ...authHeader(auth),
            'content-type': type,
            ...(acceptValue === null ? {} : { accept: acceptValue }),
            ...(key === null ? {} : { 'idempotency-key': key }),
          };
          // The fixtures stay: writes that could end or delete them aim at generated ids only.
          const target_ = id === fixture.queued || id === fixture.finished || id === fixture.dataset ? 'nope' : encodeURIComponent(id);
          const request = {
            submit: { method: 'POST', url: '/v1/jobs', payload: JSON.stringify(tinyJob()) },
            validate: { method: 'POST', url: '/v1/jobs/validate', payload: JSON.stringify(tinyJob()) },
            upload: { method: 'POST', url: '/v1/datasets', payload: '0,1,2\n1,3,4\n' },
            cancel: { method: 'POST', url: `/v1/jobs/${target_}/cancel`, payload: '' },
            'delete-job': { method: 'DELETE', url: `/v1/jobs/${target_}` },
            'delete-dataset': { method: 'DELETE', url: `/v1/datasets/${target_}` },
            'stream-token': { method: 'POST', url: '/v1/stream-tokens', payload: '{}' },
          }[target] as { method: string; url: string; payload?: string };
          const status = await probe({ ...request, headers } as Inject);
          // What a write created goes again, so the store stays small and every case starts alike.
          if ((target === 'submit' && status === 202) || (target === 'upload' && status === 201)) await f.sweep(kept);
        }),
        fuzzParams(WRITES),
      );
      await f.expectAlive();
    },
    fuzzTimeout(WRITES),
  );
});
