// Optimizer state <-> bytes, for checkpoints: a safetensors file whose tensors are
// the state's buffers (`momentum`, or `m` and `v`, shape [size]) and whose metadata
// holds the resolved config (JSON), the size and the step count. Float32 values are
// stored raw, so decode(encode(state)) restores the optimizer bit for bit.
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from '../safetensors.js';
import { resolveOptimizerConfig } from './optimizer.js';
import type { OptimizerConfig, OptimizerState } from './types.js';

const FORMAT = 'convoy-optimizer-state/1';

export function encodeOptimizerState(state: OptimizerState): Uint8Array {
  const tensors = Object.entries(state.buffers).map(([name, data]) => ({ name, shape: [data.length], data }));
  return encodeSafetensors(tensors, {
    format: FORMAT,
    config: JSON.stringify(state.config),
    size: String(state.size),
    step: String(state.step),
  });
}

export function decodeOptimizerState(bytes: Uint8Array): OptimizerState {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== FORMAT) {
    throw new SafetensorsError(`optimizer state: metadata.format is ${JSON.stringify(metadata.format)}, expected ${FORMAT}`);
  }
  let config: OptimizerConfig;
  try {
    config = JSON.parse(metadata.config ?? '') as OptimizerConfig;
  } catch {
    throw new SafetensorsError('optimizer state: metadata.config is not valid JSON');
  }
  const size = Number(metadata.size);
  const step = Number(metadata.step);
  if (!Number.isSafeInteger(size) || size < 0) throw new SafetensorsError(`optimizer state: bad size ${metadata.size}`);
  if (!Number.isSafeInteger(step) || step < 0) throw new SafetensorsError(`optimizer state: bad step ${metadata.step}`);
  const buffers: Record<string, Float32Array> = {};
  for (const { name, data } of tensors) buffers[name] = data;
  return { config: resolveOptimizerConfig(config), size, step, buffers };
}
