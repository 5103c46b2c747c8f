// Measure: the Redis bytes a finished job keeps (issue 12). Runs a real API and worker (child
// processes, tsx) on a private redis-server, runs a tiny inline job and a fashion-cnn job one after
// the other, and sums MEMORY USAGE (SAMPLES 0: exact) over every key of the deployment's prefix
// before each job and once it has finished: the difference is what that job left behind (its
// document, event log, weights, its share of the tenant's event stream and of BullMQ's keys, and,
// since lean reads, its stored inline dataset), with the job's own keys listed.
// Run: npm run bench:job-bytes [-- --baseline /path/to/older/checkout]  (the baseline is measured
// with the same jobs, its own API and worker, on the same redis-server under another prefix)
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort, startRedis } from '../test/helpers/redis-server.js';

const ADMIN_KEY = `cvy_${'bench-admin-key-0123456789-abcdefghijklmnopq'}`;
const auth = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

const JOBS = {
  tiny: (() => {
    const samples = Array.from({ length: 8 }, (_, i) => Array.from({ length: 16 }, (_, j) => (i * 7 + j * 3) % 256));
    return {
      model: { input: [1, 4, 4], layers: [{ type: 'flatten' }, { type: 'dense', units: 2 }] },
      dataset: { inline: { shape: [1, 4, 4], samples, labels: samples.map((_, i) => i % 2) } },
      training: { epochs: 1, batchSize: 4, optimizer: { type: 'sgd', learningRate: 0.1 } },
    };
  })(),
  // 77,702 parameters: 311 KB of weights, between the old inline limit (4 MiB) and the new (256 KiB).
  'dense-311k': (() => {
    const samples = Array.from({ length: 16 }, (_, i) => Array.from({ length: 256 }, (_, j) => (i * 7 + j * 3) % 256));
    return {
      model: {
        input: [1, 16, 16],
        layers: [{ type: 'flatten' }, { type: 'dense', units: 300 }, { type: 'relu' }, { type: 'dense', units: 2 }],
      },
      dataset: { inline: { shape: [1, 16, 16], samples, labels: samples.map((_, i) => i % 2) } },
      training: { epochs: 1, batchSize: 8, optimizer: { type: 'sgd', learningRate: 0.01 } },
    };
  })(),
  'fashion-cnn': {
    model: { preset: 'fashion-cnn' },
    dataset: { builtin: 'fashion-mnist', trainSize: 512, testSize: 128 },
    training: { epochs: 2, batchSize: 64, optimizer: { type: 'adam', learningRate: 0.001 } },
  },
};

function start(cwd: string, script: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script], {
    cwd,
    env: { ...process.env, LOG_LEVEL: 'warn', CONVOY_ADMIN_KEY: ADMIN_KEY, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 300_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(200);
  }
}

async function prefixBytes(redis: Redis, prefix: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const bytes = (await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) as number | null;
      if (bytes !== null) sizes.set(key, bytes);
    }
  } while (cursor !== '0');
  return sizes;
}

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

async function measure(label: string, cwd: string, redisUrl: string, prefix: string): Promise<void> {
  const port = await freePort();
  const env = { REDIS_URL: redisUrl, REDIS_PREFIX: prefix, PORT: String(port), POOL_THREADS: '2', SWEEP_INTERVAL_MS: '0' };
  const api = start(cwd, 'src/server/main.ts', env);
  const worker = start(cwd, 'workers/main.ts', env);
  const base = `http://127.0.0.1:${port}`;
  const redis = new Redis(redisUrl);
  try {
    await until('api up', async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined), 60_000);
    for (const [name, body] of Object.entries(JOBS)) {
      await sleep(500); // the worker idle, its heartbeat written
      const before = await prefixBytes(redis, prefix);
      const res = await fetch(`${base}/v1/jobs`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
      if (res.status !== 202) throw new Error(`${label} ${name}: submit answered ${res.status} ${await res.text()}`);
      const { id } = (await res.json()) as { id: string };
      const doc = await until(`${name} finished`, async () => {
        const d = (await (await fetch(`${base}/v1/jobs/${id}`, { headers: auth })).json()) as { status: string };
        return ['succeeded', 'failed', 'cancelled'].includes(d.status) ? d : undefined;
      });
      await sleep(1000); // BullMQ's completion and removeOnComplete
      const after = await prefixBytes(redis, prefix);
      const own = [...after].filter(([k]) => k.includes(id) && !k.includes('heartbeat'));
      const ttl = await redis.ttl(`${prefix}:job:${id}`);
      const dataset = [...after].filter(([k]) => k.includes(':dataset:') && !before.has(k));
      console.log(
        `${label.padEnd(9)} ${name.padEnd(12)} ${doc.status.padEnd(10)} added ${String(total(after) - total(before)).padStart(9)} B, ttl ${ttl < 0 ? 'none' : `${ttl} s`}` +
          ` | own keys ${own.map(([k, b]) => `${k.slice(prefix.length + 1).replace(id, '{id}')}=${b}`).join(' ')}` +
          (dataset.length ? ` | new dataset keys ${dataset.map(([k, b]) => `${k.slice(prefix.length + 1)}=${b}`).join(' ')}` : ''),
      );
    }
  } finally {
    redis.disconnect();
    api.kill('SIGTERM');
    worker.kill('SIGTERM');
    await sleep(1000);
  }
}

const server = await startRedis();
try {
  const baseline = arg('baseline');
  if (baseline) await measure('baseline', baseline, server.url, 'before');
  await measure('this', process.cwd(), server.url, 'after');
} finally {
  await server.stop();
}
