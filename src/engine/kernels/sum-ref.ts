// Summing per-shard gradients in a fixed order, defined once. The data-parallel trainer
// (workers/thread.ts) adds each micro-shard's gradient into the first, always in shard order and in
// float32, so the sum has the same bits whichever thread computed which shard. The WebAssembly
// kernel `sumInto` gives the same dst bits; its sum of squares (float64) may differ in the last bits.

/** dst[i] = (dst[i] + srcs[0][i]) + srcs[1][i] + ... in float32; returns sum_i dst[i]^2. */
export type SumInto = (dst: Float32Array, srcs: readonly Float32Array[]) => number;

export const sumIntoRef: SumInto = (dst, srcs) => {
  let sumsq = 0;
  for (let i = 0; i < dst.length; i++) {
    let g = dst[i]!;
    for (const src of srcs) g = Math.fround(g + src[i]!);
    dst[i] = g;
    sumsq += g * g;
  }
  return sumsq;
};
