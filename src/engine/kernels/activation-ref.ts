// The element-wise activations, defined once: dense applies them in place (through
// layers/activations.ts), conv-ref.ts fuses them, and they are the reference the WebAssembly
// kernels are tested against. Every derivative is read from the output y (see the table in
// layers/activations.ts for why that works):
//   relu y = z > 0 ? z : 0          dz = y > 0 ? dy : 0
//   leakyRelu y = z > 0 ? z : a z   dz = y > 0 ? dy : a dy
//   elu y = z > 0 ? z : a (e^z - 1) dz = y > 0 ? dy : (y + a) dy
//   sigmoid y = 1 / (1 + e^-z)      dz = dy y (1 - y)
//   tanh y = tanh z                 dz = dy (1 - y^2)
import { assertNever, type ActivationName } from '../spec.js';

export interface FusedActivation {
  kind: ActivationName;
  /** leakyRelu slope / elu scale (ignored by the others). */
  alpha: number;
}

/** Codes shared with assembly/kernels.ts. */
export const ACTIVATION_CODES: Readonly<Record<ActivationName, number>> = {
  relu: 1,
  leakyRelu: 2,
  elu: 3,
  sigmoid: 4,
  tanh: 5,
};

/** y[0..len) = act(x) (y may be x). */
export type ActivationForward = (act: FusedActivation, x: Float32Array, y: Float32Array, len: number) => void;
/** dx[0..len) = dy * act'(y), act' read from the forward output y (dx may be dy). */
export type ActivationBackward = (act: FusedActivation, y: Float32Array, dy: Float32Array, dx: Float32Array, len: number) => void;

export const activationForwardRef: ActivationForward = (act, x, y, len) => {
  if (x !== y) y.set(x.subarray(0, len));
  activateRef(act.kind, act.alpha, y, len);
};

export const activationBackwardRefFn: ActivationBackward = (act, y, dy, dx, len) =>
  activationBackwardRef(act.kind, act.alpha, y, dy, dx, len);

/** y = f(z) in place over the first `len` elements. */
export function activateRef(kind: ActivationName, alpha: number, buf: Float32Array, len: number): void {
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
      assertNever(kind);
  }
}

/** dz = dy * f'(z), with f' read from the output y, over the first `len` elements. */
export function activationBackwardRef(
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
      assertNever(kind);
  }
}
