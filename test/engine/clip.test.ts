// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_(max_norm, norm_type=2).
import { describe, expect, it } from 'vitest';
import { clipByGlobalNorm, clipScale, l2Norm } from '../../src/engine/optim/index.js';

describe('clipByGlobalNorm', () => {
  it('returns the norm before clipping and scales by maxNorm / (norm + 1e-6)', () => {
    const grads = new Float32Array([3, 4, 0, 0]);
    expect(clipByGlobalNorm(grads, 1)).toBe(5);
    const scale = 1 / (5 + 1e-6);
    expect(Array.from(grads)).toEqual([3, 4, 0, 0].map((g) => Math.fround(g * scale)));
    expect(l2Norm(grads)).toBeCloseTo(1, 6);
  });

  it('leaves gradients below the limit untouched', () => {
    const grads = new Float32Array([0.3, -0.4]);
    const before = grads.slice();
    expect(clipByGlobalNorm(grads, 1)).toBeCloseTo(0.5, 7);
    expect(grads).toEqual(before);
  });

  it('uses the norm of the whole vector, not of each part', () => {
    // two "layers" of norm 3 each: global norm sqrt(18), both scaled by the same factor
    const grads = new Float32Array([3, 0, 0, -3]);
    const norm = clipByGlobalNorm(grads, Math.SQRT2);
    expect(norm).toBeCloseTo(Math.sqrt(18), 12);
    expect(grads[0]).toBeCloseTo(1, 5);
    expect(grads[3]).toBeCloseTo(-1, 5);
  });

  it('accumulates in float64: many small values do not lose their sum', () => {
    // a float32 running sum of 1e6 squares drifts by ~1e-3 relative; float64 stays within ~1e-11
    const grads = new Float32Array(1_000_000).fill(1e-3);
    expect(l2Norm(grads)).toBeCloseTo(Math.fround(1e-3) * 1000, 10);
  });

  it('returns a non-finite norm and leaves the gradients for the caller to reject', () => {
    const grads = new Float32Array([1, Number.NaN, 2]);
    expect(clipByGlobalNorm(grads, 1)).toBeNaN();
    expect(grads[0]).toBe(1);
    const inf = new Float32Array([Number.POSITIVE_INFINITY, 1]);
    expect(clipByGlobalNorm(inf, 1)).toBe(Number.POSITIVE_INFINITY);
    expect(inf[1]).toBe(1);
  });

  it('rejects a non-positive maxNorm', () => {
    expect(() => clipByGlobalNorm(new Float32Array(2), 0)).toThrow(/clipNorm/);
    expect(() => clipByGlobalNorm(new Float32Array(2), Number.NaN)).toThrow(/clipNorm/);
  });

  it('clipScale gives the same factor for a norm computed elsewhere', () => {
    expect(clipScale(5, 1)).toBe(1 / (5 + 1e-6));
    expect(clipScale(0.5, 1)).toBe(1);
    expect(() => clipScale(1, -1)).toThrow(/clipNorm/);
  });

  it('l2Norm of a slice', () => {
    expect(l2Norm(new Float32Array([9, 3, 4, 9]), 1, 3)).toBe(5);
  });
});
