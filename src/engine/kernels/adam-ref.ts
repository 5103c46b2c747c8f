// The Adam / AdamW element update, defined once (optim/adam.ts explains the math and calls it
// through kernels/index.ts). Float32 arithmetic, as PyTorch's Adam on float32 parameters: every
// operation is rounded to float32, so the WebAssembly kernel `adam` (f32x4, same operations in the
// same order) gives the same bits, and tests check that it does.

/** Per-update constants: the same for every element of one step. */
export interface AdamCoefficients {
  beta1: number;
  beta2: number;
  eps: number;
  /** L2 weight decay added to the gradient (Adam), else 0. */
  l2: number;
  /** 1 - lr * weightDecay (AdamW's decoupled decay), else 1. */
  decay: number;
  /** lr / (1 - beta1^t) */
  stepSize: number;
  /** sqrt(1 - beta2^t) */
  bc2Sqrt: number;
}

/** w, m, v updated in place from g over their whole length (all the same length). */
export type AdamUpdate = (w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, c: AdamCoefficients) => void;

export const adamUpdateRef: AdamUpdate = (weights, grads, m, v, c) => {
  const f = Math.fround; // one float32 rounding per operation: float32 arithmetic, as PyTorch's
  const [beta1, beta2, c1, c2] = [f(c.beta1), f(c.beta2), f(1 - c.beta1), f(1 - c.beta2)];
  const [eps, l2, decay, stepSize, bc2Sqrt] = [f(c.eps), f(c.l2), f(c.decay), f(c.stepSize), f(c.bc2Sqrt)];
  for (let i = 0; i < weights.length; i++) {
    const w = f(weights[i]! * decay);
    const g = f(grads[i]! + f(l2 * w));
    const mi = f(f(beta1 * m[i]!) + f(c1 * g));
    const vi = f(f(beta2 * v[i]!) + f(f(c2 * g) * g));
    m[i] = mi;
    v[i] = vi;
    weights[i] = w - f(f(stepSize * mi) / f(f(f(Math.sqrt(vi)) / bc2Sqrt) + eps));
  }
};
