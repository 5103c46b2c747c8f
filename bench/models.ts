// `npm run bench:models`: the engine's training throughput per preset, one thread, the way one pool
// thread trains: batch 64 in micro-shards of 32 (computeGradients per shard, each writing its own
// batch-norm statistics), the running statistics folded in shard order, an Adam step.
//
// The presets alternate within each round (a warm-up, then `rounds` rounds of `seconds` each), so
// a neighbour's burst on this shared machine hits them alike; the median images/s per preset and
// its ratio to the first preset are reported. The data is a fixed synthetic batch: throughput does
// not depend on the pixel values.
//
// Options (flag or env): --models=fashion-cnn,fashion-resnet (BENCH_MODELS), --seconds=8
// (BENCH_SECONDS), --rounds=5 (BENCH_ROUNDS), --warmup=3 (BENCH_WARMUP), --batch=64, --shard=32.
import {
  computeGradients,
  createModel,
  createOptimizer,
  describe,
  kernelVariant,
  presetSpec,
  updateRunningStats,
  type PresetName,
} from '../src/engine/index.js';

function option(name: string, env: string, fallback: string): string {
  const flag = process.argv.find((a) => a.startsWith(`--${name}=`));
  return flag ? flag.slice(name.length + 3) : (process.env[env] ?? fallback);
}

const models = option('models', 'BENCH_MODELS', 'fashion-cnn,fashion-resnet').split(',') as PresetName[];
const seconds = Number(option('seconds', 'BENCH_SECONDS', '8'));
const rounds = Number(option('rounds', 'BENCH_ROUNDS', '5'));
const warmup = Number(option('warmup', 'BENCH_WARMUP', '3'));
const batch = Number(option('batch', 'BENCH_BATCH', '64'));
const shard = Number(option('shard', 'BENCH_SHARD', '32'));

function trainer(preset: PresetName) {
  const model = createModel(presetSpec(preset), { seed: 1 });
  const optimizer = createOptimizer({ type: 'adam' }, model.paramCount);
  const x = new Float32Array(batch * model.inputSize).map((_, i) => ((i * 7919) % 256) / 255);
  const labels = new Uint8Array(batch).map((_, i) => i % 10);
  const shards: { from: number; to: number; stats: Float32Array }[] = [];
  for (let from = 0; from < batch; from += shard) {
    shards.push({ from, to: Math.min(from + shard, batch), stats: new Float32Array(model.bufferCount) });
  }
  return () => {
    for (const { from, to, stats } of shards) {
      model.bindBatchStats(stats);
      const size = model.inputSize;
      computeGradients(model, {
        x: x.subarray(from * size, to * size),
        labels: labels.subarray(from, to),
        n: to - from,
        scale: 1 / batch,
        accumulate: from > 0,
        sampleOffset: from,
      });
    }
    updateRunningStats(
      model,
      shards.map((s) => ({ stats: s.stats, n: s.to - s.from })),
    );
    optimizer.step(model.weights, model.grads, 1e-3);
  };
}

/** Images per second over `budget` seconds of steps (at least one). */
function time(step: () => void, budget: number): number {
  let images = 0;
  const t0 = performance.now();
  do {
    step();
    images += batch;
  } while (performance.now() - t0 < budget * 1000);
  return images / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(`engine training throughput, one thread: batch ${batch} in shards of ${shard}, Adam; kernels ${kernelVariant}`);
console.log(`node ${process.version}; warm-up ${warmup} s, then ${rounds} rounds of ${seconds} s per model, alternated\n`);
const steps = new Map(models.map((m) => [m, trainer(m)]));
for (const step of steps.values()) time(step, warmup);
const results = new Map<PresetName, number[]>(models.map((m) => [m, []]));
for (let r = 0; r < rounds; r++) {
  const line = models.map((m) => {
    const ips = time(steps.get(m)!, seconds);
    results.get(m)!.push(ips);
    return `${m} ${ips.toFixed(0)} img/s`;
  });
  console.log(`round ${r + 1}: ${line.join(', ')}`);
}
console.log('\n| model | params | MFLOP/img (forward) | images/s (median) | vs first | minutes per 60,000 images |');
console.log('|---|---|---|---|---|---|');
const first = median(results.get(models[0]!)!);
for (const m of models) {
  const d = describe(presetSpec(m));
  const ips = median(results.get(m)!);
  console.log(
    `| ${m} | ${d.params.toLocaleString('en')} | ${(d.flops / 1e6).toFixed(1)} | ${ips.toFixed(0)} | ${(ips / first).toFixed(2)}x | ${(60_000 / ips / 60).toFixed(1)} |`,
  );
}
