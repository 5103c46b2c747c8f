// `npm run bench:engine`: training throughput of the Convoy engine against TensorFlow.js, one thread.
//
// Trains M1 `lenet5` and M2 `fashion-cnn` (batch 64, Adam lr 1e-3, softmax cross-entropy) with
//   - Convoy (src/engine: WebAssembly SIMD kernels; relaxed SIMD when node runs with
//     --experimental-wasm-relaxed-simd, see `npm run bench:engine:relaxed`)
//   - @tensorflow/tfjs-backend-wasm 4.22, one thread (plus our Conv2DBackpropFilter, see tfjs-models.ts)
//   - the tfjs cpu backend (M1 only: it needs minutes per M2 round)
// in alternation within one process: a warm-up, then `rounds` rounds in which every contender
// trains for `seconds`; the median images/s over the rounds is reported. Achieved GFLOP/s counts a
// training step as 3x the forward FLOPs of describe(). Images per CPU-second (process CPU time)
// are printed too: on a shared, loaded machine they vary less than wall-clock rates. Peak RSS of Convoy training M2 alone is
// measured in a child process (tfjs shares this one).
//
// The data is a fixed synthetic batch (uniform pixels in [0, 1), labels 0..9): throughput does not
// depend on the pixel values.
//
// Options (flag or env): --seconds=10 (BENCH_SECONDS), --rounds=3 (BENCH_ROUNDS),
// --warmup=2 (BENCH_WARMUP seconds), --models=lenet5,fashion-cnn (BENCH_MODELS),
// --contenders=convoy,tfjs-wasm,tfjs-cpu (BENCH_CONTENDERS), --batch=64 (BENCH_BATCH).
// `--rss-probe=<model>` is the child mode that reports Convoy's peak RSS.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { computeGradients, createModel, describe, presetSpec, type PresetName } from '../src/engine/index.js';
import { kernelVariant } from '../src/engine/kernels/index.js';
import { createOptimizer } from '../src/engine/optim/index.js';
import type { TfBackend } from './tfjs-models.js';

type Contender = 'convoy' | 'tfjs-wasm' | 'tfjs-cpu';

function option(name: string, env: string, fallback: string): string {
  const flag = process.argv.find((a) => a.startsWith(`--${name}=`));
  return flag ? flag.slice(name.length + 3) : (process.env[env] ?? fallback);
}

const seconds = Number(option('seconds', 'BENCH_SECONDS', '10'));
const rounds = Number(option('rounds', 'BENCH_ROUNDS', '3'));
const warmup = Number(option('warmup', 'BENCH_WARMUP', '2'));
const batch = Number(option('batch', 'BENCH_BATCH', '64'));
const models = option('models', 'BENCH_MODELS', 'lenet5,fashion-cnn').split(',') as PresetName[];
const contenders = option('contenders', 'BENCH_CONTENDERS', 'convoy,tfjs-wasm,tfjs-cpu').split(',') as Contender[];
const learningRate = 1e-3;

function syntheticBatch(n: number): { images: Float32Array; labels: Uint8Array } {
  const images = new Float32Array(n * 784);
  let s = 12345;
  for (let i = 0; i < images.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    images[i] = (s >>> 8) / 16777216;
  }
  const labels = new Uint8Array(n).map((_, i) => i % 10);
  return { images, labels };
}

interface Trainer {
  step(): Promise<number> | number;
}

function convoyTrainer(preset: PresetName, images: Float32Array, labels: Uint8Array): Trainer {
  const model = createModel(presetSpec(preset), { seed: 1 });
  const optimizer = createOptimizer({ type: 'adam' }, model.paramCount);
  return {
    step() {
      const { lossSum } = computeGradients(model, { x: images, labels, n: batch, scale: 1 / batch, accumulate: false });
      optimizer.step(model.weights, model.grads, learningRate);
      return lossSum / batch;
    },
  };
}

interface Timing {
  /** images per wall-clock second */
  imagesPerSecond: number;
  /** images per second of this process's CPU time: steadier than wall time on a shared machine */
  imagesPerCpuSecond: number;
  loss: number;
}

/** Steps until `budget` seconds have passed (at least one step). */
async function timeSteps(trainer: Trainer, budget: number): Promise<Timing> {
  let steps = 0;
  let loss = NaN;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let t = t0;
  do {
    loss = await trainer.step();
    steps++;
    t = performance.now();
  } while (t - t0 < budget * 1000);
  const cpu = process.cpuUsage(cpu0);
  const images = steps * batch;
  return { imagesPerSecond: images / ((t - t0) / 1000), imagesPerCpuSecond: images / ((cpu.user + cpu.system) / 1e6), loss };
}

