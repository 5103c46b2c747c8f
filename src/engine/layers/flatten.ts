// flatten: [N, C, H, W] -> [N, C*H*W] in C, H, W order (PyTorch's nn.Flatten). NCHW memory is
// already in that order, so forward and backward are copies:  y = x,  dx = dy.

import type { ResolvedLayer } from '../describe.js';
import type { ForwardContext, Layer, ParamSlot } from './layer.js';

export class Flatten implements Layer {
  readonly type = 'flatten' as const;
  readonly index: number;
  readonly inSize: number;
  readonly outSize: number;
  readonly paramSlots: readonly ParamSlot[] = [];

  constructor(spec: Extract<ResolvedLayer, { type: 'flatten' }>) {
    this.index = spec.index;
    this.inSize = spec.outShape[0]!;
    this.outSize = this.inSize;
  }

  bind(): void {}

  forward(x: Float32Array, y: Float32Array, n: number, _ctx: ForwardContext): void {
    y.set(x.subarray(0, n * this.inSize));
  }

  backward(_x: Float32Array, _y: Float32Array, dy: Float32Array, dx: Float32Array | null, n: number): void {
    if (dx) dx.set(dy.subarray(0, n * this.inSize));
  }
}
