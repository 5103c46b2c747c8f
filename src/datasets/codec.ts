// Dataset <-> bytes, for Redis (uploaded datasets) and the builtin cache file.
//
// Layout, little-endian, 32-byte header then the arrays:
//   0  u8[4] magic "CVDS"
//   4  u32   format version (DATASET_FORMAT_VERSION)
//   8  u32   image element type: 0 = uint8, 1 = float32
//  12  u32   channels   16 u32 height   20 u32 width
//  24  u32   classes    28 u32 count
//  32  images: count*C*H*W elements (1 or 4 bytes each)
//  ..  labels: count bytes
// The header is 32 bytes, so float32 images start 4-byte aligned.
import { DatasetError, sampleSize, validateDataset, type Dataset } from './types.js';

export const DATASET_MAGIC = 0x53445643; // "CVDS" read as a little-endian u32
export const DATASET_FORMAT_VERSION = 1;
export const DATASET_HEADER_BYTES = 32;

const UINT8 = 0;
const FLOAT32 = 1;

/** Size in bytes of encodeDataset(ds). */
export function encodedSize(ds: Dataset): number {
  return DATASET_HEADER_BYTES + ds.images.byteLength + ds.count;
}

export function encodeDataset(ds: Dataset): Uint8Array {
  validateDataset(ds);
  const out = new Uint8Array(encodedSize(ds));
  const view = new DataView(out.buffer);
  view.setUint32(0, DATASET_MAGIC, true);
  view.setUint32(4, DATASET_FORMAT_VERSION, true);
  view.setUint32(8, ds.images instanceof Float32Array ? FLOAT32 : UINT8, true);
  view.setUint32(12, ds.shape[0], true);
  view.setUint32(16, ds.shape[1], true);
  view.setUint32(20, ds.shape[2], true);
  view.setUint32(24, ds.classes, true);
  view.setUint32(28, ds.count, true);
  out.set(new Uint8Array(ds.images.buffer, ds.images.byteOffset, ds.images.byteLength), DATASET_HEADER_BYTES);
  out.set(ds.labels, DATASET_HEADER_BYTES + ds.images.byteLength);
  return out;
}

/** Reads the header only: shape, count and the total byte length the encoding must have. */
export function readDatasetHeader(bytes: Uint8Array): {
  shape: [number, number, number];
  classes: number;
  count: number;
  float: boolean;
  byteLength: number;
} {
  if (bytes.length < DATASET_HEADER_BYTES) {
    throw new DatasetError(
      'bad_length',
      'bytes',
      `encoded dataset: ${bytes.length} bytes is shorter than the ${DATASET_HEADER_BYTES}-byte header`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, DATASET_HEADER_BYTES);
  if (view.getUint32(0, true) !== DATASET_MAGIC) {
    throw new DatasetError('bad_magic', 'bytes', 'encoded dataset: bad magic (expected "CVDS")');
  }
  const version = view.getUint32(4, true);
  if (version !== DATASET_FORMAT_VERSION) {
    throw new DatasetError(
      'unsupported_version',
      'bytes',
      `encoded dataset: format version ${version}, this build reads ${DATASET_FORMAT_VERSION}`,
    );
  }
  const kind = view.getUint32(8, true);
  if (kind !== UINT8 && kind !== FLOAT32) {
    throw new DatasetError('bad_value', 'bytes', `encoded dataset: unknown image element type ${kind}`);
  }
  const shape: [number, number, number] = [view.getUint32(12, true), view.getUint32(16, true), view.getUint32(20, true)];
  const classes = view.getUint32(24, true);
  const count = view.getUint32(28, true);
  const byteLength = DATASET_HEADER_BYTES + count * sampleSize(shape) * (kind === FLOAT32 ? 4 : 1) + count;
  return { shape, classes, count, float: kind === FLOAT32, byteLength };
}

/**
 * Decodes encodeDataset's bytes. The arrays are views into `bytes` (no copy) when
 * alignment allows; float32 images at an unaligned offset are copied. Pass
 * `copy: true` to get arrays that do not keep `bytes` alive.
 */
export function decodeDataset(bytes: Uint8Array, opts: { copy?: boolean } = {}): Dataset {
  const h = readDatasetHeader(bytes);
  if (bytes.length !== h.byteLength) {
    throw new DatasetError(
      'bad_length',
      'bytes',
      `encoded dataset: header says ${h.byteLength} bytes (${h.count} samples of ${h.shape.join('x')}) but got ${bytes.length}`,
    );
  }
  const n = h.count * sampleSize(h.shape);
  const start = bytes.byteOffset + DATASET_HEADER_BYTES;
  let images: Uint8Array | Float32Array;
  // Copies go through new Uint8Array(view): on a Node Buffer (what Redis replies with) slice() is a
  // view too, and its .buffer the whole shared pool, not the bytes asked for.
  if (h.float) {
    images =
      start % 4 === 0 && !opts.copy
        ? new Float32Array(bytes.buffer, start, n)
        : new Float32Array(new Uint8Array(bytes.subarray(DATASET_HEADER_BYTES, DATASET_HEADER_BYTES + 4 * n)).buffer);
  } else {
    const view = bytes.subarray(DATASET_HEADER_BYTES, DATASET_HEADER_BYTES + n);
    images = opts.copy ? new Uint8Array(view) : view;
  }
  const labelView = bytes.subarray(DATASET_HEADER_BYTES + images.byteLength);
  const labels = opts.copy ? new Uint8Array(labelView) : labelView;
  return validateDataset({ shape: h.shape, classes: h.classes, count: h.count, images, labels });
}
