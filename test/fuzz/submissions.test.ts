// Fuzz: POST /v1/jobs and /v1/jobs/validate with generated bodies (the examples, presets and random
// model specs, mutated: wrong types, edge numbers, unknown fields, deep nesting, long arrays,
// broken JSON), and the other JSON bodies (keys, tenant quotas, predict, stream tokens) mutated the
// same way. Never a 5xx; a rejection is a problem with a code and leaves Redis and the queue as they
// were; validate never stores anything; an accepted job can be cancelled and deleted.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VALID_BODIES, submissionBody } from './arbitraries/submissions.js';
import { encode, encoding, mutate, mutation, shown } from './arbitraries/values.js';
import { tinyJob } from '../api/helpers.js';
import { announceSeed, fuzzParams, fuzzTimeout, startFuzzApp, type FuzzApp } from './harness.js';

let f: FuzzApp;
beforeAll(async () => {
  announceSeed('test/fuzz/submissions.test.ts');
  // Accepted jobs are cancelled and deleted at once; the quota stays out of the way all the same.
  f = await startFuzzApp({ TENANT_MAX_ACTIVE_JOBS: '1000000', WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com' });
});
afterAll(async () => {
  await f?.close();
});

const idempotencyKey = fc.option(fc.oneof(fc.constantFrom('k1', 'k2', ''), fc.string({ maxLength: 300 })), { freq: 4 });

/** A 202 must name a queued job we can cancel (it leaves the queue at once) and then delete. */
async function retire(id: string): Promise<void> {
  const cancel = await f.app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel` });
  expect(cancel.statusCode, cancel.body).toBe(202);
  const del = await f.app.inject({ method: 'DELETE', url: `/v1/jobs/${id}` });
  expect(del.statusCode, del.body).toBe(204);
}

describe('fuzz: job submissions', () => {
  it('the generators start from bodies the API accepts', async () => {
    for (const body of VALID_BODIES) {
      const res = await f.app.inject({ method: 'POST', url: '/v1/jobs/validate', payload: body });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().valid, res.body).toBe(true);
    }
  });

  const SUBMITS = 1200;
  it(
    'POST /v1/jobs: never 5xx; rejections are problems that store and queue nothing',
    async () => {
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(submissionBody, idempotencyKey, async ({ body }, key) => {
          const before = await f.state();
          const res = await f.app.inject({
            method: 'POST',
            url: '/v1/jobs',
            headers: { 'content-type': 'application/json', ...(key === null ? {} : { 'idempotency-key': key }) },
            payload: body,
          });
          await f.check(res, before, `POST /v1/jobs ${body.slice(0, 300)}`);
          if (res.statusCode === 202 && res.headers['idempotent-replayed'] === undefined) {
            accepted++;
            await retire((res.json() as { id: string }).id);
          }
        }),
        fuzzParams(SUBMITS),
      );
      await f.expectAlive();
      // The generators reach the far side of validation, not only its front door.
      expect(accepted).toBeGreaterThan(0);
    },
    fuzzTimeout(SUBMITS),
  );

  const VALIDATES = 600;
  it(
    'POST /v1/jobs/validate: never 5xx, and never stores or queues anything',
    async () => {
      await fc.assert(
        fc.asyncProperty(submissionBody, async ({ body }) => {
          const before = await f.state();
          const res = await f.app.inject({
            method: 'POST',
            url: '/v1/jobs/validate',
            headers: { 'content-type': 'application/json' },
            payload: body,
          });
          await f.check(res, before, `POST /v1/jobs/validate ${body.slice(0, 300)}`);
          expect(await f.state()).toEqual(before);
        }),
        fuzzParams(VALIDATES),
      );
      await f.expectAlive();
    },
    fuzzTimeout(VALIDATES),
  );

  const OTHERS = 500;
  it(
    'the other JSON bodies (keys, tenant quotas and webhook, predict, stream tokens): never 5xx; rejections store nothing',
    async () => {
      const job = (await f.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob() })).json() as { id: string };
      const targets = [
        { url: '/v1/keys', method: 'POST', doc: { tenant: 'acme', name: 'fuzz', role: 'member' } },
        { url: '/v1/tenants/acme', method: 'PUT', doc: { maxActiveJobs: 5, maxStoredBytes: null, maxDatasets: 3 } },
        { url: `/v1/jobs/${job.id}/predict`, method: 'POST', doc: { inputs: [new Array(16).fill(0), new Array(16).fill(255)] } },
        { url: '/v1/stream-tokens', method: 'POST', doc: {} },
        { url: '/v1/tenants/acme/webhook', method: 'PUT', doc: { url: 'https://hooks.example.com/acme' } },
      ] as const;
      const cases = fc
        .tuple(fc.constantFrom(...targets), fc.array(mutation, { maxLength: 3 }), encoding)
        .map(([target, mutations, how]) => {
          const body = encode(mutate(target.doc, mutations), how);
          return shown({ ...target, body }, `${target.method} ${target.url} ${body}`);
        });
      await fc.assert(
        fc.asyncProperty(cases, async ({ url, method, body }) => {
          const before = await f.state();
          const res = await f.app.inject({ method, url, headers: { 'content-type': 'application/json' }, payload: body });
          await f.check(res, before, `${method} ${url} ${body.slice(0, 300)}`);
          if (url === '/v1/keys' && res.statusCode === 201) {
            const del = await f.app.inject({ method: 'DELETE', url: `/v1/keys/${(res.json() as { id: string }).id}` });
            expect(del.statusCode, del.body).toBe(204);
          }
        }),
        fuzzParams(OTHERS),
      );
      await f.expectAlive();
    },
    fuzzTimeout(OTHERS),
  );
});
