// dropout (inverted): in training each element is kept with probability 1 - rate and scaled by
// 1 / (1 - rate), so inference is the identity and needs no rescaling.
//
//   x, y [N, ...]
//   forward:  m = keep ? 1 / (1 - rate) : 0;   y = x * m        (identity when not training)
//   backward: dx = dy * m
//
// The mask of sample i comes from Rng(hashSeed(seed, step, ...path, sampleOffset + i)) (path: the
// layer's position, [i] at the top, [i, j] inside a residual block): it depends on the batch
// position only, so any split of a batch across threads gives the same masks.

import type { ResolvedLayer } from '../describe.js';
import { Rng, hashSeed } from '../rng.js';
import { EMPTY, grow, type ForwardContext, type Layer, type ParamSlot } from './layer.js';

export class Dropout implements Layer {
  readonly type = 'dropout' as const;
  readonly index: number;
  readonly inSize: number;
  readonly outSize: number;
  readonly paramSlots: readonly ParamSlot[] = [];
  readonly rate: number;
  private readonly path: readonly number[];
  private mask = EMPTY; // [N, ...] of 0 or 1 / (1 - rate)
  private masked = false; // whether the last forward applied a mask

  constructor(spec: Extract<ResolvedLayer, { type: 'dropout' }>) {
    this.index = spec.index;
    this.rate = spec.rate;
    this.path = spec.path;
    this.inSize = spec.outShape.reduce((a, b) => a * b, 1);
    this.outSize = this.inSize;
  }

  bind(): void {}

  forward(x: Float32Array, y: Float32Array, n: number, ctx: ForwardContext): void {
    const len = n * this.inSize;
    this.masked = ctx.training && this.rate > 0;
    if (!this.masked) {
      y.set(x.subarray(0, len));
      return;
    }
    this.mask = grow(this.mask, len);
    const keep = 1 / (1 - this.rate);
    for (let s = 0; s < n; s++) {
      const rng = new Rng(hashSeed(ctx.seed, ctx.step, ...this.path, ctx.sampleOffset + s));
      for (let i = s * this.inSize, end = i + this.inSize; i < end; i++) {
        const m = rng.next() < this.rate ? 0 : keep;
        this.mask[i] = m;
        y[i] = x[i]! * m;
      }
    }
  }

  backward(_x: Float32Array, _y: Float32Array, dy: Float32Array, dx: Float32Array | null, n: number): void {
    if (!dx) return;
    const len = n * this.inSize;
    if (!this.masked) {
      dx.set(dy.subarray(0, len));
      return;
    }
    for (let i = 0; i < len; i++) dx[i] = dy[i]! * this.mask[i]!;
  }
}
