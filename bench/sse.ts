// Benchmark: event streams at scale, against one API process (a child process, so the clients never
// share its event loop) on a private redis-server.
// Run: npm run bench:sse [-- --connect 1000 --fanout 3000 --dashboards 1000 --jobs 20]
//
//   connect    N clients connect, one after another in batches, to a job whose log already holds
//              10,000 events; then one live event is written: how long after the last connect
//              does each client have it (bar: all within 2 s)?
//   fan-out    N clients follow one job; 40 events are written 100 ms apart: delivery latency over
//              every (client, event), from the append (its stream id's time) (bar: p99 <= 150 ms at 3,000)
//   dashboards N clients follow GET /v1/events for one tenant while a real worker trains 20 tiny jobs
//              of that tenant: delivery latency of the progress events
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { Redis } from 'ioredis';
import { JobStore } from '../src/store/index.js';
import { freePort, startRedis } from '../test/helpers/redis-server.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CONNECT = arg('connect', 1000);
const FANOUT = arg('fanout', 3000);
const DASHBOARDS = arg('dashboards', 1000);
const JOBS = arg('jobs', 20);
const KEY = `cvy_${'bench-admin-key-0123456789-abcdefghijklmnopq'}`;
const auth = { authorization: `Bearer ${KEY}` };

const redis = await startRedis();
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const env = {
  ...process.env,
  LOG_LEVEL: 'warn',
  REDIS_URL: redis.url,
  REDIS_PREFIX: 'sse',
  PORT: String(port),
  CONVOY_ADMIN_KEY: KEY,
  SSE_MAX_STREAMS_PER_TENANT: '100000',
  RATE_LIMIT_READS_PER_MINUTE: '100000000',
  RATE_LIMIT_WRITES_PER_MINUTE: '100000000',
  TENANT_MAX_ACTIVE_JOBS: '100000',
  TENANT_MAX_RUNNING_JOBS: '100',
};
const children: ChildProcess[] = [];
const start = (script: string, extra: Record<string, string> = {}) => {
  const c = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...env, ...extra }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(c);
  return c;
};

interface Client {
  close(): void;
}

/**
 * Called with each event: its type, data, when it arrived, and how long after Redis appended it
 * (the ms part of its stream id is Redis's clock at XADD; same machine, same clock).
 */
type OnEvent = (type: string, data: string, at: number, latency: number) => void;

