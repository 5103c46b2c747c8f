// Lean reads (issue 12): a job's inline dataset is stored once per tenant and content, the job's spec
// shows its id and a summary, so GET /v1/jobs/{id}, the SSE snapshot and the list stay small
// whatever the inputs; a dataset an unfinished job needs cannot be deleted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetFromArrays } from '../../src/datasets/index.js';
import { authedFetch } from '../helpers/auth.js';
import { startApp, tinyJob, type TestApp } from './helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApp({ QUOTA_MAX_TRAINING_BYTES: String(2 ** 40) });
});
afterAll(async () => {
  await t?.close();
});

/** An inline dataset of `count` 1x28x28 samples: about 4 KB of JSON each. */
function bigInline(count: number) {
  const samples = Array.from({ length: count }, (_, i) => Array.from({ length: 784 }, (_, j) => (i * 31 + j * 7) % 256));
  return { inline: { shape: [1, 28, 28], samples, labels: samples.map((_, i) => i % 10) } };
}

const bigModel = { input: [1, 28, 28], layers: [{ type: 'flatten' }, { type: 'dense', units: 10 }] };

async function submit(body: unknown): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: body as object });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().id;
}

describe('lean reads', () => {
  it('stores an inline dataset once (content-addressed), the spec shows its id and a summary', async () => {
    const a = await submit(tinyJob());
    const b = await submit(tinyJob({ name: 'again' }));
    const [da, db] = await Promise.all([a, b].map((id) => t.app.inject({ url: `/v1/jobs/${id}` }).then((r) => r.json())));
    expect(da.spec.dataset).toEqual({
      id: expect.stringMatching(/^ds_[0-9a-f]{40}$/),
      summary: { samples: 8, shape: [1, 4, 4], classes: 2, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), bytes: 32 + 8 * 16 + 8 },
    });
    expect(db.spec.dataset).toEqual(da.spec.dataset);
    const info = (await t.app.inject({ url: `/v1/datasets/${da.spec.dataset.id}` })).json();
    expect(info).toMatchObject({ format: 'inline', count: 8, classes: 2 });
    const listed = (await t.app.inject({ url: '/v1/datasets?limit=200' })).json().items.filter((d: { id: string }) => d.id === info.id);
    expect(listed).toHaveLength(1);
    // What the worker loads by that id is the samples submitted.
    const stored = await t.app.datasets.get(info.id);
    const { samples, labels } = tinyJob().dataset.inline;
    expect(Array.from(stored!.images)).toEqual(samples.flat());
    expect(Array.from(stored!.labels)).toEqual(labels);
  });

  it('scopes content addresses by tenant', async () => {
    const { samples, labels } = tinyJob().dataset.inline;
    const ds = datasetFromArrays({ shape: [1, 4, 4], samples, labels });
    const [mine, theirs] = await Promise.all([t.app.datasets.putInline(ds, 'lean-a'), t.app.datasets.putInline(ds, 'lean-b')]);
    expect(mine.info.id).not.toBe(theirs.info.id);
    expect(mine.summary.sha256).toBe(theirs.summary.sha256);
    expect(theirs.info.tenant).toBe('lean-b');
  });

  it('keeps GET /v1/jobs/{id}, its SSE snapshot and the list small whatever the inline dataset', async () => {
    const body = { ...tinyJob(), model: bigModel, dataset: bigInline(2000) };
    expect(JSON.stringify(body).length).toBeGreaterThan(4_000_000);
    const id = await submit(body);
    const got = await t.app.inject({ url: `/v1/jobs/${id}` });
    expect(got.statusCode).toBe(200);
    expect(got.body.length).toBeLessThan(4096);
    expect(got.json().spec.dataset.summary.samples).toBe(2000);

    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const abort = new AbortController();
    const res = await authedFetch(`${base}/v1/jobs/${id}/events`, { signal: abort.signal });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    expect(text).toContain('event: snapshot');
    expect(text.length).toBeLessThan(4096);

    const list = await t.app.inject({ url: '/v1/jobs?limit=50' });
    expect(list.statusCode).toBe(200);
    expect(list.body.length).toBeLessThan(50 * 2048);
  });

  it('lists jobs without reading their specs (a spec that no longer parses does not matter)', async () => {
    const id = await submit(tinyJob({ name: 'unparsable-spec' }));
    await t.redis.hset(`${t.prefix}:job:${id}`, 'spec', '{not json');
    const list = await t.app.inject({ url: '/v1/jobs?limit=200' });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((j: { id: string }) => j.id)).toContain(id);
  });

  it('leaves no stored samples behind when the job is refused (active-jobs quota)', async () => {
    const usage = (await t.app.inject({ url: '/v1/tenants/default' })).json().usage;
    expect(
      (await t.app.inject({ method: 'PUT', url: '/v1/tenants/default', payload: { maxActiveJobs: usage.activeJobs } })).statusCode,
    ).toBe(200);
    const datasets = async () => (await t.app.inject({ url: '/v1/datasets?limit=200' })).json().items.length;
    const before = await datasets();
    const samples = Array.from({ length: 5 }, (_, i) => Array.from({ length: 16 }, (_, j) => (i * 17 + j * 5) % 250));
    const refused = await t.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: tinyJob({ dataset: { inline: { shape: [1, 4, 4], samples, labels: samples.map((_, i) => i % 2) } } }),
    });
    expect(refused.statusCode).toBe(429);
    expect(await datasets()).toBe(before);
    expect((await t.app.inject({ method: 'PUT', url: '/v1/tenants/default', payload: { maxActiveJobs: null } })).statusCode).toBe(200);
  });

  it('refuses to delete a dataset an unfinished job needs (409 naming it), and deletes it once the job ended', async () => {
    const samples = Array.from({ length: 6 }, (_, i) => Array.from({ length: 16 }, (_, j) => (i * 13 + j) % 200));
    const id = await submit(tinyJob({ dataset: { inline: { shape: [1, 4, 4], samples, labels: samples.map((_, i) => i % 2) } } }));
    const ds = (await t.app.inject({ url: `/v1/jobs/${id}` })).json().spec.dataset.id;
    const refused = await t.app.inject({ method: 'DELETE', url: `/v1/datasets/${ds}` });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'dataset-in-use', jobs: [id] });
    expect((await t.app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel` })).statusCode).toBe(202);
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/datasets/${ds}` })).statusCode).toBe(204);
    // A job naming a dataset deleted meanwhile is refused with the field, never queued.
    const again = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: { ...tinyJob(), dataset: { id: ds } } });
    expect(again.statusCode).toBe(400);
    expect(again.json().field).toBe('/dataset/id');
  });

  it("names to a member none of another tenant's jobs that keep its dataset (an admin's job may use it)", async () => {
    const key = (await t.app.inject({ method: 'POST', url: '/v1/keys', payload: { tenant: 'lean-member', name: 'm' } })).json().key;
    const member = { authorization: `Bearer ${key}` };
    const csv = '0,1,2,3,4\n1,5,6,7,8\n0,9,10,11,12\n1,13,14,15,16\n';
    const up = await t.app.inject({
      method: 'POST',
      url: '/v1/datasets?shape=1,2,2',
      headers: { ...member, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(up.statusCode, up.body).toBe(201);
    const ds = up.json().id;
    const adminJob = await submit({
      ...tinyJob(),
      model: { input: [1, 2, 2], layers: [{ type: 'flatten' }, { type: 'dense', units: 2 }] },
      dataset: { id: ds },
    });
    const refused = await t.app.inject({ method: 'DELETE', url: `/v1/datasets/${ds}`, headers: member });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'dataset-in-use', jobs: [] });
    expect(refused.json().detail).toMatch(/needed by 1 unfinished job/);
    expect(refused.body).not.toContain(adminJob);
    expect((await t.app.inject({ method: 'POST', url: `/v1/jobs/${adminJob}/cancel` })).statusCode).toBe(202);
  });
});
