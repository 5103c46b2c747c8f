// `npm run bench:engine`: training throughput of the Convoy engine against PyTorch and TensorFlow.js,
// one thread.
//
// Trains M1 `lenet5` and M2 `fashion-cnn` (batch 64, Adam lr 1e-3, softmax cross-entropy) with
//   - Convoy (src/engine: WebAssembly SIMD kernels; relaxed SIMD when node runs with
//     --experimental-wasm-relaxed-simd, see `npm run bench:engine:relaxed`)
//   - PyTorch (`torch`): bench/torch_models.py in a child python3, one thread, OpenBLAS with one
//     thread (bench/torch-peer.ts); skipped, and said so, when `python3 -c "import torch"` fails
//   - @tensorflow/tfjs-backend-wasm 4.22, one thread (plus our Conv2DBackpropFilter, see tfjs-models.ts)
//   - the tfjs cpu backend (M1 only: it needs minutes per M2 round)
// in alternation within one process: a warm-up, then `rounds` rounds in which every contender
// trains for `seconds`; the median images/s over the rounds is reported. With torch, each round also
// prints Convoy's ratio to it, and the median of those per-round ratios is THE figure (both ran
// within seconds of each other, so a noisy minute hits both); the same per images per CPU-second
// (each process's own CPU time), steadier when other work shares the cores. Inference (the /predict path:
// predict() on chunks of 256, softmax; torch.no_grad) is timed after training, Convoy vs torch. Achieved GFLOP/s counts a
// training step as 3x the forward FLOPs of describe(). Images per CPU-second (process CPU time)
// are printed too: on a shared, loaded machine they vary less than wall-clock rates. Peak RSS of Convoy training M2 alone is
// measured in a child process (tfjs shares this one).
//
// The data is a fixed synthetic batch (uniform pixels in [0, 1), labels 0..9): throughput does not
// depend on the pixel values.
//
// Options (flag or env): --seconds=10 (BENCH_SECONDS), --rounds=3 (BENCH_ROUNDS),
// --warmup=2 (BENCH_WARMUP seconds), --models=lenet5,fashion-cnn (BENCH_MODELS),
// --contenders=convoy,torch,tfjs-wasm,tfjs-cpu (BENCH_CONTENDERS), --batch=64 (BENCH_BATCH),
// --predict-seconds=3 (BENCH_PREDICT_SECONDS; 0 skips inference).
// `--rss-probe=<model>` is the child mode that reports Convoy's peak RSS.
import { execFileSync } from 'node:child_process';
import { cpus, hostname, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { computeGradients, createModel, describe, predict, presetSpec, type PresetName } from '../src/engine/index.js';
import { kernelVariant } from '../src/engine/kernels/index.js';
import { createOptimizer } from '../src/engine/optim/index.js';
import type { TfBackend } from './tfjs-models.js';
import { TorchPeer, torchAvailable } from './torch-peer.js';

type Contender = 'convoy' | 'torch' | 'tfjs-wasm' | 'tfjs-cpu';

function option(name: string, env: string, fallback: string): string {
  const flag = process.argv.find((a) => a.startsWith(`--${name}=`));
  return flag ? flag.slice(name.length + 3) : (process.env[env] ?? fallback);
}

const seconds = Number(option('seconds', 'BENCH_SECONDS', '10'));
const rounds = Number(option('rounds', 'BENCH_ROUNDS', '3'));
const warmup = Number(option('warmup', 'BENCH_WARMUP', '2'));
const batch = Number(option('batch', 'BENCH_BATCH', '64'));
const models = option('models', 'BENCH_MODELS', 'lenet5,fashion-cnn').split(',') as PresetName[];
let contenders = option('contenders', 'BENCH_CONTENDERS', 'convoy,torch,tfjs-wasm,tfjs-cpu').split(',') as Contender[];
const predictSeconds = Number(option('predict-seconds', 'BENCH_PREDICT_SECONDS', '3'));
const PREDICT_BATCH = 256;
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

/** One contender on one model: a timed training round, and (Convoy, torch) a timed inference round. */
interface Runner {
  train(seconds: number): Promise<Timing>;
  predict?(seconds: number): Promise<Timing>;
  close?(): void;
}

function convoyRunner(preset: PresetName, images: Float32Array, labels: Uint8Array): Runner {
  const trainer = convoyTrainer(preset, images, labels);
  const model = createModel(presetSpec(preset), { seed: 1 });
  const x = new Float32Array(PREDICT_BATCH * 784);
  for (let i = 0; i < PREDICT_BATCH; i++) x.set(images.subarray((i % batch) * 784, ((i % batch) + 1) * 784), i * 784);
  const inferer: Trainer = {
    step() {
      predict(model, x, PREDICT_BATCH);
      return 0;
    },
  };
  return {
    train: (s) => timeSteps(trainer, s),
    predict: async (s) => {
      const t = await timeSteps(inferer, s);
      const scale = PREDICT_BATCH / batch; // timeSteps counts `batch` images a step
      return { ...t, imagesPerSecond: t.imagesPerSecond * scale, imagesPerCpuSecond: t.imagesPerCpuSecond * scale };
    },
  };
}

async function torchRunner(preset: PresetName): Promise<Runner> {
  const peer = await TorchPeer.start(preset, batch, 1);
  return {
    train: async (s) => {
      const t = await peer.train(s);
      return { imagesPerSecond: t.imagesPerSecond, imagesPerCpuSecond: t.imagesPerCpuSecond, loss: t.loss ?? NaN };
    },
    predict: async (s) => ({ ...(await peer.predict(s, PREDICT_BATCH)), loss: NaN }),
    close: () => peer.close(),
  };
}

async function main(): Promise<void> {
  const probe = process.argv.find((a) => a.startsWith('--rss-probe='));
  if (probe) return rssProbe(probe.slice('--rss-probe='.length) as PresetName);

  console.log(`Convoy engine benchmark: batch ${batch}, Adam lr ${learningRate}, one thread`);
  console.log(`node ${process.version}, Convoy kernels: ${kernelVariant}; host ${hostname()}, ${cpus()[0]?.model ?? '?'}`);
  console.log(
    `started ${new Date().toISOString()}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  if (contenders.includes('torch')) {
    const torch = torchAvailable();
    if (torch.version) console.log(`PyTorch ${torch.version}: 1 thread (torch.set_num_threads(1), OMP/OpenBLAS 1 thread)`);
    else {
      console.log(`PyTorch ABSENT, not measured: ${torch.reason}`);
      contenders = contenders.filter((c) => c !== 'torch');
    }
  }
  const tfjsWanted = contenders.some((c) => c.startsWith('tfjs-'));
  // loaded only when wanted, and not at the top, so that the RSS probe child does not carry TensorFlow.js
  const tfjs = tfjsWanted ? await import('./tfjs-models.js') : null;
  if (tfjs) {
    const notes = await tfjs.setupTfjs();
    console.log(`tfjs ${tfjs.tf.version.tfjs}, tfjs-wasm threads: 1`);
    for (const note of notes) console.log(note);
  }
  if (contenders.includes('tfjs-cpu')) {
    console.log('tfjs-cpu: lenet5 only; its Conv2DBackpropFilter indexes through TensorBuffer.get, ~10 s per step here');
  }
  console.log(`warm-up ${warmup} s, then ${rounds} rounds of ${seconds} s per contender in alternation; median reported\n`);

  const { images, labels } = syntheticBatch(batch);
  const nhwc = images; // one channel: NCHW and NHWC coincide
  const rows: string[] = [];
  const peerRows: string[] = [];
  const reference: Contender | null = contenders.includes('torch') ? 'torch' : contenders.includes('tfjs-wasm') ? 'tfjs-wasm' : null;
  for (const preset of models) {
    const flopsPerImage = 3 * describe(presetSpec(preset)).flops;
    const list = contenders.filter((c) => !(c === 'tfjs-cpu' && preset === 'fashion-cnn'));
    const runners = new Map<Contender, Runner>();
    for (const c of list) {
      if (c === 'convoy') runners.set(c, convoyRunner(preset, images, labels));
      else if (c === 'torch') runners.set(c, await torchRunner(preset));
      else {
        const t = await tfjs!.createTfTrainer(c.slice(5) as TfBackend, preset, nhwc, labels, batch, learningRate);
        runners.set(c, { train: (s) => timeSteps(t, s) });
      }
    }
    for (const c of list) await runners.get(c)!.train(warmup);
    const results = new Map<Contender, Timing[]>(list.map((c) => [c, []]));
    const roundRatios: number[] = [];
    const cpuRatios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const line: string[] = [];
      for (const c of list) {
        const timing = await runners.get(c)!.train(seconds);
        results.get(c)!.push(timing);
        line.push(`${c} ${timing.imagesPerSecond.toFixed(0)} img/s (loss ${timing.loss.toFixed(3)})`);
      }
      if (results.has('torch') && results.has('convoy')) {
        const [c, t] = [results.get('convoy')![r]!, results.get('torch')![r]!];
        roundRatios.push(c.imagesPerSecond / t.imagesPerSecond);
        cpuRatios.push(c.imagesPerCpuSecond / t.imagesPerCpuSecond);
        line.push(`convoy/torch ${roundRatios.at(-1)!.toFixed(2)}x (CPU-s ${cpuRatios.at(-1)!.toFixed(2)}x)`);
      }
      console.log(`${preset} round ${r + 1}: ${line.join(', ')}`);
    }
    const wall = (c: Contender): number => median(results.get(c)!.map((t) => t.imagesPerSecond));
    const cpu = (c: Contender): number => median(results.get(c)!.map((t) => t.imagesPerCpuSecond));
    for (const c of list) {
      const ips = wall(c);
      const gflops = (ips * flopsPerImage) / 1e9;
      const ratio = c === reference || !reference ? '' : `${(ips / wall(reference)).toFixed(2)}x`;
      const cpuRatio = c === reference || !reference ? '' : `${(cpu(c) / cpu(reference)).toFixed(2)}x`;
      rows.push(`| ${preset} | ${c} | ${ips.toFixed(0)} | ${gflops.toFixed(2)} | ${ratio} | ${cpu(c).toFixed(0)} | ${cpuRatio} |`);
    }
    if (roundRatios.length > 0) {
      const infer = predictSeconds > 0 ? await inferenceRatio(runners, preset) : '';
      const list = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' ');
      const ratios = `${median(roundRatios).toFixed(2)}x | ${list(roundRatios)} | ${median(cpuRatios).toFixed(2)}x | ${list(cpuRatios)}`;
      peerRows.push(`| ${preset} | ${ratios} | ${infer} |`);
    }
    for (const runner of runners.values()) runner.close?.();
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
  const vs = reference ? `vs ${reference}` : 'ratio';
  console.log(`\n| model | contender | images/s | GFLOP/s | ${vs} | images/CPU-s | ${vs} (CPU) |`);
  console.log('|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  if (peerRows.length > 0) {
    console.log('\nConvoy / PyTorch, one thread (training: median of the per-round ratios; inference: alternating rounds)');
    console.log('| model | training ratio | per round | ratio per CPU-s | per round | inference img/s convoy / torch (ratio) |');
    console.log('|---|---|---|---|---|---|');
    for (const row of peerRows) console.log(row);
  }
  console.log(`\nThis process peak RSS (all contenders): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  if (rss) console.log(rss);
  console.log(`finished ${new Date().toISOString()}`);
}

/** Inference images/s, Convoy and torch alternating over the rounds: "convoy / torch (median ratio)". */
async function inferenceRatio(runners: Map<Contender, Runner>, preset: PresetName): Promise<string> {
  const convoy = runners.get('convoy')!;
  const torch = runners.get('torch')!;
  await convoy.predict!(1);
  await torch.predict!(1);
  const c: number[] = [];
  const t: number[] = [];
  for (let r = 0; r < rounds; r++) {
    c.push((await convoy.predict!(predictSeconds)).imagesPerSecond);
    t.push((await torch.predict!(predictSeconds)).imagesPerSecond);
  }
  const ratio = median(c.map((x, i) => x / t[i]!));
  console.log(`${preset} inference: convoy ${c.map((x) => x.toFixed(0)).join(' ')}, torch ${t.map((x) => x.toFixed(0)).join(' ')} img/s`);
  return `${median(c).toFixed(0)} / ${median(t).toFixed(0)} (${ratio.toFixed(2)}x)`;
}

await main();