const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function rssProbe(preset: PresetName): Promise<void> {
  const { images, labels } = syntheticBatch(batch);
  const trainer = convoyTrainer(preset, images, labels);
  await timeSteps(trainer, Math.max(1, seconds / 5));
  console.log(JSON.stringify({ maxRssMB: process.resourceUsage().maxRSS / 1024 }));
}

async function main(): Promise<void> {
  const probe = process.argv.find((a) => a.startsWith('--rss-probe='));
  if (probe) return rssProbe(probe.slice('--rss-probe='.length) as PresetName);

  // loaded here, not at the top, so that the RSS probe child does not carry TensorFlow.js
  const { createTfTrainer, setupTfjs, tf } = await import('./tfjs-models.js');
  const notes = await setupTfjs();
  console.log(`Convoy engine benchmark: batch ${batch}, Adam lr ${learningRate}, one thread`);
  console.log(`node ${process.version}, Convoy kernels: ${kernelVariant}; tfjs ${tf.version.tfjs}, tfjs-wasm threads: 1`);
  for (const note of notes) console.log(note);
  if (contenders.includes('tfjs-cpu')) {
    console.log('tfjs-cpu: lenet5 only; its Conv2DBackpropFilter indexes through TensorBuffer.get, ~10 s per step here');
  }
  console.log(`warm-up ${warmup} s, then ${rounds} rounds of ${seconds} s per contender in alternation; median reported\n`);

  const { images, labels } = syntheticBatch(batch);
  const nhwc = images; // one channel: NCHW and NHWC coincide
  const rows: string[] = [];
  for (const preset of models) {
    const flopsPerImage = 3 * describe(presetSpec(preset)).flops;
    const list = contenders.filter((c) => !(c === 'tfjs-cpu' && preset === 'fashion-cnn'));
    const trainers = new Map<Contender, Trainer>();
    for (const c of list) {
      if (c === 'convoy') trainers.set(c, convoyTrainer(preset, images, labels));
      else trainers.set(c, await createTfTrainer(c.slice(5) as TfBackend, preset, nhwc, labels, batch, learningRate));
    }
    for (const c of list) await timeSteps(trainers.get(c)!, warmup);
    const results = new Map<Contender, Timing[]>(list.map((c) => [c, []]));
    for (let r = 0; r < rounds; r++) {
      const line: string[] = [];
      for (const c of list) {
        const timing = await timeSteps(trainers.get(c)!, seconds);
        results.get(c)!.push(timing);
        line.push(`${c} ${timing.imagesPerSecond.toFixed(0)} img/s (loss ${timing.loss.toFixed(3)})`);
      }
      console.log(`${preset} round ${r + 1}: ${line.join(', ')}`);
    }
    const wall = (c: Contender): number => median(results.get(c)!.map((t) => t.imagesPerSecond));
    const cpu = (c: Contender): number => median(results.get(c)!.map((t) => t.imagesPerCpuSecond));
    const hasWasm = results.has('tfjs-wasm');
    for (const c of list) {
      const ips = wall(c);
      const gflops = (ips * flopsPerImage) / 1e9;
      const ratio = c === 'tfjs-wasm' || !hasWasm ? '' : `${(ips / wall('tfjs-wasm')).toFixed(2)}x`;
      const cpuRatio = c === 'tfjs-wasm' || !hasWasm ? '' : `${(cpu(c) / cpu('tfjs-wasm')).toFixed(2)}x`;
      rows.push(`| ${preset} | ${c} | ${ips.toFixed(0)} | ${gflops.toFixed(2)} | ${ratio} | ${cpu(c).toFixed(0)} | ${cpuRatio} |`);
    }
  }

  let rss = '';
  if (models.includes('fashion-cnn') && contenders.includes('convoy')) {
    const script = fileURLToPath(import.meta.url);
    const out = execFileSync(
      process.execPath,
      [...process.execArgv, script, '--rss-probe=fashion-cnn', `--seconds=${seconds}`, `--batch=${batch}`],
      { encoding: 'utf8' },
    );
    const { maxRssMB } = JSON.parse(out.trim().split('\n').pop()!) as { maxRssMB: number };
    rss = `Convoy peak RSS training fashion-cnn at batch ${batch} (own process): ${maxRssMB.toFixed(0)} MB`;
  }
  console.log('\n| model | contender | images/s | GFLOP/s | vs tfjs-wasm | images/CPU-s | vs tfjs-wasm (CPU) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  console.log(`\nThis process peak RSS (all contenders): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  if (rss) console.log(rss);
}

await main();
