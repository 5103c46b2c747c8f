// GEMM micro-benchmark: GFLOP/s of every kernel variant the process can run, on the GEMM shapes
// of a fashion-cnn training step, in alternation, median of several runs.
//   npm run bench:gemm            (plain SIMD128)
//   npm run bench:gemm:relaxed    (adds relaxed SIMD: node --experimental-wasm-relaxed-simd)
// Env: BENCH_GEMM_SECONDS (per shape and variant, default 0.3), BENCH_GEMM_ROUNDS (default 5).
import { loadWasmKernels, type WasmKernels } from '../src/engine/kernels/wasm.js';
import type { Gemm } from '../src/engine/kernels/index.js';

const seconds = Number(process.env.BENCH_GEMM_SECONDS ?? 0.3);
const rounds = Number(process.env.BENCH_GEMM_ROUNDS ?? 5);

const shapes: Array<[string, boolean, boolean, number, number, number]> = [
  ['conv2 forward  W·col      ', false, false, 64, 576, 288],
  ['conv2 dW       dy·col^T   ', false, true, 64, 288, 576],
  ['conv2 dcol     W^T·dy     ', true, false, 288, 576, 64],
  ['dense1 fwd     x·W^T      ', false, true, 64, 128, 9216],
  ['dense1 dW      dy^T·x     ', true, false, 128, 9216, 64],
  ['lenet conv1    W·col      ', false, false, 6, 784, 25],
  ['square 512                ', false, false, 512, 512, 512],
];

const variants = (['wasm-simd', 'wasm-relaxed-simd'] as const).map((v) => loadWasmKernels(v)).filter((k): k is WasmKernels => k !== null);

function time(gemm: Gemm, tA: boolean, tB: boolean, M: number, N: number, K: number): number {
  const A = new Float32Array(M * K).map(() => Math.random() - 0.5);
  const B = new Float32Array(K * N).map(() => Math.random() - 0.5);
  const C = new Float32Array(M * N);
  gemm(tA, tB, M, N, K, A, B, C, false);
  let reps = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < seconds * 1000) {
    gemm(tA, tB, M, N, K, A, B, C, false);
    reps++;
    t = performance.now();
  }
  return (2 * M * N * K * reps) / ((t - t0) / 1000) / 1e9;
}

const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`variants: ${variants.map((v) => v.variant).join(', ')}; GFLOP/s, median of ${rounds}`);
for (const [name, tA, tB, M, N, K] of shapes) {
  const results = new Map<string, number[]>();
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      const list = results.get(v.variant) ?? [];
      list.push(time(v.gemm, tA, tB, M, N, K));
      results.set(v.variant, list);
    }
  }
  const cells = variants.map((v) => `${v.variant} ${median(results.get(v.variant)!).toFixed(1).padStart(5)}`);
  console.log(`${name} M${M} N${N} K${K}`.padEnd(50), cells.join('   '));
}
