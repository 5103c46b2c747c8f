// The shared XREAD loop: a job joining while the loop is blocked is read at once (CLIENT UNBLOCK),
// and a subscriber joining mid-stream gets every event once, in order, however replay and loop interleave.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStore } from '../../src/store/index.js';
import type { StoredEvent } from '../../src/store/index.js';
import { startApp, tinyJob, type TestApp } from './helpers.js';

let t: TestApp;
let store: JobStore;
beforeAll(async () => {
  t = await startApp({ SSE_BLOCK_MS: '30000' }); // a blocked XREAD would hold new jobs for 30 s
  store = new JobStore(t.redis.duplicate(), t.prefix);
});
afterAll(async () => {
  await t?.close();
  store?.redis.disconnect();
});

const newJob = async () => (await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob() })).json().id as string;
const progress = (step: number) => ({
  type: 'progress' as const,
  data: { epoch: 1, epochs: 1, step, stepsPerEpoch: 1000, percent: step / 10, etaSeconds: null, samplesPerSecond: null },
});

describe('EventHub', () => {
  it('wakes the blocked XREAD when a new job is watched', async () => {
    const [x, y] = [await newJob(), await newJob()];
    const gotX: StoredEvent[] = [];
    const gotY: StoredEvent[] = [];
    const subX = await t.app.events.subscribe(t.app.store.logs.key({ job: x }), '0-0', (e) => gotX.push(e));
    await new Promise((r) => setTimeout(r, 200)); // the loop is now blocked on job x alone
    const subY = await t.app.events.subscribe(t.app.store.logs.key({ job: y }), '0-0', (e) => gotY.push(e));
    const started = Date.now();
    await store.update(y, { progress: progress(1).data }, { event: progress(1) });
    while (gotY.length < 2 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 5));
    expect(gotY.map((e) => e.type)).toEqual(['status', 'progress']);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(gotX.map((e) => e.type)).toEqual(['status']);
    subX.close();
    subY.close();
  });

  it('subscribers joining while events stream in each get the whole log once, in order', async () => {
    const id = await newJob();
    const writer = (async () => {
      for (let s = 1; s <= 150; s++) await store.update(id, { progress: progress(s).data }, { event: progress(s) });
    })();
    const subs: { got: StoredEvent[]; close(): void }[] = [];
    for (let i = 0; i < 6; i++) {
      const got: StoredEvent[] = [];
      const sub = await t.app.events.subscribe(t.app.store.logs.key({ job: id }), '0-0', (e) => got.push(e));
      subs.push({ got, close: sub.close });
      await new Promise((r) => setTimeout(r, 3 * i));
    }
    await writer;
    const all = (await store.events(id)).map((e) => e.id);
    expect(all).toHaveLength(151);
    for (let i = 0; i < 200 && subs.some((s) => s.got.length < all.length); i++) await new Promise((r) => setTimeout(r, 10));
    for (const s of subs) {
      expect(s.got.map((e) => e.id)).toEqual(all);
      s.close();
    }
    expect(t.app.events.size).toBe(0);
  });
});
