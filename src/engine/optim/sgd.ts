// Stochastic gradient descent with momentum and Nesterov momentum, as torch.optim.SGD.
//
// Per element i, with t the number of updates applied before this one:
//   g = dL/dw + weightDecay * w                        (L2 weight decay enters the gradient)
//   b = g                                  if t = 0     (the buffer starts as the first gradient)
//   b = momentum * b + (1 - dampening) * g otherwise
//   d = g + momentum * b  if nesterov, else  d = b      (no momentum: d = g)
//   w = w - lr * d
// State: `momentum` (b), kept only when momentum > 0.
import { checkStepArgs, type Optimizer, type OptimizerState, type SgdConfig } from './types.js';

export class SgdOptimizer implements Optimizer {
  readonly config: Required<SgdConfig>;
  readonly size: number;
  private t = 0;
  private readonly buffer: Float32Array | null;

  constructor(
    config: Required<SgdConfig>,
    size: number,
    restored?: { step: number; buffers: Record<string, Float32Array> },
    /** Use restored.buffers as the state itself (no copy): see `optimizerOver`. */
    share = false,
  ) {
    this.config = config;
    this.size = size;
    const shared = share && restored && config.momentum > 0;
    this.buffer = shared ? restored.buffers.momentum! : config.momentum > 0 ? new Float32Array(size) : null;
    if (restored) {
      this.t = restored.step;
      if (this.buffer && !shared) this.buffer.set(restored.buffers.momentum!);
    }
  }

  get stepCount(): number {
    return this.t;
  }

  step(weights: Float32Array, grads: Float32Array, lr: number): void {
    checkStepArgs(this.size, weights, grads, lr);
    const { momentum, dampening, nesterov, weightDecay } = this.config;
    const b = this.buffer;
    if (b === null) {
      for (let i = 0; i < weights.length; i++) {
        const w = weights[i]!;
        weights[i] = w - lr * (grads[i]! + weightDecay * w);
      }
    } else {
      const first = this.t === 0;
      const keep = 1 - dampening;
      for (let i = 0; i < weights.length; i++) {
        const w = weights[i]!;
        const g = grads[i]! + weightDecay * w;
        const bi = Math.fround(first ? g : momentum * b[i]! + keep * g);
        b[i] = bi;
        weights[i] = w - lr * (nesterov ? g + momentum * bi : bi);
      }
    }
    this.t++;
  }

  state(): OptimizerState {
    return {
      config: { ...this.config },
      size: this.size,
      step: this.t,
      buffers: this.buffer ? { momentum: this.buffer.slice() } : {},
    };
  }
}
