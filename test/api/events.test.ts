// The event stream with a real SSE client (the `eventsource` package) on real ports: snapshot first,
// ids = stream ids, live delivery through the shared XREAD loop, the end after a terminal event,
// Last-Event-ID replay on another API instance with no gap and no duplicate, JSON paging, heartbeats.
import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventSource } from 'eventsource';
import { JobStore, type NewEvent } from '../../src/store/index.js';
import { startApp, tinyJob, type TestApp } from './helpers.js';
import { ADMIN_AUTH, authedFetch } from '../helpers/auth.js';

let a: TestApp; // two API processes' worth of app, same Redis and prefix
let b: TestApp;
let urlA: string;
let urlB: string;
let store: JobStore; // writes as a worker would
const sockets = new Set<Socket>();

const env = { SSE_RETRY_MS: '50', SSE_HEARTBEAT_MS: '150', SSE_BLOCK_MS: '1000' };

beforeAll(async () => {
  a = await startApp(env);
  b = await startApp(env, a.prefix);
  a.app.server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  urlA = await a.app.listen({ port: 0, host: '127.0.0.1' });
  urlB = await b.app.listen({ port: 0, host: '127.0.0.1' });
  store = new JobStore(a.redis.duplicate(), a.prefix);
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all([a?.close(), b?.close()]);
  store?.redis.disconnect();
});

async function newJob(): Promise<string> {
  const res = await a.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob() });
  return res.json().id;
}

const now = () => new Date().toISOString();

/** The events a worker writes for a short run, one at a time. */
function workerScript(epochs: number): { patch: Record<string, unknown>; event: NewEvent }[] {
  const out: { patch: Record<string, unknown>; event: NewEvent }[] = [
    {
      patch: { status: 'running', stage: 'training', attempt: 1 },
      event: { type: 'status', data: { status: 'running', stage: 'training', attempt: 1, at: now() } },
    },
  ];
  for (let e = 1; e <= epochs; e++) {
    for (let s = 1; s <= 2; s++) {
      const progress = {
        epoch: e,
        epochs,
        step: s,
        stepsPerEpoch: 2,
        percent: ((e - 1) * 2 + s) * (100 / (2 * epochs)),
        etaSeconds: 1,
        samplesPerSecond: 100,
      };
      out.push({ patch: { progress }, event: { type: 'progress', data: progress } });
    }
    const metrics = { epoch: e, loss: 1 / e, accuracy: 0.5 + e / 100 };
    out.push({
      patch: {},
      event: { type: 'epoch', data: { epoch: e, epochs, metrics, norms: [{ name: 'layers.1.weight', weightNorm: 1, gradNorm: 0.1 }] } },
    });
  }
  out.push({
    patch: { status: 'succeeded', stage: 'done', metrics: { loss: 0.5, accuracy: 0.9 } },
    event: {
      type: 'completed',
      data: { metrics: { loss: 0.5, accuracy: 0.9 }, history: [], weights: { href: '/x', sha256: '0'.repeat(64), bytes: 0 } },
    },
  });
  return out;
}

async function play(id: string, steps: ReturnType<typeof workerScript>, delayMs = 0): Promise<string[]> {
  const ids: string[] = [];
  for (const s of steps) {
    const r = await store.update(id, s.patch, { event: s.event });
    ids.push(r!.eventId!);
    if (delayMs) await new Promise((r2) => setTimeout(r2, delayMs));
  }
  return ids;
}

interface Received {
  type: string;
  id: string;
  data: unknown;
}

/** Open an EventSource, collect every event, resolve on the first terminal event. */
function follow(
  url: string,
  opts: { lastEventId?: string; fetchFn?: typeof fetch; onEvent?: (e: Received, all: Received[]) => void } = {},
) {
  const all: Received[] = [];
  const errors: unknown[] = [];
  const es = new EventSource(url, {
    fetch: (input, init) =>
      (opts.fetchFn ?? authedFetch)(input as string, {
        ...init,
        headers: {
          ...(init?.headers as Record<string, string>),
          ...(opts.lastEventId && all.length === 0 ? { 'last-event-id': opts.lastEventId } : {}),
        },
      }),
  });
  const done = new Promise<Received[]>((resolve) => {
    for (const type of ['snapshot', 'status', 'progress', 'epoch', 'completed', 'failed', 'cancelled']) {
      es.addEventListener(type, (ev) => {
        const e = { type, id: ev.lastEventId, data: JSON.parse(ev.data) };
        // A snapshot has no id: lastEventId keeps the previous value. Record it as ''.
        if (type === 'snapshot') e.id = '';
        all.push(e);
        opts.onEvent?.(e, all);
        if (['completed', 'failed', 'cancelled'].includes(type)) {
          es.close();
          resolve(all);
        }
      });
    }
  });
  es.addEventListener('error', (e) => errors.push(e));
  return { es, all, done, errors };
}

