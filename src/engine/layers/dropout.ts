// dropout and dropout2d (inverted): in training each element (dropout) or each whole channel
// (dropout2d, PyTorch's Dropout2d) of a sample is kept with probability 1 - rate and scaled by
// 1 / (1 - rate), or zeroed, so inference is the identity and needs no rescaling. (Neighbouring
// pixels of a feature map are strongly correlated: dropping single pixels hardly regularises a
// conv layer, dropping a whole map does.)
//
//   x, y [N, G, A]: G groups of A values that share a mask value
//                   dropout: A = 1, every element its own group;  dropout2d: G = C, A = H * W
//   forward:  m[n, g] = keep ? 1 / (1 - rate) : 0;   y[n, g, :] = x[n, g, :] * m[n, g]
//             (identity when not training)
//   backward: dx[n, g, :] = dy[n, g, :] * m[n, g]
//
// Sample i's G draws come from Rng(hashSeed(seed, step, ...path, sampleOffset + i)) (path: the
// layer's position, [i] at the top, [i, j] inside a residual block): they depend on the batch
// position only, so any split of a batch across threads gives the same masks.

import type { ResolvedLayer } from '../describe.js';
import { Rng, hashSeed } from '../rng.js';
import { EMPTY, grow, type ForwardContext, type Layer, type ParamSlot } from './layer.js';

export class Dropout implements Layer {
  readonly type: 'dropout' | 'dropout2d';
  readonly index: number;
  readonly inSize: number;
  readonly outSize: number;
  readonly paramSlots: readonly ParamSlot[] = [];
  readonly rate: number;
  private readonly path: readonly number[];
  private readonly area: number; // A, values per mask value
  private mask = EMPTY; // [N, G] of 0 or 1 / (1 - rate)
  private masked = false; // whether the last forward applied a mask

  constructor(spec: Extract<ResolvedLayer, { type: 'dropout' | 'dropout2d' }>) {
    this.type = spec.type;
    this.index = spec.index;
    this.rate = spec.rate;
    this.path = spec.path;
    this.inSize = spec.outShape.reduce((a, b) => a * b, 1);
    this.outSize = this.inSize;
    this.area = spec.type === 'dropout2d' ? this.inSize / spec.inShape[0]! : 1;
  }

  bind(): void {}

  forward(x: Float32Array, y: Float32Array, n: number, ctx: ForwardContext): void {
    this.masked = ctx.training && this.rate > 0;
    if (!this.masked) {
      y.set(x.subarray(0, n * this.inSize));
      return;
    }
    const A = this.area;
    const groups = this.inSize / A;
    this.mask = grow(this.mask, n * groups);
    const keep = 1 / (1 - this.rate);
    for (let s = 0; s < n; s++) {
      const rng = new Rng(hashSeed(ctx.seed, ctx.step, ...this.path, ctx.sampleOffset + s));
      for (let g = s * groups; g < (s + 1) * groups; g++) {
        const m = rng.next() < this.rate ? 0 : keep;
        this.mask[g] = m;
        for (let i = g * A, end = i + A; i < end; i++) y[i] = x[i]! * m;
      }
    }
  }

  backward(_x: Float32Array, _y: Float32Array, dy: Float32Array, dx: Float32Array | null, n: number): void {
    if (!dx) return;
    if (!this.masked) {
      dx.set(dy.subarray(0, n * this.inSize));
      return;
    }
    const A = this.area;
    for (let g = 0; g < (n * this.inSize) / A; g++) {
      const m = this.mask[g]!;
      for (let i = g * A, end = i + A; i < end; i++) dx[i] = dy[i]! * m;
    }
  }
}
