// Types shared by every optimizer: configs, the state a checkpoint stores, the
// one `Optimizer` contract. Kept apart from the factory (optimizer.ts) so the
// implementations (sgd.ts, adam.ts) import no cycle.

/** SGD; defaults match torch.optim.SGD: momentum 0, dampening 0, nesterov false, weightDecay 0. */
export interface SgdConfig {
  type: 'sgd';
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number; // L2: g += weightDecay * w
}

/** Adam; defaults match torch.optim.Adam: betas 0.9/0.999, eps 1e-8, weightDecay 0 (L2, added to g). */
export interface AdamConfig {
  type: 'adam';
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/** AdamW; defaults match torch.optim.AdamW: betas 0.9/0.999, eps 1e-8, weightDecay 0.01 (decoupled). */
export interface AdamWConfig {
  type: 'adamw';
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export type OptimizerConfig = SgdConfig | AdamConfig | AdamWConfig;
export type OptimizerType = OptimizerConfig['type'];

/** A config with every default filled in: what `state()` records. */
export type ResolvedOptimizerConfig = Required<SgdConfig> | Required<AdamConfig> | Required<AdamWConfig>;

/** Everything needed to continue training exactly where an optimizer stopped. */
export interface OptimizerState {
  config: ResolvedOptimizerConfig;
  /** Length of the weight vector this state belongs to. */
  size: number;
  /** Updates applied so far (PyTorch's `state['step']`). */
  step: number;
  /** Per-element buffers, each `size` long: `momentum` (SGD), `m` and `v` (Adam, AdamW). */
  buffers: Record<string, Float32Array>;
}

export interface Optimizer {
  readonly config: ResolvedOptimizerConfig;
  readonly size: number;
  /** Updates applied so far. */
  readonly stepCount: number;
  /** One update in place: weights <- weights - lr * direction(grads, state). Grads are not modified. */
  step(weights: Float32Array, grads: Float32Array, lr: number): void;
  /** A deep copy of the state (later steps do not change it). */
  state(): OptimizerState;
}

/** Shared argument checks for every `step` implementation. */
export function checkStepArgs(size: number, weights: Float32Array, grads: Float32Array, lr: number): void {
  if (weights.length !== size || grads.length !== size) {
    throw new RangeError(`optimizer.step: weights (${weights.length}) and grads (${grads.length}) must both have ${size} elements`);
  }
  if (!Number.isFinite(lr) || lr < 0) throw new RangeError(`optimizer.step: learning rate ${lr} is not finite and >= 0`);
}