describe('GET /v1/jobs/{id}/events (SSE)', () => {
  it('sends snapshot, then the log with stream ids, live events as they happen, and ends after the terminal event', async () => {
    const id = await newJob();
    const client = follow(`${urlA}/v1/jobs/${id}/events`);
    // Wait for the snapshot and the queued status event, then play the run live.
    for (let i = 0; i < 200 && client.all.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(client.all.map((e) => e.type)).toEqual(['snapshot', 'status']);
    expect(client.all[0]!.data).toMatchObject({ id, status: 'queued', links: { events: `/v1/jobs/${id}/events` } });
    const written = await play(id, workerScript(2), 5);
    const got = await client.done;
    const logIds = (await a.redis.xrange(`${a.prefix}:job:${id}:events`, '-', '+')).map(([eid]) => eid);
    expect(got.slice(1).map((e) => e.id)).toEqual(logIds);
    expect(logIds.slice(1)).toEqual(written);
    expect(got.map((e) => e.type)).toEqual([
      'snapshot',
      'status',
      'status',
      'progress',
      'progress',
      'epoch',
      'progress',
      'progress',
      'epoch',
      'completed',
    ]);
    expect(got[5]!.data).toMatchObject({ epoch: 1, metrics: { loss: 1 }, norms: [{ name: 'layers.1.weight' }] });
  });

  it('a client reconnecting to another API process with Last-Event-ID gets exactly what it missed', async () => {
    const id = await newJob();
    const steps = workerScript(3);
    // The client's first connection goes to A; when A's sockets die mid-stream it reconnects, to B.
    let connections = 0;
    const fetchFn: typeof fetch = (input, init) => {
      connections++;
      const target = String(input).replace(urlA, connections === 1 ? urlA : urlB);
      return authedFetch(target, init);
    };
    let cut = false;
    const client = follow(`${urlA}/v1/jobs/${id}/events?after=0-0`, {
      fetchFn,
      onEvent: (e, all) => {
        if (!cut && e.type === 'epoch') {
          cut = true;
          for (const s of sockets) s.destroy(); // process A "dies" with events still to come
        }
        void all;
      },
    });
    const written = await play(id, steps, 15);
    const got = await client.done;
    expect(connections).toBeGreaterThanOrEqual(2);
    const ids = got.filter((e) => e.type !== 'snapshot').map((e) => e.id);
    const logIds = (await a.redis.xrange(`${a.prefix}:job:${id}:events`, '-', '+')).map(([eid]) => eid);
    expect(ids).toEqual(logIds); // no gap, no duplicate, in order
    expect(ids.slice(1)).toEqual(written);
    expect(got.filter((e) => e.type === 'snapshot').length).toBe(connections);
  });

  it('a reconnect to a finished job replays the tail and ends; with nothing left it answers 204', async () => {
    const id = await newJob();
    const written = await play(id, workerScript(1));
    const tail = follow(`${urlB}/v1/jobs/${id}/events`, { lastEventId: written[2]! });
    const got = await tail.done;
    expect(got.map((e) => e.id)).toEqual(['', ...written.slice(3)]);
    const res = await authedFetch(`${urlB}/v1/jobs/${id}/events`, { headers: { 'last-event-id': written.at(-1)! } });
    expect(res.status).toBe(204);
    // From the start, asked for explicitly: the whole log, then the server ends the response.
    const full = await authedFetch(`${urlA}/v1/jobs/${id}/events?after=0-0`);
    const text = await full.text();
    expect(text.match(/^event: /gm)?.length).toBe(1 + 1 + written.length);
    expect(text.trimEnd().endsWith(`data: ${JSON.stringify((await store.events(id)).at(-1)!.data)}`)).toBe(true);
    // With no cursor: the snapshot (it holds the history) and the log's newest event, whose id ends a reconnect.
    const fresh = await (await authedFetch(`${urlA}/v1/jobs/${id}/events`)).text();
    expect([...fresh.matchAll(/^event: (\w+)$/gm)].map((m) => m[1])).toEqual(['snapshot', 'completed']);
    expect(fresh).toContain(`id: ${written.at(-1)}`);
  });

  it('frames raw SSE: headers flushed at once, retry, snapshot without id, heartbeat comments', async () => {
    const id = await newJob();
    const chunks: string[] = [];
    const started = Date.now();
    let headersAt = 0;
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${urlA}/v1/jobs/${id}/events`, { headers: { accept: 'text/event-stream', ...ADMIN_AUTH } }, (res) => {
        headersAt = Date.now() - started;
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
        expect(res.headers['cache-control']).toBe('no-cache');
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          chunks.push(c);
          if (chunks.join('').includes(': heartbeat')) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', (e) => (e.message.includes('aborted') ? resolve() : reject(e)));
      req.end();
    });
    const text = chunks.join('');
    expect(headersAt).toBeLessThan(2000);
    const first = text.split('\n\n')[0]!;
    expect(first).toMatch(/^event: snapshot\ndata: \{.*\}\nretry: 50$/);
    expect(first).not.toMatch(/^id:/m);
    expect(text).toMatch(/\nid: \d+-\d+\nevent: status\ndata: \{"status":"queued"/);
    expect(text).toContain(': heartbeat\n\n');
  });

  it('serves the log as JSON with Accept: application/json, paged by ?after=', async () => {
    const id = await newJob();
    const written = await play(id, workerScript(1));
    const first = await a.app.inject({ url: `/v1/jobs/${id}/events?limit=3`, headers: { accept: 'application/json' } });
    expect(first.statusCode).toBe(200);
    const p1 = first.json();
    expect(p1.events).toHaveLength(3);
    expect(p1.done).toBe(false);
    expect(p1.events[0]).toMatchObject({ type: 'status', data: { status: 'queued' } });
    const second = (
      await a.app.inject({ url: `/v1/jobs/${id}/events?after=${p1.nextCursor}`, headers: { accept: 'application/json' } })
    ).json();
    expect([...p1.events, ...second.events].map((e: { id: string }) => e.id).slice(1)).toEqual(written);
    expect(second.done).toBe(true);
    expect(second.events.at(-1).type).toBe('completed');
    const bad = await a.app.inject({ url: `/v1/jobs/${id}/events?after=banana`, headers: { accept: 'application/json' } });
    expect(bad.statusCode).toBe(400);
    expect((await a.app.inject({ url: `/v1/jobs/nope/events`, headers: { accept: 'application/json' } })).statusCode).toBe(404);
  });

  it('many clients on many jobs share one XREAD loop and all get their events', async () => {
    const ids = await Promise.all([newJob(), newJob(), newJob()]);
    const clients = ids.flatMap((id) => [
      follow(`${urlB}/v1/jobs/${id}/events?after=0-0`),
      follow(`${urlB}/v1/jobs/${id}/events?after=0-0`),
    ]);
    for (let i = 0; i < 300 && clients.some((c) => c.all.length < 2); i++) await new Promise((r) => setTimeout(r, 10));
    expect(b.app.events.size).toBe(6);
    await Promise.all(ids.map((id) => play(id, workerScript(1), 2)));
    const results = await Promise.all(clients.map((c) => c.done));
    for (const r of results)
      expect(r.map((e) => e.type)).toEqual(['snapshot', 'status', 'status', 'progress', 'progress', 'epoch', 'completed']);
    for (let i = 0; i < 100 && b.app.events.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(b.app.events.size).toBe(0);
    const metrics = (await b.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/^convoy_sse_clients 0$/m);
  });

  it('app.close() ends open streams at once (clients reconnect elsewhere)', async () => {
    const c = await startApp(env, a.prefix);
    const url = await c.app.listen({ port: 0, host: '127.0.0.1' });
    const id = await newJob();
    const res = await authedFetch(`${url}/v1/jobs/${id}/events`);
    const reader = res.body!.getReader();
    await reader.read(); // the snapshot is there: the stream is open
    const started = Date.now();
    await c.close();
    expect(Date.now() - started).toBeLessThan(2000);
    for (;;) if ((await reader.read()).done) break; // the server ended the response
  });
});
