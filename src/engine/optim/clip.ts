// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_ (L2 norm).
//
//   norm  = sqrt(sum_i g_i^2)                  over the whole flat gradient vector
//   scale = maxNorm / (norm + 1e-6)
//   g     = g * scale                          only when scale < 1
//
// Sums run in float64, in index order, so the result does not depend on anything
// but the values. A non-finite norm (NaN/Infinity gradients) leaves the gradients
// untouched and is returned as is: the caller treats it as divergence.

/** sqrt(sum of squares) of values[start..end), accumulated in float64. */
export function l2Norm(values: Float32Array, start = 0, end = values.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) {
    const x = values[i]!;
    sum += x * x;
  }
  return Math.sqrt(sum);
}

/**
 * The factor clipByGlobalNorm multiplies the gradients by, min(1, maxNorm / (norm + 1e-6)),
 * for callers that compute the norm themselves (e.g. in parallel over shards).
 */
export function clipScale(norm: number, maxNorm: number): number {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) throw new RangeError(`clipNorm: ${maxNorm} must be finite and > 0`);
  return Math.min(1, maxNorm / (norm + 1e-6));
}

/** Scales `grads` in place so their global L2 norm is at most `maxNorm`; returns the norm before clipping. */
export function clipByGlobalNorm(grads: Float32Array, maxNorm: number): number {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) throw new RangeError(`clipNorm: ${maxNorm} must be finite and > 0`);
  const norm = l2Norm(grads);
  if (!Number.isFinite(norm)) return norm;
  const scale = clipScale(norm, maxNorm);
  if (scale < 1) {
    for (let i = 0; i < grads.length; i++) grads[i] = grads[i]! * scale;
  }
  return norm;
}
