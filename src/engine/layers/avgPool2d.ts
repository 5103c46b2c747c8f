// avgPool2d: the mean of each window's in-bounds inputs. Padding is not counted: a window that
// hangs over the edge divides by its number of in-bounds elements (PyTorch's
// count_include_pad=False, TensorFlow's 'same' average pooling).
//
//   x [N, C, H, W]  ->  y [N, C, OH, OW]
//   forward:  y[n, c, i, j] = (1 / |S|) * sum_{s in S} x[s],   S = in-bounds window of (i, j)
//   backward: dx[s] += dy[n, c, i, j] / |S|   for every s in S  (the gradient is spread evenly)

import type { ResolvedLayer } from '../describe.js';
import type { Window2d } from '../shape.js';
import type { ForwardContext, Layer, ParamSlot } from './layer.js';

export class AvgPool2d implements Layer {
  readonly type = 'avgPool2d' as const;
  readonly index: number;
  readonly inSize: number;
  readonly outSize: number;
  readonly paramSlots: readonly ParamSlot[] = [];
  private readonly c: number;
  private readonly h: number;
  private readonly w: number;
  private readonly oh: number;
  private readonly ow: number;
  private readonly win: Window2d;

  constructor(spec: Extract<ResolvedLayer, { type: 'maxPool2d' | 'avgPool2d' }>) {
    this.index = spec.index;
    [this.c, this.h, this.w] = spec.inShape as [number, number, number];
    [, this.oh, this.ow] = spec.outShape as [number, number, number];
    this.win = spec.window;
    this.inSize = this.c * this.h * this.w;
    this.outSize = this.c * this.oh * this.ow;
  }

  bind(): void {}

  forward(x: Float32Array, y: Float32Array, n: number, _ctx: ForwardContext): void {
    const { h, w, oh, ow, win } = this;
    let out = 0;
    for (let plane = 0; plane < n * this.c; plane++) {
      const base = plane * h * w;
      for (let oy = 0; oy < oh; oy++) {
        const y0 = Math.max(oy * win.sh - win.padTop, 0);
        const y1 = Math.min(oy * win.sh - win.padTop + win.kh, h);
        for (let ox = 0; ox < ow; ox++, out++) {
          const x0 = Math.max(ox * win.sw - win.padLeft, 0);
          const x1 = Math.min(ox * win.sw - win.padLeft + win.kw, w);
          let sum = 0;
          for (let iy = y0; iy < y1; iy++) {
            for (let i = base + iy * w + x0, end = i + x1 - x0; i < end; i++) sum += x[i]!;
          }
          y[out] = sum / ((y1 - y0) * (x1 - x0));
        }
      }
    }
  }

  backward(_x: Float32Array, _y: Float32Array, dy: Float32Array, dx: Float32Array | null, n: number): void {
    if (!dx) return;
    const { h, w, oh, ow, win } = this;
    dx.fill(0, 0, n * this.inSize);
    let out = 0;
    for (let plane = 0; plane < n * this.c; plane++) {
      const base = plane * h * w;
      for (let oy = 0; oy < oh; oy++) {
        const y0 = Math.max(oy * win.sh - win.padTop, 0);
        const y1 = Math.min(oy * win.sh - win.padTop + win.kh, h);
        for (let ox = 0; ox < ow; ox++, out++) {
          const x0 = Math.max(ox * win.sw - win.padLeft, 0);
          const x1 = Math.min(ox * win.sw - win.padLeft + win.kw, w);
          const g = dy[out]! / ((y1 - y0) * (x1 - x0));
          for (let iy = y0; iy < y1; iy++) {
            for (let i = base + iy * w + x0, end = i + x1 - x0; i < end; i++) dx[i] = dx[i]! + g;
          }
        }
      }
    }
  }
}
