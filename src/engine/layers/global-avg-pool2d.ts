// globalAvgPool2d: the mean of each channel (PyTorch's AdaptiveAvgPool2d(1) then flatten).
//
//   x [N, C, H, W]  ->  y [N, C]
//   forward:  y[n, c] = (1 / (H W)) * sum_{h, w} x[n, c, h, w]
//   backward: dx[n, c, h, w] = dy[n, c] / (H W)   (every pixel contributed 1/(H W) of the mean)
//
// It replaces flatten + a large dense layer at the top of a CNN: the classifier sees C features
// whatever the image size, with no parameters of its own.

import type { ResolvedLayer } from '../describe.js';
import type { ForwardContext, Layer, ParamSlot } from './layer.js';

export class GlobalAvgPool2d implements Layer {
  readonly type = 'globalAvgPool2d' as const;
  readonly index: number;
  readonly inSize: number;
  readonly outSize: number;
  readonly paramSlots: readonly ParamSlot[] = [];
  private readonly area: number; // H * W

  constructor(spec: Extract<ResolvedLayer, { type: 'globalAvgPool2d' }>) {
    const [c, h, w] = spec.inShape as [number, number, number];
    this.index = spec.index;
    this.area = h * w;
    this.inSize = c * this.area;
    this.outSize = c;
  }

  bind(): void {}

  forward(x: Float32Array, y: Float32Array, n: number, _ctx: ForwardContext): void {
    const A = this.area;
    for (let o = 0; o < n * this.outSize; o++) {
      let sum = 0;
      for (let i = o * A, end = i + A; i < end; i++) sum += x[i]!;
      y[o] = sum / A;
    }
  }

  backward(_x: Float32Array, _y: Float32Array, dy: Float32Array, dx: Float32Array | null, n: number): void {
    if (!dx) return;
    const A = this.area;
    for (let o = 0; o < n * this.outSize; o++) dx.fill(dy[o]! / A, o * A, (o + 1) * A);
  }
}
