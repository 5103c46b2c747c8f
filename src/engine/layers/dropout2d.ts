// dropout2d (channel dropout, PyTorch's Dropout2d): in training each channel of each sample is
// kept with probability 1 - rate and scaled by 1 / (1 - rate), or zeroed whole. Neighbouring
// pixels of a feature map are strongly correlated, so dropping single pixels (dropout) hardly
// regularises a conv layer; dropping a whole map does.
//
//   x, y [N, C, H, W]   mask m [N, C]
//   forward:  m[n, c] = keep ? 1 / (1 - rate) : 0;   y[n, c, :, :] = x[n, c, :, :] * m[n, c]
//             (identity when not training)
//   backward: dx[n, c, :, :] = dy[n, c, :, :] * m[n, c]
//
// Sample i's C draws come from Rng(hashSeed(seed, step, ...path, sampleOffset + i)) (path: the
// layer's position, [i] or [i, j] inside a residual block): any split of a batch gives the same masks.

import type { ResolvedLayer } from '../describe.js';
import { Rng, hashSeed } from '../rng.js';
import { EMPTY, grow, type ForwardContext, type Layer, type ParamSlot } from './layer.js';

export class Dropout2d implements Layer {
  readonly type = 'dropout2d' as const;
  readonly index: number;
  readonly inSize: number;
  readonly outSize: number;
  readonly paramSlots: readonly ParamSlot[] = [];
  readonly rate: number;
  private readonly path: readonly number[];
  private readonly channels: number;
  private readonly area: number; // H * W
  private mask = EMPTY; // [N, C] of 0 or 1 / (1 - rate)
  private masked = false; // whether the last forward applied a mask

  constructor(spec: Extract<ResolvedLayer, { type: 'dropout2d' }>) {
    const [c, h, w] = spec.inShape as [number, number, number];
    this.index = spec.index;
    this.path = spec.path;
    this.rate = spec.rate;
    this.channels = c;
    this.area = h * w;
    this.inSize = c * h * w;
    this.outSize = this.inSize;
  }

  bind(): void {}

  forward(x: Float32Array, y: Float32Array, n: number, ctx: ForwardContext): void {
    this.masked = ctx.training && this.rate > 0;
    if (!this.masked) {
      y.set(x.subarray(0, n * this.inSize));
      return;
    }
    const C = this.channels;
    const A = this.area;
    this.mask = grow(this.mask, n * C);
    const keep = 1 / (1 - this.rate);
    for (let s = 0; s < n; s++) {
      const rng = new Rng(hashSeed(ctx.seed, ctx.step, ...this.path, ctx.sampleOffset + s));
      for (let o = s * C; o < (s + 1) * C; o++) {
        const m = rng.next() < this.rate ? 0 : keep;
        this.mask[o] = m;
        for (let i = o * A, end = i + A; i < end; i++) y[i] = x[i]! * m;
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
    for (let o = 0; o < n * this.channels; o++) {
      const m = this.mask[o]!;
      for (let i = o * A, end = i + A; i < end; i++) dx[i] = dy[i]! * m;
    }
  }
}
