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

import { assertNever, type ActivationName } from '../spec.js';
import type { ForwardContext, Layer, ParamSlot } from './layer.js';
import { activationBackward as activationBackwardKernel, activationForward, type FusedActivation } from '../kernels/index.js';

/** y = f(z) in place over the first `len` elements. */
export function activate(kind: ActivationName, alpha: number, buf: Float32Array, len: number): void {
  switch (kind) {
    case 'relu':
      for (let i = 0; i < len; i++) if (!(buf[i]! > 0)) buf[i] = 0;
      return;
    case 'leakyRelu':
      for (let i = 0; i < len; i++) {
        const z = buf[i]!;
        if (!(z > 0)) buf[i] = alpha * z;
      }
      return;
    case 'elu':
      for (let i = 0; i < len; i++) {
        const z = buf[i]!;
        if (!(z > 0)) buf[i] = alpha * Math.expm1(z);
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < len; i++) buf[i] = 1 / (1 + Math.exp(-buf[i]!));
      return;
    case 'tanh':
      for (let i = 0; i < len; i++) buf[i] = Math.tanh(buf[i]!);
      return;
    default:
      return assertNever(kind);
  }
}

/** dz = dy * f'(z), with f' read from the output y, over the first `len` elements. */
export function activationBackward(
  kind: ActivationName,
  alpha: number,
  y: Float32Array,
  dy: Float32Array,
  dz: Float32Array,
  len: number,
): void {
  switch (kind) {
    case 'relu':
      for (let i = 0; i < len; i++) dz[i] = y[i]! > 0 ? dy[i]! : 0;
      return;
    case 'leakyRelu':
      for (let i = 0; i < len; i++) dz[i] = y[i]! > 0 ? dy[i]! : alpha * dy[i]!;
      return;
    case 'elu':
      for (let i = 0; i < len; i++) {
        const v = y[i]!;
        dz[i] = v > 0 ? dy[i]! : (v + alpha) * dy[i]!;
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < len; i++) {
        const v = y[i]!;
        dz[i] = dy[i]! * v * (1 - v);
      }
      return;
    case 'tanh':
      for (let i = 0; i < len; i++) {
        const v = y[i]!;
        dz[i] = dy[i]! * (1 - v * v);
      }
      return;
    default:
      return assertNever(kind);
  }
}

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
