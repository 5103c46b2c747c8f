// Benchmark: the API's submit latency at fixed request rates (open loop), and the time from submit
// to the first `progress` event and to `completed` for a 64-sample inline job with a real worker.
// Run: npm run bench:api [-- --rates 100,300 --seconds 10 --baseline /path/to/older/checkout]
// Starts a private redis-server, API processes (`src/server/main.ts`) and a worker (`workers/main.ts`)
// as child processes (tsx), so the load generator never shares the API's event loop.
//
// What authentication costs: the same load goes, rate by rate and in turn, to an API called with
// the admin key (compared in memory) and one called with a member key (looked up in Redis, plus the
// rate limiter's Redis counter); with --baseline, also to the API of another checkout (one from
// before API keys existed: no key at all), so the three are measured in the same sitting.
import { spawn, type ChildProcess } from 'node:child_process';
import { startRedis, freePort } from '../test/helpers/redis-server.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const rates = arg('rates', '100,300,100,300').split(',').map(Number);
const seconds = Number(arg('seconds', '10'));

const baseline = process.argv.includes('--baseline') ? arg('baseline', '') : undefined;

function start(script: string, env: Record<string, string>, cwd = process.cwd()): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script], {
    cwd,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function waitFor(url: string, status = 200): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(url)).status === status) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer ${status}`);
}

const tiny = (() => {
  const samples = Array.from({ length: 8 }, (_, i) => Array.from({ length: 16 }, (_, j) => (i * 7 + j * 3) % 256));
  return JSON.stringify({
    model: { input: [1, 4, 4], layers: [{ type: 'flatten' }, { type: 'dense', units: 2 }] },
    dataset: { inline: { shape: [1, 4, 4], samples, labels: samples.map((_, i) => i % 2) } },
    training: { epochs: 1, batchSize: 4, optimizer: { type: 'sgd', learningRate: 0.1 } },
  });
})();

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

async function openLoop(url: string, rate: number, secs: number, body: string, auth: Record<string, string>) {
  const lat: number[] = [];
  let errors = 0;
  const total = Math.round(rate * secs);
  const t0 = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const s = performance.now();
    inflight.push(
      fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...auth } })
        .then(async (r) => {
          await r.arrayBuffer();
          if (r.status !== 202) errors++;
          lat.push(performance.now() - s);
        })
        .catch(() => void errors++),
    );
  }
  await Promise.all(inflight);
  lat.sort((a, b) => a - b);
  return { rate, achieved: total / ((performance.now() - t0) / 1000), p50: pct(lat, 0.5), p90: pct(lat, 0.9), p99: pct(lat, 0.99), errors };
}

const redis = await startRedis();
const ADMIN_KEY = `cvy_${'bench-admin-key-0123456789-abcdefghijklmnopq'}`;
// No quota or rate limit may shape the load: only what checking them costs is measured.
const unlimited = { TENANT_MAX_ACTIVE_JOBS: '100000000', RATE_LIMIT_WRITES_PER_MINUTE: '100000000', CONVOY_ADMIN_KEY: ADMIN_KEY };
const children: ChildProcess[] = [];

interface Target {
  name: string;
  base: string;
  auth: Record<string, string>;
}

async function startApi(name: string, prefix: string, cwd?: string): Promise<{ base: string; proc: ChildProcess }> {
  const port = await freePort();
  const proc = start('src/server/main.ts', { REDIS_URL: redis.url, PORT: String(port), REDIS_PREFIX: prefix, ...unlimited }, cwd);
  children.push(proc);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/healthz`).catch((err) => {
    throw new Error(`${name}: ${(err as Error).message}`);
  });
  return { base, proc };
}

const base = (await startApi('keys', 'bench')).base;
const admin = { authorization: `Bearer ${ADMIN_KEY}` };
try {
  const member = (await (
    await fetch(`${base}/v1/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...admin },
      body: '{"tenant":"bench","name":"bench"}',
    })
  ).json()) as { key: string };
  const targets: Target[] = [
    { name: 'admin key (in memory)', base, auth: admin },
    { name: 'member key (Redis)', base, auth: { authorization: `Bearer ${member.key}` } },
  ];
  if (baseline)
    targets.unshift({ name: `no keys (${baseline})`, base: (await startApi('baseline', 'bench-base', baseline)).base, auth: {} });
  for (const target of targets) await openLoop(`${target.base}/v1/jobs`, 100, 5, tiny, target.auth); // warm-up (JIT, connection pool)
  console.log(`submit latency, POST /v1/jobs (${tiny.length}-byte body), API processes alone, open loop ${seconds} s per rate and target`);
  console.log('| target req/s | caller | achieved | p50 ms | p90 ms | p99 ms | errors |');
  console.log('|---|---|---|---|---|---|---|');
  for (const rate of rates) {
    for (const target of targets) {
      const r = await openLoop(`${target.base}/v1/jobs`, rate, seconds, tiny, target.auth);
      console.log(
        `| ${rate} | ${target.name} | ${r.achieved.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p90.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} |`,
      );
    }
  }

  // With a worker: submit -> first progress event -> completed, over SSE.
  // (the queue is full of the load's jobs: use another prefix)
  for (const c of children) c.kill('SIGTERM');
  const port2 = await freePort();
  const base2 = `http://127.0.0.1:${port2}`;
  const env2 = { REDIS_URL: redis.url, PORT: String(port2), REDIS_PREFIX: 'bench2', POOL_THREADS: '1', ...unlimited };
  children.push(start('src/server/main.ts', env2), start('workers/main.ts', env2));
  await waitFor(`${base2}/readyz`);
  const samples = Array.from({ length: 64 }, (_, i) => Array.from({ length: 784 }, (_, j) => (i * 31 + j * 7) % 256));
  const job = JSON.stringify({
    model: { preset: 'lenet5' },
    dataset: { inline: { shape: [1, 28, 28], samples, labels: samples.map((_, i) => i % 10) } },
    training: { epochs: 1, batchSize: 16, optimizer: { type: 'adam', learningRate: 0.001 } },
  });
  const rows: { submit: number; progress: number; completed: number }[] = [];
  for (let r = 0; r < 6; r++) {
    const t0 = performance.now();
    const { id } = (await (
      await fetch(`${base2}/v1/jobs`, { method: 'POST', body: job, headers: { 'content-type': 'application/json', ...admin } })
    ).json()) as { id: string };
    const submit = performance.now() - t0;
    const res = await fetch(`${base2}/v1/jobs/${id}/events`, { headers: admin });
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    let progress = NaN;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      if (Number.isNaN(progress) && buf.includes('event: progress')) progress = performance.now() - t0;
    }
    if (r > 0) rows.push({ submit, progress, completed: performance.now() - t0 }); // first run warms the worker
  }
  const med = (k: keyof (typeof rows)[0]) => rows.map((x) => x[k]).sort((a, b) => a - b)[rows.length >> 1]!;
  console.log('\nlenet5, 64 inline samples, batch 16, 1 epoch, one worker with 1 thread (median of 5)');
  console.log(`| submit ms | submit -> first progress event ms | submit -> completed ms |`);
  console.log('|---|---|---|');
  console.log(`| ${med('submit').toFixed(1)} | ${med('progress').toFixed(1)} | ${med('completed').toFixed(1)} |`);
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  await redis.stop();
}
