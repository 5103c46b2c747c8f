// GET /v1/events: every job of a tenant on one stream, with a real SSE client on real ports, two API
// processes' worth of app: each event carries its job, the tenant sees only its own, a reconnect to
// the other process with Last-Event-ID gets exactly what it missed, ?jobs= and ?status= narrow it,
// JSON pages and stream tokens work.
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventSource } from 'eventsource';
import { JobStore, type NewEvent } from '../../src/store/index.js';
import { bearer } from '../helpers/auth.js';
import { startApp, tinyJob, type TestApp } from './helpers.js';

let a: TestApp;
let b: TestApp;
let urlA: string;
let urlB: string;
let store: JobStore;
let keyA: string;
let keyB: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  const env = { SSE_RETRY_MS: '50', SSE_BLOCK_MS: '1000' };
  a = await startApp(env);
  b = await startApp(env, a.prefix);
  a.app.server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  urlA = await a.app.listen({ port: 0, host: '127.0.0.1' });
  urlB = await b.app.listen({ port: 0, host: '127.0.0.1' });
  store = new JobStore(a.redis.duplicate(), a.prefix);
  const key = async (tenant: string) =>
    (await a.app.inject({ method: 'POST', url: '/v1/keys', payload: { tenant, name: 'dash' } })).json().key as string;
  keyA = await key('team-a');
  keyB = await key('team-b');
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all([a?.close(), b?.close()]);
  store?.redis.disconnect();
});

const submit = async (key: string) =>
  (await a.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob(), headers: bearer(key) })).json().id as string;
const progress = (step: number): NewEvent => ({
  type: 'progress',
  data: { epoch: 1, epochs: 1, step, stepsPerEpoch: 10, percent: step * 10, etaSeconds: null, samplesPerSecond: null },
});
const running: NewEvent = { type: 'status', data: { status: 'running', stage: 'training', attempt: 1, at: new Date().toISOString() } };
const write = async (id: string, e: NewEvent, patch: Record<string, unknown> = {}) =>
  (await store.update(id, patch, { event: e }))!.eventId!;

interface Got {
  type: string;
  id: string;
  data: { jobId?: string; jobEventId?: string; data?: unknown; jobs?: { id: string }[] };
}

/** An EventSource on /v1/events whose connections go to `bases` in turn. */
function dashboard(bases: string[], query: string, auth: Record<string, string>) {
  const got: Got[] = [];
  let connections = 0;
  const es = new EventSource(`${bases[0]}/v1/events${query}`, {
    fetch: (input, init) => {
      const target = String(input).replace(bases[0]!, bases[connections++ % bases.length]!);
      return fetch(target, { ...init, headers: { ...(init?.headers as Record<string, string>), ...auth } });
    },
  });
  for (const type of ['snapshot', 'status', 'progress', 'epoch', 'completed']) {
    es.addEventListener(type, (ev) => got.push({ type, id: ev.lastEventId, data: JSON.parse(ev.data) }));
  }
  const until = async (ok: () => boolean, what: string) => {
    for (let i = 0; i < 300 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
    if (!ok()) throw new Error(`${what}: got ${JSON.stringify(got.map((g) => [g.type, g.data.jobId]))}`);
  };
  return { got, es, until, connections: () => connections };
}

describe('GET /v1/events', () => {
  it("one stream carries every job of the tenant, each event naming its job, and nothing of another tenant's", async () => {
    const [a1, a2, b1] = [await submit(keyA), await submit(keyA), await submit(keyB)];
    const d = dashboard([urlA], '', bearer(keyA));
    await d.until(() => d.got.length >= 1, 'snapshot');
    const snapshot = d.got[0]!;
    expect(snapshot.type).toBe('snapshot');
    expect(snapshot.data.jobs!.map((j) => j.id).sort()).toEqual([a1, a2].sort());
    const e1 = await write(a1, progress(1));
    await write(b1, progress(1));
    const e2 = await write(a2, progress(2));
    await d.until(() => d.got.filter((g) => g.type === 'progress').length >= 2, 'progress of both jobs');
    const events = d.got.slice(1).filter((g) => g.type === 'progress');
    expect(events.map((g) => [g.data.jobId, g.data.jobEventId])).toEqual([
      [a1, e1],
      [a2, e2],
    ]);
    expect((events[1]!.data.data as { step: number }).step).toBe(2);
    d.es.close();
  });

  it('a reconnect to another API process with Last-Event-ID gets exactly what it missed', async () => {
    const job = await submit(keyA);
    const d = dashboard([urlA, urlB], `?jobs=${job}`, bearer(keyA));
    await d.until(() => d.got.length >= 1, 'snapshot');
    const written: string[] = [];
    for (let s = 1; s <= 30; s++) {
      written.push(await write(job, progress(s)));
      if (s === 10) for (const sock of sockets) sock.destroy(); // process A "dies" mid-stream
      await new Promise((r) => setTimeout(r, 5));
    }
    await d.until(() => d.got.filter((g) => g.type === 'progress').length >= 30, 'all 30 events');
    expect(d.connections()).toBeGreaterThanOrEqual(2);
    const seen = d.got.filter((g) => g.type === 'progress').map((g) => g.data.jobEventId);
    expect(seen).toEqual(written); // no gap, no duplicate, in order
    d.es.close();
  });

  it('?status=running follows jobs as they start; JSON pages; a stream token from a browser works', async () => {
    const [x, y] = [await submit(keyA), await submit(keyA)];
    const d = dashboard([urlB], '?status=running', bearer(keyA));
    await d.until(() => d.got.length >= 1, 'snapshot');
    await write(x, progress(1)); // queued: not shown
    await write(y, running, { status: 'running', stage: 'training', attempt: 1 });
    await write(y, progress(2));
    await d.until(() => d.got.filter((g) => g.type === 'progress').length >= 1, "y's progress");
    expect(d.got.slice(1).map((g) => [g.type, g.data.jobId])).toEqual([
      ['status', y],
      ['progress', y],
    ]);
    d.es.close();

    const page = await a.app.inject({ url: `/v1/events?jobs=${x}&limit=100`, headers: { accept: 'application/json', ...bearer(keyA) } });
    expect(page.json().events.map((e: { type: string; jobId: string }) => [e.type, e.jobId])).toEqual([
      ['status', x],
      ['progress', x],
    ]);
    const other = await a.app.inject({ url: `/v1/events?jobs=${x}`, headers: { accept: 'application/json', ...bearer(keyB) } });
    expect(other.json().events).toEqual([]);
    const foreign = await a.app.inject({ url: '/v1/events?tenant=team-a', headers: { accept: 'application/json', ...bearer(keyB) } });
    expect(foreign.statusCode).toBe(403);
    // An admin follows its own tenant (`default`), or the one it names.
    const own = await a.app.inject({ url: `/v1/events?jobs=${x}`, headers: { accept: 'application/json' } });
    expect(own.json().events).toEqual([]);
    const named = await a.app.inject({ url: `/v1/events?tenant=team-a&jobs=${x}`, headers: { accept: 'application/json' } });
    expect(named.json().events).toHaveLength(2);

    const { token } = (await a.app.inject({ method: 'POST', url: '/v1/stream-tokens', headers: bearer(keyA) })).json();
    const viaToken = await fetch(`${urlA}/v1/events?token=${token}&jobs=${x}`, { headers: { accept: 'application/json' } });
    expect(viaToken.status).toBe(200);
    expect(((await viaToken.json()) as { events: unknown[] }).events).toHaveLength(2);
  });
});
