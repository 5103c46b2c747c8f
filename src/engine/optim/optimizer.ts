// The one contract every optimizer shares, and the factory that picks one.
//
// The model keeps every parameter in one flat Float32Array (`model.weights`)
// and every gradient in another of the same layout (`model.grads`), so an
// optimizer is a loop over two flat vectors plus whatever per-element state it
// needs (momentum buffer, Adam moments). Its whole state is plain data: a
// resolved config, a step count and a few Float32Arrays. `state()` snapshots
// it, `restoreOptimizer(state)` continues from it bit for bit (checkpoints).
//
// Semantics follow PyTorch's torch.optim (SGD, Adam, AdamW), including where
// weight decay enters: added to the gradient (L2) for SGD and Adam, applied to
// the weights directly (decoupled) for AdamW.
import { assertNever } from '../spec.js';
import { AdamOptimizer } from './adam.js';
import { SgdOptimizer } from './sgd.js';
import type { Optimizer, OptimizerConfig, OptimizerState, ResolvedOptimizerConfig, SgdConfig } from './types.js';

/** Fills in PyTorch's defaults and rejects values PyTorch would reject, naming the field. */
export function resolveOptimizerConfig(config: OptimizerConfig): ResolvedOptimizerConfig {
  switch (config.type) {
    case 'sgd': {
      const resolved: Required<SgdConfig> = {
        type: 'sgd',
        momentum: config.momentum ?? 0,
        dampening: config.dampening ?? 0,
        nesterov: config.nesterov ?? false,
        weightDecay: config.weightDecay ?? 0,
      };
      nonNegative('momentum', resolved.momentum);
      nonNegative('dampening', resolved.dampening);
      nonNegative('weightDecay', resolved.weightDecay);
      if (resolved.nesterov && (resolved.momentum <= 0 || resolved.dampening !== 0)) {
        throw new RangeError('optimizer.nesterov: Nesterov momentum needs momentum > 0 and dampening 0');
      }
      return resolved;
    }
    case 'adam':
    case 'adamw': {
      const resolved = {
        type: config.type,
        beta1: config.beta1 ?? 0.9,
        beta2: config.beta2 ?? 0.999,
        eps: config.eps ?? 1e-8,
        weightDecay: config.weightDecay ?? (config.type === 'adamw' ? 0.01 : 0),
      };
      unitInterval('beta1', resolved.beta1);
      unitInterval('beta2', resolved.beta2);
      nonNegative('eps', resolved.eps);
      nonNegative('weightDecay', resolved.weightDecay);
      return resolved;
    }
    default:
      return assertNever(config);
  }
}

/** A fresh optimizer for a weight vector of `size` elements (all state zero, step 0). */
export function createOptimizer(config: OptimizerConfig, size: number): Optimizer {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`optimizer size: ${size} is not a non-negative integer`);
  const resolved = resolveOptimizerConfig(config);
  switch (resolved.type) {
    case 'sgd':
      return new SgdOptimizer(resolved, size);
    case 'adam':
    case 'adamw':
      return new AdamOptimizer(resolved, size);
    default:
      return assertNever(resolved);
  }
}

/** An optimizer that continues exactly from `state` (the arrays are copied, not shared). */
export function restoreOptimizer(state: OptimizerState): Optimizer {
  if (!Number.isSafeInteger(state.step) || state.step < 0) {
    throw new RangeError(`optimizer state: step ${state.step} is not a non-negative integer`);
  }
  if (!Number.isSafeInteger(state.size) || state.size < 0) {
    throw new RangeError(`optimizer state: size ${state.size} is not a non-negative integer`);
  }
  const config = resolveOptimizerConfig(state.config);
  const expected = bufferNames(config).sort();
  const given = Object.keys(state.buffers).sort();
  if (expected.join() !== given.join()) {
    throw new Error(`optimizer state: ${config.type} needs buffers [${expected.join(', ')}], got [${given.join(', ')}]`);
  }
  for (const name of given) {
    const buffer = state.buffers[name];
    if (!(buffer instanceof Float32Array) || buffer.length !== state.size) {
      throw new Error(`optimizer state: buffer '${name}' must be a Float32Array of length ${state.size}`);
    }
  }
  const restored = { step: state.step, buffers: state.buffers };
  switch (config.type) {
    case 'sgd':
      return new SgdOptimizer(config, state.size, restored);
    case 'adam':
    case 'adamw':
      return new AdamOptimizer(config, state.size, restored);
    default:
      return assertNever(config);
  }
}

/**
 * An optimizer whose state IS the given buffers (no copy), at update count `step`: for running one
 * update over a slice of the weights, e.g. a pool thread updating parameters [a, b) with views of
 * shared buffers. Every optimizer here is element-wise given the step count, so updating slices
 * one by one gives the same bits as one `step` over the whole vector.
 */
export function optimizerOver(
  config: ResolvedOptimizerConfig,
  size: number,
  step: number,
  buffers: Record<string, Float32Array>,
): Optimizer {
  for (const name of bufferNames(config)) {
    const b = buffers[name];
    if (!(b instanceof Float32Array) || b.length !== size)
      throw new Error(`optimizerOver: buffer '${name}' must be a Float32Array of length ${size}`);
  }
  switch (config.type) {
    case 'sgd':
      return new SgdOptimizer(config, size, { step, buffers }, true);
    case 'adam':
    case 'adamw':
      return new AdamOptimizer(config, size, { step, buffers }, true);
    default:
      return assertNever(config);
  }
}

/** The per-element buffers an optimizer with this config keeps in its state. */
export function bufferNames(config: ResolvedOptimizerConfig): string[] {
  switch (config.type) {
    case 'sgd':
      return config.momentum > 0 ? ['momentum'] : [];
    case 'adam':
    case 'adamw':
      return ['m', 'v'];
    default:
      return assertNever(config);
  }
}

function nonNegative(field: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`optimizer.${field}: ${value} must be finite and >= 0`);
}

function unitInterval(field: string, value: number): void {
  if (!Number.isFinite(value) || value < 0 || value >= 1) throw new RangeError(`optimizer.${field}: ${value} must be in [0, 1)`);
}
