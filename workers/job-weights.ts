// A job's weights in and out. In: `initialWeights` (another job's final weights, or tensors in the
// submission) through the engine's checked loader (src/engine/weights.ts: every name once, shapes
// and lengths right, nothing written unless all are). Out: safetensors bytes plus the reference
// the `completed`/`cancelled` events and the document carry.
import { createHash } from 'node:crypto';
import type { JobSpec, TensorInput, TensorOutput, WeightsRef } from '../src/contracts/index.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  exportWeights,
  loadWeights,
  WeightsError,
  type NamedTensor,
  type WeightsOwner,
} from '../src/engine/index.js';
import type { JobStore } from '../src/store/index.js';

/** Loads the spec's initial weights, if it has any. Bad ones throw WeightsError (job error `invalid-weights`). */
export async function loadInitialWeights(spec: JobSpec, store: JobStore, target: WeightsOwner): Promise<void> {
  const init = spec.initialWeights;
  if (!init) return;
  let tensors: NamedTensor[];
  if ('fromJob' in init) {
    const bytes = await store.getWeights(init.fromJob);
    if (!bytes) throw new WeightsError(`fromJob: job ${init.fromJob} has no weights`);
    tensors = decodeSafetensors(bytes).tensors;
  } else {
    tensors = init.tensors.map(tensorFromInput);
  }
  loadWeights(target, tensors);
}

/** A submitted tensor: float32 values, or their little-endian bytes in base64. loadWeights checks the length. */
function tensorFromInput({ name, shape, data }: TensorInput): NamedTensor {
  if (Array.isArray(data)) return { name, shape, data: Float32Array.from(data) };
  const bytes = Buffer.from(data, 'base64');
  const floats = new Float32Array(bytes.length >> 2);
  for (let i = 0; i < floats.length; i++) floats[i] = bytes.readFloatLE(i * 4);
  return { name, shape, data: floats };
}

export interface PackedWeights {
  bytes: Buffer;
  /** What the `completed`/`cancelled` event carries: a link, and the tensors up to inlineMaxBytes. */
  ref: WeightsRef;
  /** What the job document records. */
  info: { sha256: string; bytes: number };
}

export function packWeights(jobId: string, model: WeightsOwner, inputScale: number, inlineMaxBytes: number): PackedWeights {
  const tensors = exportWeights(model);
  // Bytes depend on the weights (and the input scale) only, so equal weights have equal sha256.
  const raw = encodeSafetensors(tensors, { format: 'convoy-weights/1', input_scale: String(inputScale) });
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const ref: WeightsRef = { href: `/v1/jobs/${jobId}/weights`, sha256, bytes: bytes.length };
  if (bytes.length <= inlineMaxBytes) {
    ref.tensors = tensors.map((t): TensorOutput => ({ name: t.name, shape: t.shape, dtype: 'float32', data: toBase64(t.data) }));
  }
  return { bytes, ref, info: { sha256, bytes: bytes.length } };
}

function toBase64(data: Float32Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}
