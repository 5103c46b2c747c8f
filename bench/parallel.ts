// `npm run bench:parallel`: data-parallel training on the worker's Piscina pool, 1 vs 2 threads.
//
// Runs the real worker (workers/worker.ts: BullMQ, Redis, pool, dist/workers/thread.js; run
// `npm run build` first) in this process against a private redis-server, and trains M2
// `fashion-cnn` (batch 64, Adam 1e-3) on a Fashion-MNIST subset with 1 and 2 threads in
// alternation, `rounds` times each, each round after a short warm-up job (JIT, threads, dataset
// cache). Per configuration it prints the median images/s over the rounds and where a step's time
// goes, from the worker's own per-epoch timing (workers/step-timing.ts):
//   images/s   64 / the job's mean step: throughput, what a user's epoch takes
//   typical    64 / the job's median step: the same without the few steps a neighbour's burst on
//              this shared host stretched (p90 step shows how many there were)
//   fwd/bwd    forward/backward on the critical path (the busiest thread's shards)
//   imbalance  of which: the busiest thread's excess over a perfect spread
//   optimizer  summing the shards' gradients and Adam, on the critical path: what the threads did
//              not hide behind the slowest shard's backward pass (workers/step-sync.ts); in
//              brackets the work itself, all threads together
//   overhead   everything else: posting and collecting tasks, waking threads, Redis; as a share
//              of the step
// The speed-up is the median over rounds of each round's ratio to the first thread count (the two
// measured back to back, so a noisy minute on this shared machine hits both); every round's ratio
// is printed too.
// PyTorch row: when `python3 -c "import torch"` works (bench/torch-peer.ts), every round also trains
// fashion-cnn at batch 64 with Adam in PyTorch with the same thread counts (torch.set_num_threads(t),
// OpenBLAS with one thread) for --torch-seconds (10), right after Convoy's jobs, and the table ends
// with Convoy / PyTorch per thread count (median of the per-round ratios). --torch=0 skips it.
// Options (flag or env): --rounds=3 (BENCH_ROUNDS), --samples=3840 (BENCH_SAMPLES),
// --threads=1,2 (BENCH_THREADS), --shard=<training.microShardSize> (BENCH_SHARD; default: the
// contract's default; a list, e.g. 16,32, compares micro-shard sizes in alternation).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { DEFAULT_MICRO_SHARD_SIZE, TRAIN_JOB_NAME, TRAIN_QUEUE, type JobSpec } from '../src/contracts/index.js';
import { presetSpec } from '../src/engine/presets.js';
import { resolveRedis } from '../src/redis-bootstrap.js';
import { connectRedis, JobStore, queuedJobDocument } from '../src/store/index.js';
import type { StepTimingSummary as Timing } from '../workers/step-timing.js';
import { ConvoyWorker } from '../workers/worker.js';
import { TorchPeer, torchAvailable } from './torch-peer.js';

function option(name: string, env: string, fallback: string): string {
  const flag = process.argv.find((a) => a.startsWith(`--${name}=`));
  return flag ? flag.slice(name.length + 3) : (process.env[env] ?? fallback);
}
const rounds = Number(option('rounds', 'BENCH_ROUNDS', '3'));
const samples = Number(option('samples', 'BENCH_SAMPLES', '3840'));
const WARM_UP_SAMPLES = 320;
const threadCounts = option('threads', 'BENCH_THREADS', '1,2').split(',').map(Number);
const shards = option('shard', 'BENCH_SHARD', String(DEFAULT_MICRO_SHARD_SIZE)).split(',').map(Number);
const torchSeconds = Number(option('torch-seconds', 'BENCH_TORCH_SECONDS', '10'));
const torchWanted = option('torch', 'BENCH_TORCH', '1') !== '0';
const torchInfo = torchWanted ? torchAvailable() : { version: null, reason: 'skipped (--torch=0)' };
console.error(torchInfo.version ? `PyTorch ${torchInfo.version} alongside` : `PyTorch ABSENT, not measured: ${torchInfo.reason}`);
const torchPeers = new Map<number, TorchPeer>();
if (torchInfo.version) {
  for (const t of threadCounts) {
    const peer = await TorchPeer.start('fashion-cnn', 64, t);
    await peer.train(2); // warm-up
    torchPeers.set(t, peer);
  }
}
const torchSps = new Map<number, number[]>(threadCounts.map((t) => [t, []]));

const dir = mkdtempSync(join(tmpdir(), 'convoy-bench-'));
const quiet = pino({ level: 'silent' });
const redisInfo = await resolveRedis({
  url: process.env.REDIS_URL,
  localUrl: 'redis://127.0.0.1:1',
  dataDir: join(dir, 'redis'),
  log: quiet,
});
const redis = connectRedis(redisInfo.url, 'bench');

const jobSpec = (trainSize: number, shard: number): JobSpec =>
  ({
    model: presetSpec('fashion-cnn'),
    dataset: { builtin: 'fashion-mnist', trainSize, testSize: 0 },
    training: { epochs: 1, batchSize: 64, optimizer: { type: 'adam', learningRate: 1e-3 }, seed: 1, microShardSize: shard },
  }) as JobSpec;

