// Reference element-wise activations for the fused conv kernels: the same formulas as
// src/engine/layers/activations.ts (derivatives read from the output y), kept here so the
// kernels do not import the layers.
//   relu y = z > 0 ? z : 0          dz = y > 0 ? dy : 0
//   leakyRelu y = z > 0 ? z : a z   dz = y > 0 ? dy : a dy
//   elu y = z > 0 ? z : a (e^z - 1) dz = y > 0 ? dy : (y + a) dy
//   sigmoid y = 1 / (1 + e^-z)      dz = dy y (1 - y)
//   tanh y = tanh z                 dz = dy (1 - y^2)
import type { ActivationName } from '../spec.js';

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
export type ActivationBackward = (
  act: FusedActivation,
  y: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  len: number,
) => void;

export const activationForwardRef: ActivationForward = (act, x, y, len) => {
  if (x !== y) y.set(x.subarray(0, len));
  activateRef(act.kind, act.alpha, y, len);
};

export const activationBackwardRefFn: ActivationBackward = (act, y, dy, dx, len) =>
  activationBackwardRef(act.kind, act.alpha, y, dy, dx, len);

export function activateRef(kind: ActivationName, alpha: number, buf: Float32Array, len: number): void {
  for (let i = 0; i < len; i++) {
    const z = buf[i]!;
    switch (kind) {
      case 'relu':
        buf[i] = z > 0 ? z : 0;
        break;
      case 'leakyRelu':
        buf[i] = z > 0 ? z : alpha * z;
        break;
      case 'elu':
        buf[i] = z > 0 ? z : alpha * Math.expm1(z);
        break;
      case 'sigmoid':
        buf[i] = 1 / (1 + Math.exp(-z));
        break;
      case 'tanh':
        buf[i] = Math.tanh(z);
        break;
    }
  }
}

export function activationBackwardRef(
  kind: ActivationName,
  alpha: number,
  y: Float32Array,
  dy: Float32Array,
  dz: Float32Array,
  len: number,
): void {
  for (let i = 0; i < len; i++) {
    const v = y[i]!;
    const g = dy[i]!;
    switch (kind) {
      case 'relu':
        dz[i] = v > 0 ? g : 0;
        break;
      case 'leakyRelu':
        dz[i] = v > 0 ? g : alpha * g;
        break;
      case 'elu':
        dz[i] = v > 0 ? g : (v + alpha) * g;
        break;
      case 'sigmoid':
        dz[i] = g * v * (1 - v);
        break;
      case 'tanh':
        dz[i] = g * (1 - v * v);
        break;
    }
  }
}
