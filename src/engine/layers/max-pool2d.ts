// maxPool2d: the largest input in each window; padding never wins (as PyTorch pads with -inf).
//
//   x [N, C, H, W]  ->  y [N, C, OH, OW]
//   forward:  y[n, c, i, j] = x[s],  s = argmax over the window's in-bounds inputs (first on ties)
//             the "switch" s (absolute index into x) is kept for backward
//   backward: dx = 0;  dx[s] += dy[n, c, i, j]  (the gradient goes to the argmax only)

import { beats, maxPool2x2 } from '../kernels/index.js';
import { growInt, type ForwardContext, type Layer, type ParamSlot } from './layer.js';
import { isPool2x2 } from '../shape.js';
import { poolGeometry, type PoolGeometry, type PoolSpec } from './pool2d.js';

export class MaxPool2d implements Layer {
  readonly type = 'maxPool2d' as const;
  readonly index: number;
  readonly inSize: number;
  readonly outSize: number;
  readonly paramSlots: readonly ParamSlot[] = [];
  private readonly g: PoolGeometry;
  private switches: Int32Array = new Int32Array(0); // [N, C, OH, OW] indices into x
  private readonly is2x2: boolean; // 2x2 window, stride 2, no padding: the maxPool2x2 kernel

  constructor(spec: PoolSpec) {
    this.index = spec.index;
    this.g = poolGeometry(spec);
    this.inSize = this.g.inSize;
    this.outSize = this.g.outSize;
    this.is2x2 = isPool2x2(this.g);
  }

  bind(): void {}

  forward(x: Float32Array, y: Float32Array, n: number, _ctx: ForwardContext): void {
    const { c, h, w, oh, ow, rows, cols } = this.g;
    this.switches = growInt(this.switches, n * this.outSize);
    const sw = this.switches;
    if (this.is2x2) {
      maxPool2x2(n * c, h, w, oh, ow, x, y, sw); // kernels: WebAssembly SIMD, four windows at a time
      return;
    }
    let out = 0;
    for (let plane = 0; plane < n * c; plane++) {
      const base = plane * h * w;
      for (let oy = 0; oy < oh; oy++) {
        const y0 = rows[2 * oy]!;
        const y1 = rows[2 * oy + 1]!;
        for (let ox = 0; ox < ow; ox++, out++) {
          const x0 = cols[2 * ox]!;
          const x1 = cols[2 * ox + 1]!;
          let best = base + y0 * w + x0;
          let max = x[best]!;
          for (let iy = y0; iy < y1; iy++) {
            for (let ix = x0, i = base + iy * w + x0; ix < x1; ix++, i++) {
              const v = x[i]!;
              if (beats(v, max)) {
                max = v; // NaN propagates, as in PyTorch
                best = i;
              }
            }
          }
          y[out] = max;
          sw[out] = best;
        }
      }
    }
  }

  backward(_x: Float32Array, _y: Float32Array, dy: Float32Array, dx: Float32Array | null, n: number): void {
    if (!dx) return;
    dx.fill(0, 0, n * this.inSize);
    const sw = this.switches;
    for (let i = 0, len = n * this.outSize; i < len; i++) dx[sw[i]!] = dx[sw[i]!]! + dy[i]!;
  }
}
