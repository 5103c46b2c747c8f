// `npm run bench:contention`: how much two busy cores slow the engine down, without the pool.
//
// Two worker threads each hold their own `fashion-cnn` model and compute micro-shards of 32 images
// (computeGradients, as a pool thread does). Each round times thread A alone for a few shards, then
// A and B together, back to back, so a noisy moment on this shared host hits both. It prints the
// median per-shard time alone and together, and each round's ratio: the part of bench:parallel's
// two-thread shortfall that the engine and the host cause, with no pool, queue or barrier involved.
// Needs `npm run build` first (the threads load dist/). Options: --rounds=12 --shards=4 --n=32.
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

function option(name: string, fallback: number): number {
  const flag = process.argv.find((a) => a.startsWith(`--${name}=`));
  return flag ? Number(flag.slice(name.length + 3)) : fallback;
}
const rounds = option('rounds', 12);
const shards = option('shards', 4);
const n = option('n', 32);
const engine = pathToFileURL(resolve('dist/src/engine/index.js')).href;

// The thread: build a model, answer each message k with the mean ms of k shards.
const threadCode = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.engine).then((e) => {
  const model = e.createModel(e.presetSpec('fashion-cnn'), { seed: 1 });
  const n = workerData.n;
  const x = new Float32Array(n * model.inputSize).map((_, i) => ((i * 7919) % 255) / 255);
  const labels = Int32Array.from({ length: n }, (_, i) => i % model.classes);
  model.bindGrads(new Float32Array(new SharedArrayBuffer(model.paramCount * 4)));
  const shard = () => model.computeGradients({ x, labels, n, scale: 1 / 64, accumulate: false });
  shard(); shard();
  parentPort.on('message', (k) => {
    const t0 = performance.now();
    for (let i = 0; i < k; i++) shard();
    parentPort.postMessage((performance.now() - t0) / k);
  });
  parentPort.postMessage('ready');
});`;

function start(): Promise<Worker> {
  return new Promise((ok) => {
    const w = new Worker(threadCode, { eval: true, workerData: { engine, n } });
    w.once('message', () => ok(w));
  });
}
const time = (w: Worker) =>
  new Promise<number>((ok) => {
    w.once('message', ok);
    w.postMessage(shards);
  });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const [a, b] = await Promise.all([start(), start()]);
const alone: number[] = [];
const together: number[] = [];
for (let r = 0; r < rounds; r++) {
  alone.push(await time(a));
  const [ta, tb] = await Promise.all([time(a), time(b)]);
  together.push((ta + tb) / 2);
}
const ratios = together.map((t, i) => t / alone[i]!);
console.log(`fashion-cnn, shards of ${n}, ${shards} shards per measurement, ${rounds} rounds`);
console.log('| one thread alone, ms/shard | two threads together, ms/shard | slowdown (median of rounds) | per round |');
console.log('|---|---|---|---|');
console.log(
  `| ${median(alone).toFixed(1)} | ${median(together).toFixed(1)} | ${((median(ratios) - 1) * 100).toFixed(1)}% | ${ratios.map((x) => x.toFixed(2)).join(' ')} |`,
);
await Promise.all([a.terminate(), b.terminate()]);
