// The event logs stay bounded and cheap to follow: a job's log keeps its last EVENT_LOG_MAX_PROGRESS
// progress events and every other event; a client's cursor never moves the process's shared read
// position; a connection with no cursor costs a snapshot and the newest event, not a replay; an id
// this API could not have sent is a 400.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStore, type NewEvent } from '../../src/store/index.js';
import { ADMIN_AUTH, authedFetch } from '../helpers/auth.js';
import { readSse, type SseFrame } from '../helpers/stack.js';
import { startApp, tinyJob, type TestApp } from './helpers.js';

let t: TestApp;
let url: string;
let store: JobStore; // writes as a worker would, with the same log limits

beforeAll(async () => {
  t = await startApp({ EVENT_LOG_MAX_PROGRESS: '3', SSE_BLOCK_MS: '1000' });
  url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  store = new JobStore(t.redis.duplicate(), t.prefix, { maxProgressEvents: 3, tenantLogLength: 1000 });
});
afterAll(async () => {
  await t?.close();
  store?.redis.disconnect();
});

const newJob = async () => (await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob() })).json().id as string;
const progress = (step: number): NewEvent => ({
  type: 'progress',
  data: { epoch: 1, epochs: 1, step, stepsPerEpoch: 100, percent: step, etaSeconds: null, samplesPerSecond: null },
});
const epoch = (n: number): NewEvent => ({
  type: 'epoch',
  data: { epoch: n, epochs: 9, metrics: { epoch: n, loss: 1, accuracy: 0.5, learningRate: 0.1, seconds: 1 }, norms: [] },
});
const write = async (id: string, e: NewEvent) => (await store.update(id, {}, { event: e }))!.eventId!;

describe('a job event log', () => {
  it('keeps the last EVENT_LOG_MAX_PROGRESS progress events and every other event; a resume misses none of those', async () => {
    const id = await newJob();
    const early = await write(id, progress(1));
    const epochIds: string[] = [];
    for (let s = 2; s <= 10; s++) {
      await write(id, progress(s));
      if (s % 3 === 0) epochIds.push(await write(id, epoch(s / 3)));
    }
    const log = await store.events(id);
    expect(log.filter((e) => e.type === 'progress').map((e) => (e.data as { step: number }).step)).toEqual([8, 9, 10]);
    expect(log.filter((e) => e.type === 'epoch').map((e) => e.id)).toEqual(epochIds);
    expect(log[0]!.type).toBe('status'); // the queued event, never trimmed
    // A client that last saw the first progress event resumes with every epoch after it.
    const resumed = await t.app.inject({ url: `/v1/jobs/${id}/events?after=${early}&limit=100`, headers: { accept: 'application/json' } });
    const types = resumed.json().events.map((e: { type: string }) => e.type);
    expect(types.filter((x: string) => x === 'epoch')).toHaveLength(3);
    expect(await t.redis.llen(`${t.prefix}:job:${id}:progress-ids`)).toBe(3);
  });

  it('a client asking for a far-future id does not hold back the live events other clients are sent', async () => {
    const id = await newJob();
    const future = `${Date.now() + 3_600_000}-0`;
    const ac = new AbortController();
    // The first subscriber of this job on this process asks for an id an hour ahead.
    const far = authedFetch(`${url}/v1/jobs/${id}/events?after=${future}`, { signal: ac.signal });
    const farRes = await far;
    expect(farRes.status).toBe(200);
    const other = readSse(`${url}/v1/jobs/${id}/events`, { until: (f) => f.event === 'progress', timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await write(id, progress(1));
    const frames: SseFrame[] = await other;
    expect(frames.map((f) => f.event)).toEqual(['snapshot', 'status', 'progress']);
    expect(Date.now() - t0).toBeLessThan(1500);
    ac.abort();
  });

  it('with no cursor a client gets the snapshot, the newest event and live ones; ?after=0-0 replays it all', async () => {
    const id = await newJob();
    for (let s = 1; s <= 3; s++) await write(id, progress(s));
    const live = readSse(`${url}/v1/jobs/${id}/events`, { until: (f) => f.event === 'epoch', timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 200));
    await write(id, epoch(1));
    expect((await live).map((f) => [f.event, f.event === 'progress' ? JSON.parse(f.data).step : undefined])).toEqual([
      ['snapshot', undefined],
      ['progress', 3],
      ['epoch', undefined],
    ]);
    const all = await readSse(`${url}/v1/jobs/${id}/events?after=0-0`, { until: (f) => f.event === 'epoch', timeoutMs: 5000 });
    expect(all.map((f) => f.event)).toEqual(['snapshot', 'status', 'progress', 'progress', 'progress', 'epoch']);
  });

  it.each([
    ['?after= past 64 bits', '?after=18446744073709551616-0', {}, 'querystring/after'],
    ['Last-Event-ID past 64 bits', '', { 'last-event-id': '1-18446744073709551616' }, 'headers/last-event-id'],
    ['a Last-Event-ID of another shape', '', { 'last-event-id': 'abc' }, 'headers/last-event-id'],
  ])('%s is a 400 naming it', async (_what, query, headers, field) => {
    const id = await newJob();
    for (const path of [`/v1/jobs/${id}/events${query}`, `/v1/events${query}`]) {
      const res = await t.app.inject({ url: path, headers: { ...ADMIN_AUTH, ...headers, accept: 'application/json' } });
      expect([res.statusCode, res.json().field], path).toEqual([400, field]);
    }
  });
});
