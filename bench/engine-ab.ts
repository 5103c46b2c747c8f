// `npm run bench:engine-ab -- --trees=/path/to/old,.`: one preset's training step under two or more
// checkouts of the engine, alternating in one process, as images per CPU-second. How the levers in
// docs/performance.md were measured: the same minutes, the same process, so a noisy host hits every
// tree alike. Each tree is a git checkout whose kernels are built (`npm run build:wasm` in it); each
// import gets its own WebAssembly instance.
//
// Options: --trees=a,b[,c] (the first is the baseline; each later one is compared with the one before
// it), --model=fashion-cnn, --batch=64, --rounds=5, --seconds=4. Runs with the process's flags: use
// `npm run bench:engine-ab` (relaxed SIMD, what workers run).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

function option(name: string, fallback: string): string {
  const flag = process.argv.find((a) => a.startsWith(`--${name}=`));
  return flag ? flag.slice(name.length + 3) : fallback;
}

const trees = option('trees', '.').split(',');
const model = option('model', 'fashion-cnn');
const batch = Number(option('batch', '64'));
const rounds = Number(option('rounds', '5'));
const seconds = Number(option('seconds', '4'));

interface EngineModule {
  createModel(spec: unknown, options: { seed: number }): { paramCount: number; weights: Float32Array; grads: Float32Array };
  computeGradients(model: unknown, args: object): unknown;
  createOptimizer(spec: object, count: number): { step(w: Float32Array, g: Float32Array, lr: number): void };
  PRESETS: Record<string, unknown>;
}

const x = new Float32Array(batch * 784).map((_, i) => ((i * 2654435761) % 1000) / 1000);
const labels = new Uint8Array(batch).map((_, i) => i % 10);

async function stepper(tree: string): Promise<() => void> {
  const engine = (await import(pathToFileURL(resolve(tree, 'src/engine/index.ts')).href)) as EngineModule;
  const net = engine.createModel(engine.PRESETS[model], { seed: 1 });
  const optimizer = engine.createOptimizer({ type: 'adam' }, net.paramCount);
  return () => {
    engine.computeGradients(net, { x, labels, n: batch, scale: 1 / batch, accumulate: false });
    optimizer.step(net.weights, net.grads, 1e-3);
  };
}

const steps = await Promise.all(trees.map(stepper));
for (const step of steps) for (let i = 0; i < 3; i++) step(); // warm up every tree
const rates: number[][] = trees.map(() => []);
for (let r = 0; r < rounds; r++) {
  steps.forEach((step, t) => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < seconds * 1000) {
      step();
      n++;
    }
    const cpu = process.cpuUsage(cpu0);
    rates[t]!.push((n * batch) / ((cpu.user + cpu.system) / 1e6));
  });
}
const median = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1]!;
console.log(`${model}, batch ${batch}: images per CPU-second, ${rounds} rounds of ${seconds} s, trees alternating`);
trees.forEach((tree, t) => {
  const versus =
    t === 0 ? '' : `  vs ${trees[t - 1]}: ${median(rates[t]!.map((v, i) => v / rates[t - 1]![i]!)).toFixed(3)}x (median of rounds)`;
  console.log(`${tree}: ${median(rates[t]!).toFixed(0)} (${rates[t]!.map((v) => v.toFixed(0)).join(' ')})${versus}`);
});
