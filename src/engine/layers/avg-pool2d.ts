// avgPool2d: the mean of each window's in-bounds inputs. Padding is not counted: a window that
// hangs over the edge divides by its number of in-bounds elements (PyTorch's
// count_include_pad=False, TensorFlow's 'same' average pooling).
//
//   x [N, C, H, W]  ->  y [N, C, OH, OW]
//   forward:  y[n, c, i, j] = (1 / |S|) * sum_{s in S} x[s],   S = in-bounds window of (i, j)
//   backward: dx[s] += dy[n, c, i, j] / |S|   for every s in S  (the gradient is spread evenly)

import type { ForwardContext, Layer, ParamSlot } from './layer.js';
import { poolGeometry, type PoolGeometry, type PoolSpec } from './pool2d.js';

export class AvgPool2d implements Layer {
  readonly type = 'avgPool2d' as const;
  readonly index: number;
  readonly inSize: number;
  readonly outSize: number;
  readonly paramSlots: readonly ParamSlot[] = [];
  private readonly g: PoolGeometry;

  constructor(spec: PoolSpec) {
    this.index = spec.index;
    this.g = poolGeometry(spec);
    this.inSize = this.g.inSize;
    this.outSize = this.g.outSize;
  }

  bind(): void {}

  forward(x: Float32Array, y: Float32Array, n: number, _ctx: ForwardContext): void {
    const { c, h, w, oh, ow, rows, cols } = this.g;
    let out = 0;
    for (let plane = 0; plane < n * c; plane++) {
      const base = plane * h * w;
      for (let oy = 0; oy < oh; oy++) {
        const y0 = rows[2 * oy]!;
        const y1 = rows[2 * oy + 1]!;
        for (let ox = 0; ox < ow; ox++, out++) {
          const x0 = cols[2 * ox]!;
          const x1 = cols[2 * ox + 1]!;
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
    const { c, h, w, oh, ow, rows, cols } = this.g;
    dx.fill(0, 0, n * this.inSize);
    let out = 0;
    for (let plane = 0; plane < n * c; plane++) {
      const base = plane * h * w;
      for (let oy = 0; oy < oh; oy++) {
        const y0 = rows[2 * oy]!;
        const y1 = rows[2 * oy + 1]!;
        for (let ox = 0; ox < ow; ox++, out++) {
          const x0 = cols[2 * ox]!;
          const x1 = cols[2 * ox + 1]!;
          const g = dy[out]! / ((y1 - y0) * (x1 - x0));
          for (let iy = y0; iy < y1; iy++) {
            for (let i = base + iy * w + x0, end = i + x1 - x0; i < end; i++) dx[i] = dx[i]! + g;
          }
        }
      }
    }
  }
}
