// IDX files (the format MNIST and Fashion-MNIST are distributed in), optionally gzipped.
//
// Layout, all integers big-endian:
//   bytes 0-1  zero
//   byte  2    element type: 0x08 = unsigned byte (the only one accepted here)
//   byte  3    number of dimensions d
//   4*d bytes  the size of each dimension, u32
//   then prod(sizes) elements, row-major
// Images: 0x00000803 [n, rows, cols] (or 0x00000804 [n, c, rows, cols]).
// Labels: 0x00000801 [n].
import { maybeGunzip, DEFAULT_MAX_BYTES } from './gzip.js';
import { DatasetError, checkShape, resolveClasses, type Dataset, type ImageShape } from './types.js';

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_IMAGES4_MAGIC = 0x00000804;
export const IDX_LABELS_MAGIC = 0x00000801;

export interface IdxArray {
  dims: number[];
  data: Uint8Array; // a view into the (decompressed) input, no copy
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/** Parses one unsigned-byte IDX array with one of the allowed dimension counts. */
export function parseIdx(bytes: Uint8Array, field: string, allowedDims: readonly number[], maxBytes = DEFAULT_MAX_BYTES): IdxArray {
  const raw = maybeGunzip(bytes, field, maxBytes);
  if (raw.length < 4) {
    throw new DatasetError('bad_length', field, `${field}: ${raw.length} bytes is too short for an IDX header`);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const magic = view.getUint32(0);
  const ndims = raw[3]!;
  if (raw[0] !== 0 || raw[1] !== 0 || raw[2] !== 0x08 || !allowedDims.includes(ndims)) {
    const wanted = allowedDims.map((d) => hex(0x0800 + d)).join(' or ');
    const hint =
      magic === IDX_LABELS_MAGIC
        ? ' (that is an IDX label file)'
        : magic === IDX_IMAGES_MAGIC
          ? ' (that is an IDX image file)'
          : raw[0] === 0 && raw[1] === 0 && raw[2] !== 0x08
            ? ` (IDX element type 0x${raw[2]!.toString(16)} is not unsigned byte)`
            : '';
    throw new DatasetError('bad_magic', field, `${field}: IDX magic number ${hex(magic)}${hint}; expected ${wanted}`);
  }
  const headerBytes = 4 + 4 * ndims;
  if (raw.length < headerBytes) {
    throw new DatasetError('bad_length', field, `${field}: ${raw.length} bytes is too short for an IDX header with ${ndims} dimensions`);
  }
  const dims: number[] = [];
  let elements = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i);
    dims.push(d);
    elements *= d;
  }
  const expected = headerBytes + elements;
  if (raw.length !== expected) {
    const what = raw.length < expected ? 'truncated' : 'has trailing bytes';
    throw new DatasetError(
      'bad_length',
      field,
      `${field}: IDX header says [${dims.join(', ')}] = ${expected} bytes but the file has ${raw.length} (${what})`,
    );
  }
  return { dims, data: raw.subarray(headerBytes) };
}

export interface IdxDatasetOptions {
  /** Expected [c, h, w]; must match the image file's dimensions. */
  shape?: ImageShape;
  /** Number of classes; default max label + 1. */
  classes?: number;
  /** Cap on each file's decompressed size. */
  maxBytes?: number;
}

/** An IDX image file and an IDX label file -> Dataset (images as Uint8Array 0-255). */
export function parseIdxDataset(images: Uint8Array, labels: Uint8Array, opts: IdxDatasetOptions = {}): Dataset {
  const img = parseIdx(images, 'images', [3, 4], opts.maxBytes);
  const lab = parseIdx(labels, 'labels', [1], opts.maxBytes);
  const [n, ...rest] = img.dims as [number, ...number[]];
  const fileShape: ImageShape = rest.length === 2 ? [1, rest[0]!, rest[1]!] : [rest[0]!, rest[1]!, rest[2]!];
  if (fileShape.some((d) => d === 0)) {
    throw new DatasetError('bad_shape', 'images', `images: IDX image dimensions [${img.dims.join(', ')}] contain a zero`);
  }
  if (opts.shape !== undefined) {
    checkShape(opts.shape);
    if (opts.shape.some((d, i) => d !== fileShape[i])) {
      throw new DatasetError(
        'dimension_mismatch',
        'shape',
        `shape [${opts.shape.join(', ')}] does not match the IDX images' [${fileShape.join(', ')}]`,
      );
    }
  }
  if (n === 0) throw new DatasetError('empty', 'images', 'images: the IDX file holds no images');
  const count = lab.dims[0]!;
  if (count !== n) {
    throw new DatasetError('count_mismatch', 'labels', `labels: ${count} labels for ${n} images`);
  }
  const classes = resolveClasses(lab.data, opts.classes, 'labels');
  return { shape: fileShape, classes, count: n, images: img.data, labels: lab.data };
}

/** Writes an IDX file (unsigned byte) with the given dimensions: the inverse of parseIdx, for tests and exports. */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x0800 + dims.length);
  dims.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d);
  });
  out.set(data, header);
  return out;
}
