// Benchmark: does a large dataset upload stall the API's event loop? (issue 12: /healthz p99 under
// 50 ms during a 256 MiB upload). Each round uploads an uncompressed IDX pair (1x28x28 images,
// multipart/form-data, the whole body just under DATASET_MAX_BYTES's 256 MiB default) to
// POST /v1/datasets while GET /healthz is sent every 10 ms, and compares those answers' latency
// with the same polling at idle; then deletes the dataset (the tenant's 1 GiB stays free).
// Run: npm run build && npm run bench:upload [-- --rounds 3 --mib 256 --idle-seconds 3]
// (the build gives dist/src/server/upload-thread.js, the parser thread the API starts under tsx.)
//
// A private redis-server and the API (`src/server/main.ts` under tsx) run as child processes, so
// the bench's own loop (the poller, the upload's socket writes) never shares the API's. Polling is
// open loop: a request leaves every 10 ms whether or not the previous one was answered (its own
// keep-alive connections), so one long stall shows as many slow answers, not one.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { randomFillSync } from 'node:crypto';
import { startRedis, freePort } from '../test/helpers/redis-server.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const rounds = Number(arg('rounds', process.env.BENCH_ROUNDS ?? '3'));
const mib = Number(arg('mib', process.env.BENCH_UPLOAD_MIB ?? '256'));
const idleSeconds = Number(arg('idle-seconds', process.env.BENCH_IDLE_SECONDS ?? '3'));
const POLL_MS = 10;

if (!existsSync('dist/src/server/upload-thread.js')) {
  console.error('dist/src/server/upload-thread.js is missing: run `npm run build` first');
  process.exit(1);
}

const ADMIN_KEY = `cvy_${'bench-admin-key-0123456789-abcdefghijklmnopq'}`;
const auth = { authorization: `Bearer ${ADMIN_KEY}` };

/** The multipart body of an IDX upload: `images` (n x 28 x 28, u8) and `labels` (n, u8), in parts. */
function idxUpload(maxBodyBytes: number): { parts: Buffer[]; bytes: number; boundary: string; count: number } {
  const boundary = `convoy-bench-${Date.now()}`;
  const head = (field: string) =>
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${field}.idx"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const overhead = head('images').length + head('labels').length + 2 + tail.length + 16 + 8;
  const count = Math.floor((maxBodyBytes - overhead) / (28 * 28 + 1));
  const images = Buffer.allocUnsafe(16 + count * 784);
  images.writeUInt32BE(0x00000803, 0);
  images.writeUInt32BE(count, 4);
  images.writeUInt32BE(28, 8);
  images.writeUInt32BE(28, 12);
  randomFillSync(images, 16);
  const labels = Buffer.allocUnsafe(8 + count);
  labels.writeUInt32BE(0x00000801, 0);
  labels.writeUInt32BE(count, 4);
  for (let i = 0; i < count; i++) labels[8 + i] = i % 10;
  const parts = [head('images'), images, Buffer.from('\r\n'), head('labels'), labels, tail];
  return { parts, bytes: parts.reduce((s, p) => s + p.length, 0), boundary, count };
}

/**
 * The stalls a phase's slow polls show: polls that left within STALL_MS of each other and were all
 * answered late waited on the same blocked loop; each stall as "<first poll's send time>+<longest wait>".
 */
function stalls(slow: Slow[]): string {
  const groups: Slow[][] = [];
  for (const s of slow) {
    const last = groups.at(-1);
    if (last && s.at - last.at(-1)!.at <= STALL_MS) last.push(s);
    else groups.push([s]);
  }
  return groups.map((g) => `${g[0]!.at.toFixed(0)}+${Math.max(...g.map((s) => s.ms)).toFixed(0)}`).join(' ');
}

