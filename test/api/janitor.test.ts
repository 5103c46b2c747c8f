// The janitor (issue 12): the lease holder's sweep takes expired jobs out of GET /v1/jobs and
// deletes datasets past their retention; a second process without the lease does nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Janitor } from '../../src/server/janitor.js';
import { JobRetention, Lease } from '../../src/store/index.js';
import { startApp, tinyJob, type TestApp } from './helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApp({ JOB_RETENTION_SECONDS: '60', DATASET_RETENTION_SECONDS: '120' });
});
afterAll(async () => {
  await t?.close();
});

const janitor = (name: string) =>
  new Janitor({
    jobs: new JobRetention(t.app.redis, t.app.store.keys),
    datasets: t.app.datasets,
    lease: new Lease(t.app.redis, t.prefix, 'janitor', name),
    log: t.app.log,
    intervalMs: 60_000,
    jobRetentionSeconds: 60,
    datasetRetentionSeconds: 120,
  });

describe('janitor', () => {
  it('sweeps a cancelled job after JOB_RETENTION_SECONDS and its inline dataset after DATASET_RETENTION_SECONDS', async () => {
    const id = (await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob() })).json().id;
    const ds = (await t.app.inject({ url: `/v1/jobs/${id}` })).json().spec.dataset.id;
    expect((await t.app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel` })).statusCode).toBe(202);
    const [leader, other] = [janitor('a'), janitor('b')];
    expect(await leader.tick(Date.now())).toEqual({ jobs: [], datasets: [], checked: 1 });
    expect((await other.tick(Date.now() + 61_000)).jobs).toEqual([]);
    expect((await leader.tick(Date.now() + 61_000)).jobs).toEqual([id]);
    const ids = (await t.app.inject({ url: '/v1/jobs?limit=200' })).json().items.map((j: { id: string }) => j.id);
    expect(ids).not.toContain(id);
    expect((await t.app.inject({ url: `/v1/jobs/${id}` })).statusCode).toBe(404);
    expect((await leader.tick(Date.now() + 121_000)).datasets).toEqual([ds]);
    expect((await t.app.inject({ url: `/v1/datasets/${ds}` })).statusCode).toBe(404);
    await Promise.all([leader.stop(), other.stop()]);
  });
});