/** A minimal SSE client on one socket: resolves once the response headers arrive. */
function connect(path: string, onEvent: OnEvent): Promise<Client> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers: { accept: 'text/event-stream', ...auth } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`${path}: HTTP ${res.statusCode}`));
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk: string) => {
        const at = performance.now() + performance.timeOrigin;
        buf += chunk;
        for (let cut = buf.indexOf('\n\n'); cut >= 0; cut = buf.indexOf('\n\n')) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          let type = 'message';
          let data = '';
          let id = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) type = line.slice(7);
            else if (line.startsWith('data: ')) data = line.slice(6);
            else if (line.startsWith('id: ')) id = line.slice(4);
          }
          if (!block.startsWith(':')) onEvent(type, data, at, id ? at - Number(id.split('-')[0]) : Number.NaN);
        }
      });
      resolve({ close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

async function connectMany(
  n: number,
  path: string,
  onEvent: (i: number, type: string, data: string, at: number, latency: number) => void,
): Promise<Client[]> {
  const clients: Client[] = [];
  for (let i = 0; i < n; i += 100) {
    const batch = Array.from({ length: Math.min(100, n - i) }, (_, k) => connect(path, (t, d, at, l) => onEvent(i + k, t, d, at, l)));
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}

const pct = (xs: number[], p: number) => {
  const s = Float64Array.from(xs).sort(); // typed sort: millions of deliveries
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};
const nowMs = () => performance.now() + performance.timeOrigin;

async function waitFor(ok: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(what);
    await new Promise((r) => setTimeout(r, 20));
  }
}

start('src/server/main.ts');
const conn = new Redis(redis.url);
const store = new JobStore(conn, 'sse');
try {
  await waitFor(async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.ok === true, 30_000, 'API did not start');
  const submit = async () => {
    const samples = Array.from({ length: 8 }, (_, i) => Array.from({ length: 16 }, (_, j) => (i * 7 + j * 3) % 256));
    const body = {
      model: { input: [1, 4, 4], layers: [{ type: 'flatten' }, { type: 'dense', units: 2 }] },
      dataset: { inline: { shape: [1, 4, 4], samples, labels: samples.map((_, i) => i % 2) } },
      training: { epochs: 1, batchSize: 4, optimizer: { type: 'sgd', learningRate: 0.1 } },
    };
    const res = await fetch(`${base}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify(body),
    });
    return ((await res.json()) as { id: string }).id;
  };
  const progress = (step: number) => ({
    type: 'progress' as const,
    data: { epoch: 1, epochs: 1, step, stepsPerEpoch: 100_000, percent: 0, etaSeconds: null, samplesPerSecond: null },
  });
  console.log(
    `host: ${(await import('node:os')).cpus()[0]?.model} x${(await import('node:os')).cpus().length}, ${new Date().toISOString()}`,
  );

  // ---- connect: N clients to a job with 10,000 logged events --------------------------------
  {
    const id = await submit();
    // A long job's log: 10,000 entries appended as the worker's commits would (straight to the stream).
    const pipe = conn.pipeline();
    for (let s = 0; s < 10_000; s++)
      pipe.xadd(store.logs.key({ job: id }), '*', 'type', 'progress', 'data', JSON.stringify(progress(s).data));
    await pipe.exec();
    const firstLive: number[] = new Array(CONNECT).fill(Number.NaN);
    const t0 = nowMs();
    const clients = await connectMany(CONNECT, `/v1/jobs/${id}/events`, (i, type, data, at) => {
      if (type === 'progress' && JSON.parse(data).step === -1 && Number.isNaN(firstLive[i]!)) firstLive[i] = at;
    });
    const lastConnect = nowMs();
    await store.update(id, {}, { event: { ...progress(-1), data: { ...progress(-1).data, step: -1 } } });
    await waitFor(() => firstLive.every((t) => !Number.isNaN(t)), 30_000, 'not every client got the live event').catch((e) =>
      console.log(String(e)),
    );
    const after = firstLive.filter((t) => !Number.isNaN(t)).map((t) => t - lastConnect);
    console.log(`\nconnect: ${CONNECT} clients to a job with 10,000 logged events, in batches of 100: ${(lastConnect - t0).toFixed(0)} ms`);
    console.log(`| clients with the live event | max ms after the last connect | p50 | p99 |`);
    console.log('|---|---|---|---|');
    console.log(
      `| ${after.length}/${CONNECT} | ${Math.max(...after).toFixed(0)} | ${pct(after, 0.5).toFixed(0)} | ${pct(after, 0.99).toFixed(0)} |`,
    );
    for (const c of clients) c.close();
  }

  // ---- fan-out: N clients on one job, 40 events ---------------------------------------------
  {
    const id = await submit();
    const latencies: number[] = [];
    const clients = await connectMany(FANOUT, `/v1/jobs/${id}/events`, (_i, type, _data, _at, latency) => {
      if (type === 'progress') latencies.push(latency);
    });
    await new Promise((r) => setTimeout(r, 1000));
    for (let s = 0; s < 40; s++) {
      await store.update(id, {}, { event: progress(s) });
      await new Promise((r) => setTimeout(r, 100));
    }
    await waitFor(() => latencies.length >= FANOUT * 40, 30_000, 'deliveries missing').catch((e) => console.log(String(e)));
    console.log(`\nfan-out: ${FANOUT} clients on one job, 40 events 100 ms apart (${latencies.length} deliveries)`);
    console.log('| p50 ms | p90 ms | p99 ms | max ms |');
    console.log('|---|---|---|---|');
    console.log(
      `| ${pct(latencies, 0.5).toFixed(1)} | ${pct(latencies, 0.9).toFixed(1)} | ${pct(latencies, 0.99).toFixed(1)} | ${latencies.reduce((a, b) => Math.max(a, b), 0).toFixed(1)} |`,
    );
    for (const c of clients) c.close();
  }

  // ---- dashboards: N clients on GET /v1/events while a worker trains 20 jobs -----------------
  {
    const latencies: number[] = [];
    const clients = await connectMany(DASHBOARDS, '/v1/events', (_i, type, _data, _at, latency) => {
      if (type === 'progress') latencies.push(latency);
    });
    start('workers/main.ts', { WORKER_CONCURRENCY: String(JOBS), POOL_THREADS: '1', PROGRESS_INTERVAL_MS: '250' });
    const samples = Array.from({ length: 256 }, (_, i) => Array.from({ length: 16 }, (_, j) => (i * 7 + j * 3) % 256));
    const body = JSON.stringify({
      model: { input: [1, 4, 4], layers: [{ type: 'flatten' }, { type: 'dense', units: 2 }] },
      dataset: { inline: { shape: [1, 4, 4], samples, labels: samples.map((_, i) => i % 2) } },
      training: { epochs: 200, batchSize: 4, optimizer: { type: 'sgd', learningRate: 0.1 } },
    });
    const ids: string[] = [];
    for (let j = 0; j < JOBS; j++) {
      const res = await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body });
      ids.push(((await res.json()) as { id: string }).id);
    }
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 15_000));
    const first = (await (await fetch(`${base}/v1/jobs/${ids[0]}`, { headers: auth })).json()) as { status: string; progress: unknown };
    for (const id of ids) await fetch(`${base}/v1/jobs/${id}/cancel`, { method: 'POST', headers: auth });
    const perSecond = latencies.length / ((Date.now() - started) / 1000);
    console.log(`\ndashboards: ${DASHBOARDS} clients on GET /v1/events while a worker trains ${JOBS} jobs for 15 s`);
    console.log(`(${latencies.length} progress deliveries, ${perSecond.toFixed(0)}/s; latency from the event's append to Redis)`);
    if (latencies.length === 0) console.log(`no progress delivered; a job: ${JSON.stringify(first)}`);
    console.log('| p50 ms | p90 ms | p99 ms | max ms |');
    console.log('|---|---|---|---|');
    console.log(
      `| ${pct(latencies, 0.5).toFixed(1)} | ${pct(latencies, 0.9).toFixed(1)} | ${pct(latencies, 0.99).toFixed(1)} | ${latencies.reduce((a, b) => Math.max(a, b), 0).toFixed(1)} |`,
    );
    for (const c of clients) c.close();
  }
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  conn.disconnect();
  await new Promise((r) => setTimeout(r, 1000));
  await redis.stop();
}
