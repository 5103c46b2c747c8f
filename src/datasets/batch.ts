// Gathering a batch for the engine: no allocation per call, safe on any thread.
import { sampleSize, type Dataset } from './types.js';

/**
 * Writes samples indices[from..to) of `ds` into `out` as NCHW float32, starting
 * at out[0]: Uint8Array pixels become x / 255, Float32Array images are copied
 * as given. `out` must hold at least (to - from) * C*H*W floats. Allocates nothing.
 * Returns the number of samples written.
 */
export function toFloatBatch(ds: Dataset, indices: ArrayLike<number>, out: Float32Array, from = 0, to = indices.length): number {
  const size = sampleSize(ds.shape);
  const n = to - from;
  if (!(from >= 0 && from <= to && to <= indices.length)) {
    throw new RangeError(`range [${from}, ${to}) is outside the ${indices.length} indices`);
  }
  if (out.length < n * size) {
    throw new RangeError(`out holds ${out.length} floats; ${n} samples of ${size} need ${n * size}`);
  }
  const images = ds.images;
  const bytes = images instanceof Uint8Array;
  for (let k = 0; k < n; k++) {
    const i = indices[from + k]!;
    if (!(i >= 0 && i < ds.count) || i !== (i | 0)) {
      throw new RangeError(`index ${i} at position ${from + k} is outside [0, ${ds.count})`);
    }
    const src = i * size;
    const dst = k * size;
    if (bytes) {
      for (let j = 0; j < size; j++) out[dst + j] = images[src + j]! / 255;
    } else {
      for (let j = 0; j < size; j++) out[dst + j] = images[src + j]!;
    }
  }
  return n;
}

/** Writes the labels of indices[from..to) into `out` (Int32Array or Uint8Array). Allocates nothing. */
export function gatherLabels(ds: Dataset, indices: ArrayLike<number>, out: Int32Array | Uint8Array, from = 0, to = indices.length): number {
  const n = to - from;
  if (!(from >= 0 && from <= to && to <= indices.length) || out.length < n) {
    throw new RangeError(`range [${from}, ${to}) of ${indices.length} indices does not fit out (${out.length})`);
  }
  for (let k = 0; k < n; k++) {
    const i = indices[from + k]!;
    if (!(i >= 0 && i < ds.count)) throw new RangeError(`index ${i} at position ${from + k} is outside [0, ${ds.count})`);
    out[k] = ds.labels[i]!;
  }
  return n;
}
