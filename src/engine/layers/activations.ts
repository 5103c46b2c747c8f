// Element-wise activations, as layers of their own or fused into conv2d / dense.
//
//   shapes: x, y, dy, dx all [N, ...] with the same element count
//   relu        y = max(z, 0)                 dz = dy * (y > 0)
//   leakyRelu   y = z > 0 ? z : alpha z       dz = dy * (y > 0 ? 1 : alpha)
//   elu         y = z > 0 ? z : alpha(e^z-1)  dz = dy * (y > 0 ? 1 : y + alpha)
//   sigmoid     y = 1 / (1 + e^-z)            dz = dy * y (1 - y)
//   tanh        y = tanh z                    dz = dy * (1 - y^2)
//
// Every derivative is read from the output y (alpha >= 0 keeps y > 0 <=> z > 0), so no layer
// has to keep its pre-activation. At z = 0 the relu-family derivative is taken as 0 (alpha), as
// PyTorch and TensorFlow do.

import type { ActivationName } from '../spec.js';
import type { ForwardContext, Layer, ParamSlot } from './layer.js';
import { activationBackward as activationBackwardKernel, activationForward, type FusedActivation } from '../kernels/index.js';

// The formulas above in plain TypeScript, one loop per activation, are kernels/activation-ref.ts
// (shared with the kernels, which must not import the layers). dense fuses them:
//   activate(kind, alpha, buf, len)                       buf = f(buf) in place
//   activationBackward(kind, alpha, y, dy, dz, len)       dz = dy * f'(y)
export { activateRef as activate, activationBackwardRef as activationBackward } from '../kernels/index.js';

/**
 * An activation as a layer of its own. It runs the same formulas through the element-wise
 * kernels (kernels/index.ts: WebAssembly SIMD, tested against activation-ref.ts).
 */
export class ActivationLayer implements Layer {
  readonly paramSlots: readonly ParamSlot[] = [];
  readonly outSize: number;
  private readonly act: FusedActivation;

  constructor(
    readonly index: number,
    readonly type: ActivationName,
    readonly alpha: number,
    readonly inSize: number,
  ) {
    this.outSize = inSize;
    this.act = { kind: type, alpha };
  }

  bind(): void {}

  forward(x: Float32Array, y: Float32Array, n: number, _ctx: ForwardContext): void {
    activationForward(this.act, x, y, n * this.inSize); // y = f(x)
  }

  backward(_x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array | null, n: number): void {
    if (dx) activationBackwardKernel(this.act, y, dy, dx, n * this.inSize); // dx = dy * f'(y)
  }
}