/** POSTs the body with plain node:http (no client-side encoding work); the answer's status and body. */
function upload(base: string, body: ReturnType<typeof idxUpload>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}/v1/datasets?name=bench-upload`,
      {
        method: 'POST',
        headers: {
          ...auth,
          'content-type': `multipart/form-data; boundary=${body.boundary}`,
          'content-length': String(body.bytes),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    for (const part of body.parts) req.write(part);
    req.end();
  });
}

const pollAgent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

/** A poll answered later than STALL_MS: when it left (ms after the phase began) and how long it took. */
interface Slow {
  at: number;
  ms: number;
}
const STALL_MS = 50;

function healthz(base: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/healthz`, { agent: pollAgent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`healthz ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends GET /healthz every POLL_MS until `until` settles; the latencies (ms) of those sent before it did. */
async function pollWhile(base: string, until: Promise<unknown>): Promise<{ latencies: number[]; errors: number; slow: Slow[] }> {
  let done = false;
  void until.then(
    () => (done = true),
    () => (done = true),
  );
  const inflight: Promise<void>[] = [];
  const latencies: number[] = [];
  const slow: Slow[] = [];
  let errors = 0;
  const t0 = performance.now();
  for (let i = 0; !done; i++) {
    const at = performance.now() - t0;
    inflight.push(
      healthz(base).then(
        (ms) => {
          latencies.push(ms);
          if (ms > STALL_MS) slow.push({ at, ms });
        },
        () => void errors++,
      ),
    );
    const wait = t0 + (i + 1) * POLL_MS - performance.now();
    await new Promise((r) => setTimeout(r, Math.max(0, wait)));
  }
  await Promise.all(inflight);
  return { latencies, errors, slow: slow.sort((a, b) => a.at - b.at) };
}

interface Stats {
  n: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
}

function stats({ latencies, errors }: { latencies: number[]; errors: number }): Stats {
  const xs = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? Number.NaN;
  return { n: xs.length, p50: at(0.5), p99: at(0.99), max: xs[xs.length - 1] ?? Number.NaN, errors };
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 200`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const ms = (x: number) => x.toFixed(1);

const redis = await startRedis();
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const maxBytes = mib * 1024 * 1024;
const api: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
  env: {
    ...process.env,
    LOG_LEVEL: 'warn',
    REDIS_URL: redis.url,
    PORT: String(port),
    REDIS_PREFIX: 'bench-upload',
    CONVOY_ADMIN_KEY: ADMIN_KEY,
    DATASET_MAX_BYTES: String(maxBytes),
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});

interface Round {
  idle: Stats;
  during: Stats;
  stalls: string;
  uploadMs: number;
  status: number;
}

try {
  await waitFor(`${base}/healthz`);
  const body = idxUpload(maxBytes);
  console.log(
    `upload: multipart IDX pair, ${body.count} images 1x28x28 + labels, body ${body.bytes} bytes (${(body.bytes / 2 ** 20).toFixed(1)} MiB), ` +
      `DATASET_MAX_BYTES ${maxBytes}; GET /healthz every ${POLL_MS} ms (open loop), idle ${idleSeconds} s before each upload`,
  );
  for (let i = 0; i < 20; i++) await healthz(base); // warm-up: JIT, the poller's connections
  const results: Round[] = [];
  for (let r = 0; r < rounds; r++) {
    const idle = stats(await pollWhile(base, new Promise((res) => setTimeout(res, idleSeconds * 1000))));
    const t0 = performance.now();
    const answer = upload(base, body);
    const polled = await pollWhile(base, answer);
    const during = stats(polled);
    const { status, body: text } = await answer;
    const uploadMs = performance.now() - t0;
    results.push({ idle, during, stalls: stalls(polled.slow), uploadMs, status });
    if (status === 201) {
      const { id } = JSON.parse(text) as { id: string };
      const del = await fetch(`${base}/v1/datasets/${id}`, { method: 'DELETE', headers: auth });
      if (del.status !== 204) throw new Error(`DELETE /v1/datasets/${id}: ${del.status}`);
    } else {
      console.error(`round ${r + 1}: upload answered ${status}: ${text.slice(0, 500)}`);
    }
  }

  console.log('\n| round | phase | polls | p50 ms | p99 ms | max ms | poll errors | upload ms | upload status |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  const row = (label: string, phase: string, s: Stats, upload = '', status = '') =>
    console.log(`| ${label} | ${phase} | ${s.n} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} | ${s.errors} | ${upload} | ${status} |`);
  results.forEach((x, i) => {
    row(String(i + 1), 'idle', x.idle);
    row(String(i + 1), 'during upload', x.during, ms(x.uploadMs), String(x.status));
  });
  const med = (pick: (x: Round) => Stats, k: keyof Stats) => median(results.map((x) => pick(x)[k]));
  const medRow = (phase: string, pick: (x: Round) => Stats, upload = '', status = '') =>
    console.log(
      `| median of ${results.length} | ${phase} | ${med(pick, 'n')} | ${ms(med(pick, 'p50'))} | ${ms(med(pick, 'p99'))} | ${ms(med(pick, 'max'))} | ${med(pick, 'errors')} | ${upload} | ${status} |`,
    );
  medRow('idle', (x) => x.idle);
  medRow(
    'during upload',
    (x) => x.during,
    ms(median(results.map((x) => x.uploadMs))),
    [...new Set(results.map((x) => x.status))].join(', '),
  );
  console.log(
    `\nstalls during the upload (polls answered after more than ${STALL_MS} ms; "sent at+longest answer", ms after the upload began):`,
  );
  for (const [i, x] of results.entries()) console.log(`round ${i + 1} (upload ${ms(x.uploadMs)} ms): ${x.stalls || 'none'}`);
} finally {
  pollAgent.destroy();
  if (api.exitCode === null) {
    const exited = new Promise((r) => api.once('exit', r));
    api.kill('SIGTERM');
    await exited;
  }
  await redis.stop();
}
