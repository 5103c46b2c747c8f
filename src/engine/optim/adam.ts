// Adam and AdamW, as torch.optim.Adam and torch.optim.AdamW (amsgrad off).
//
// Per element i, with t counting this update (1 on the first):
//   AdamW:  w = w * (1 - lr * weightDecay)             (decoupled decay, before the Adam step)
//   Adam:   g = dL/dw + weightDecay * w                (L2 weight decay enters the gradient)
//   m = beta1 * m + (1 - beta1) * g                    (first moment)
//   v = beta2 * v + (1 - beta2) * g^2                  (second moment)
//   w = w - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// The last line is lr * m_hat / (sqrt(v_hat) + eps) with the bias corrections
// m_hat = m / (1 - beta1^t), v_hat = v / (1 - beta2^t), arranged as PyTorch does.
// State: `m`, `v` (Float32Array, as PyTorch's float32 exp_avg and exp_avg_sq) and t. The element
// loop is kernels/adam-ref.ts (float32 arithmetic, as PyTorch on float32 parameters), run as its
// WebAssembly twin when the host has one: same bits, ~3x faster.
import { adamUpdate } from '../kernels/index.js';
import { checkStepArgs, type AdamConfig, type AdamWConfig, type Optimizer, type OptimizerState } from './types.js';

export class AdamOptimizer implements Optimizer {
  readonly config: Required<AdamConfig> | Required<AdamWConfig>;
  readonly size: number;
  private t = 0;
  private readonly m: Float32Array;
  private readonly v: Float32Array;

  constructor(
    config: Required<AdamConfig> | Required<AdamWConfig>,
    size: number,
    restored?: { step: number; buffers: Record<string, Float32Array> },
    /** Use restored.buffers as the state itself (no copy): see `optimizerOver`. */
    share = false,
  ) {
    this.config = config;
    this.size = size;
    this.m = share && restored ? restored.buffers.m! : new Float32Array(size);
    this.v = share && restored ? restored.buffers.v! : new Float32Array(size);
    if (restored) {
      this.t = restored.step;
      if (!share) {
        this.m.set(restored.buffers.m!);
        this.v.set(restored.buffers.v!);
      }
    }
  }

  get stepCount(): number {
    return this.t;
  }

  step(weights: Float32Array, grads: Float32Array, lr: number): void {
    checkStepArgs(this.size, weights, grads, lr);
    const { beta1, beta2, eps, weightDecay } = this.config;
    const t = this.t + 1;
    const stepSize = lr / (1 - beta1 ** t);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
    // Exactly one of these is active: L2 adds to the gradient, decoupled decay scales the weight.
    const l2 = this.config.type === 'adam' ? weightDecay : 0;
    const decay = this.config.type === 'adamw' ? 1 - lr * weightDecay : 1;
    adamUpdate(weights, grads, this.m, this.v, { beta1, beta2, eps, l2, decay, stepSize, bc2Sqrt });
    this.t = t;
  }

  state(): OptimizerState {
    return {
      config: { ...this.config },
      size: this.size,
      step: this.t,
      buffers: { m: this.m.slice(), v: this.v.slice() },
    };
  }
}
