// What POST /v1/datasets and inline job datasets turn into a Dataset.
import { parseCsvDataset, type PixelMode } from './csv.js';
import { parseIdxDataset } from './idx.js';
import { DatasetError, MAX_CLASSES, checkShape, resolveClasses, sampleSize, type Dataset, type ImageShape } from './types.js';

/** IDX images + labels, or a CSV; `field` names the request part the CSV came from (errors name it). */
export type UploadInput = { images: Uint8Array; labels: Uint8Array } | { csv: Uint8Array | string; field?: string };

export interface UploadOptions {
  /** Expected [c, h, w]. IDX: must match the file; CSV: must match the column count. */
  shape?: ImageShape;
  /** Number of classes; default max label + 1. */
  classes?: number;
  /** Cap on decompressed bytes per file (gzip bombs). */
  maxBytes?: number;
  /** CSV only, see csv.ts. */
  pixels?: PixelMode;
}

/**
 * IDX images + labels (each optionally gzipped) or a CSV (optionally gzipped)
 * -> Dataset with `classes` set. Throws DatasetError (code, field, and for CSV
 * line/column) on anything malformed. IDX arrays are views into the input.
 */
export function parseUpload(input: UploadInput, opts: UploadOptions = {}): Dataset {
  if ('csv' in input) {
    try {
      return parseCsvDataset(input.csv, opts);
    } catch (err) {
      throw err instanceof DatasetError && input.field ? err.within(input.field) : err;
    }
  }
  if (!(input.images instanceof Uint8Array))
    throw new DatasetError('bad_value', 'images', 'images: expected the bytes of an IDX image file');
  if (!(input.labels instanceof Uint8Array))
    throw new DatasetError('bad_value', 'labels', 'labels: expected the bytes of an IDX label file');
  return parseIdxDataset(input.images, input.labels, opts);
}

/**
 * Number arrays (a job's `inline` dataset) -> Dataset. Each sample has C*H*W
 * numbers; pixels as in CSV ('auto': all integers 0-255 -> Uint8Array, else
 * Float32Array as given). Errors name `samples[i][j]` / `labels[i]`.
 */
export function datasetFromArrays(
  input: { shape: ImageShape; samples: ArrayLike<ArrayLike<number>>; labels: ArrayLike<number> },
  opts: { classes?: number; pixels?: PixelMode } = {},
): Dataset {
  checkShape(input.shape);
  const size = sampleSize(input.shape);
  const count = input.samples.length;
  if (count === 0) throw new DatasetError('empty', 'samples', 'samples: at least one sample is needed');
  if (input.labels.length !== count) {
    throw new DatasetError('count_mismatch', 'labels', `labels: ${input.labels.length} labels for ${count} samples`);
  }
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const l = input.labels[i]!;
    if (!Number.isInteger(l) || l < 0 || l >= (opts.classes ?? MAX_CLASSES)) {
      throw new DatasetError(
        'label_out_of_range',
        `labels[${i}]`,
        `labels[${i}] = ${l} is not an integer in [0, ${(opts.classes ?? MAX_CLASSES) - 1}]`,
      );
    }
    labels[i] = l;
  }
  const values = new Float32Array(count * size);
  let allBytes = true;
  for (let i = 0; i < count; i++) {
    const s = input.samples[i]!;
    if (s.length !== size) {
      throw new DatasetError(
        'dimension_mismatch',
        `samples[${i}]`,
        `samples[${i}] has ${s.length} values; shape [${input.shape.join(', ')}] needs ${size}`,
      );
    }
    for (let j = 0; j < size; j++) {
      const v = s[j]!;
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new DatasetError('bad_value', `samples[${i}][${j}]`, `samples[${i}][${j}] = ${v} is not a finite number`);
      }
      if (allBytes && !(Number.isInteger(v) && v >= 0 && v <= 255)) {
        if (opts.pixels === 'bytes')
          throw new DatasetError('bad_value', `samples[${i}][${j}]`, `samples[${i}][${j}] = ${v} is not an integer pixel in [0, 255]`);
        allBytes = false;
      }
      values[i * size + j] = v;
    }
  }
  const images = allBytes && opts.pixels !== 'float' ? Uint8Array.from(values) : values;
  return { shape: [...input.shape], classes: resolveClasses(labels, opts.classes, 'labels'), count, images, labels };
}
