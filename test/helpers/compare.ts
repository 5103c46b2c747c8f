// Comparing the engine with a reference (tfjs, PyTorch, a naive loop), and seeded test data
// independent of the engine's own RNG.

/**
 * Relative error of `actual` against the reference `expected`:
 *   max_i |actual_i - expected_i| / max_i |expected_i|
 * i.e. the worst absolute difference measured against the largest magnitude in the reference tensor
 * (not element-wise, which would blow up on values near zero). An all-zero reference compares
 * absolutely. Throws on a length mismatch or a non-finite value.
 */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs reference ${expected.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!Number.isFinite(a) || !Number.isFinite(e)) return Infinity;
    maxDiff = Math.max(maxDiff, Math.abs(a - e));
    maxRef = Math.max(maxRef, Math.abs(e));
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

/** Deterministic uniform values in [lo, hi) from a small LCG-free hash (independent of the engine's RNG). */
export function seededUniform(count: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(count);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = lo + ((s >>> 8) / 16777216) * (hi - lo);
  }
  return out;
}