let jobNo = 0;
async function runJob(store: JobStore, timings: Timing[], trainSize: number, shard: number): Promise<{ sps: number }> {
  const id = `bench-${jobNo++}`;
  const spec = jobSpec(trainSize, shard);
  const doc = queuedJobDocument(id, spec, Math.ceil(trainSize / 64));
  await store.create(doc);
  const queue = new Queue(TRAIN_QUEUE, { connection: redis, prefix: store.keys.prefix });
  await queue.add(TRAIN_JOB_NAME, { id }, { jobId: id, removeOnComplete: true });
  await queue.close();
  const before = timings.length;
  for (;;) {
    const d = await store.get(id);
    if (d && ['succeeded', 'failed', 'cancelled'].includes(d.status)) {
      if (d.status !== 'succeeded') throw new Error(`bench job ${d.status}: ${JSON.stringify(d.error)}`);
      return { sps: (64 * 1000) / timings[before]!.stepMs };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const configs = shards.flatMap((shard) =>
  threadCounts.map((threads) => ({ shard, threads, sps: [] as number[], typical: [] as number[], timing: [] as Timing[] })),
);

for (let round = 0; round <= rounds; round++) {
  for (const c of configs) {
    const timings: Timing[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString().split('\n')) {
          if (line.includes('"epoch done"')) timings.push((JSON.parse(line) as { timing: Timing }).timing);
        }
        cb();
      },
    });
    const prefix = `bench-${c.shard}-${c.threads}-${round}`;
    const config = loadConfig({ POOL_THREADS: String(c.threads), CHECKPOINT_EVERY_SECONDS: '0', WORKER_CONCURRENCY: '1' });
    const worker = new ConvoyWorker({
      redisUrl: redisInfo.url,
      prefix,
      config: config.worker,
      weightsInlineMaxBytes: 0,
      log: pino({ level: 'info' }, sink),
    });
    await worker.start();
    const store = new JobStore(redis, prefix);
    await runJob(store, timings, WARM_UP_SAMPLES, c.shard); // warm-up: JIT, thread start, dataset cache
    if (round > 0) {
      const r = await runJob(store, timings, samples, c.shard);
      const t = timings.at(-1)!;
      c.sps.push(r.sps);
      c.typical.push((64 * 1000) / t.stepMsP50);
      c.timing.push(t);
      console.error(
        `round ${round} shards of ${c.shard}, threads ${c.threads}: ${r.sps.toFixed(1)} images/s, typical ${c.typical.at(-1)!.toFixed(1)}`,
      );
    }
    await worker.close();
  }
  if (round > 0) {
    for (const [t, peer] of torchPeers) {
      const ips = (await peer.train(torchSeconds)).imagesPerSecond;
      torchSps.get(t)!.push(ips);
      console.error(`round ${round} PyTorch, threads ${t}: ${ips.toFixed(1)} images/s`);
    }
  }
}

console.log(`\nfashion-cnn, batch 64, ${samples} samples per job, median of ${rounds} rounds (ms per step)`);
console.log(
  'shard | threads | images/s | speed-up | typical images/s | speed-up | step | p50 | p90 | fwd/bwd | imbalance | optimizer | overhead | speed-up per round',
);
for (const c of configs) {
  const base = configs.find((b) => b.shard === c.shard)!;
  const ratios = c.sps.map((sps, i) => sps / base.sps[i]!);
  const typicalRatios = c.typical.map((sps, i) => sps / base.typical[i]!);
  const sps = median(c.sps);
  const t = c.timing[c.sps.indexOf(sps)]!;
  const ms = (v: number) => v.toFixed(1);
  const x = (r: number) => `${r.toFixed(2)}x`;
  const row = [c.shard, c.threads, sps.toFixed(1), x(median(ratios)), median(c.typical).toFixed(1), x(median(typicalRatios))];
  row.push(
    ms(t.stepMs),
    ms(t.stepMsP50),
    ms(t.stepMsP90),
    ms(t.engineMs),
    ms(t.engineMs - t.engineMeanMs),
    `${ms(t.optimizerMs)} (${ms(t.optimizerWorkMs)})`,
  );
  console.log([...row, `${ms(t.overheadMs)} (${(t.overhead * 100).toFixed(1)}%)`, ratios.map((r) => r.toFixed(2)).join(' ')].join(' | '));
}
if (torchPeers.size > 0) {
  console.log('\nConvoy / PyTorch (same rounds; PyTorch: torch.set_num_threads(t), OpenBLAS 1 thread)');
  console.log('shard | threads | Convoy images/s | PyTorch images/s | ratio (median per round) | per round');
  for (const c of configs) {
    const torch = torchSps.get(c.threads)!;
    const ratios = c.sps.map((sps, i) => sps / torch[i]!);
    const row = [c.shard, c.threads, median(c.sps).toFixed(1), median(torch).toFixed(1), `${median(ratios).toFixed(2)}x`];
    console.log([...row, ratios.map((r) => r.toFixed(2)).join(' ')].join(' | '));
  }
  for (const peer of torchPeers.values()) peer.close();
}
await redis.quit();
await redisInfo.stop();
rmSync(dir, { recursive: true, force: true });
