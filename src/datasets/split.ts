// Deterministic, class-balanced ordering and slicing.
//
// balancedOrder spreads each class evenly over the whole order: the i-th of a
// class's n samples gets the key (i + 0.5) / n, and samples are sorted by key,
// ties broken by class. With equal class sizes this is plain round-robin
// (class 0, 1, ..., 9, 0, 1, ...); with unequal sizes every prefix and every
// contiguous window still holds each class in proportion to its size. Within
// a class, samples keep their stored order. So "the first N" is a
// class-balanced subset, and a validation slice from the end is too.
import { DatasetError, sampleSize, type Dataset } from './types.js';

/** Indices of `labels` in class-balanced order (see above). */
export function balancedOrder(labels: Uint8Array, classes: number): Uint32Array {
  const perClass = new Uint32Array(classes);
  for (let i = 0; i < labels.length; i++) perClass[labels[i]!]!++;
  const seen = new Uint32Array(classes);
  const keys = new Float64Array(labels.length);
  const order = new Uint32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    keys[i] = (seen[c]!++ + 0.5) / perClass[c]!;
    order[i] = i;
  }
  order.sort((a, b) => keys[a]! - keys[b]! || labels[a]! - labels[b]! || a - b);
  return order;
}

/** A new dataset holding the samples at `indices`, in that order (copies). */
export function gather(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const size = sampleSize(ds.shape);
  const images = ds.images instanceof Float32Array ? new Float32Array(indices.length * size) : new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (!(i >= 0 && i < ds.count)) throw new RangeError(`index ${i} at position ${k} is outside [0, ${ds.count})`);
    images.set(ds.images.subarray(i * size, (i + 1) * size), k * size);
    labels[k] = ds.labels[i]!;
  }
  return { shape: [...ds.shape], classes: ds.classes, count: indices.length, images, labels };
}

/** Samples [start, end) as views into `ds` (no copy). */
export function sliceDataset(ds: Dataset, start: number, end: number): Dataset {
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= ds.count)) {
    throw new RangeError(`slice [${start}, ${end}) is outside [0, ${ds.count}]`);
  }
  const size = sampleSize(ds.shape);
  return {
    shape: [...ds.shape],
    classes: ds.classes,
    count: end - start,
    images: ds.images.subarray(start * size, end * size),
    labels: ds.labels.subarray(start, end),
  };
}

export interface SplitOptions {
  /** Keep the first N training samples (of the class-balanced order). Default all. */
  trainSize?: number;
  /** Keep the first N test samples (0 = no test set). Default all. */
  testSize?: number;
  /** Fraction in [0, 1) of the (trimmed) training samples moved, from its end, into a validation set. */
  validationSplit?: number;
}

export interface Splits {
  train: Dataset;
  test: Dataset;
  validation?: Dataset;
}

/**
 * Applies trainSize, testSize and validationSplit to datasets that are already
 * in class-balanced order. validation = the last round(trainSize * split)
 * training samples (as Keras' validation_split); train keeps the rest. Views, no copies.
 */
export function applySplit(train: Dataset, test: Dataset, opts: SplitOptions = {}): Splits {
  const trainSize = checkSize(opts.trainSize, train.count, 'trainSize');
  const testSize = checkSize(opts.testSize, test.count, 'testSize', 0);
  const split = opts.validationSplit ?? 0;
  if (!(typeof split === 'number' && split >= 0 && split < 1)) {
    throw new DatasetError('bad_value', 'validationSplit', `validationSplit must be a number in [0, 1), got ${split}`);
  }
  const valCount = Math.round(trainSize * split);
  if (split > 0 && trainSize - valCount < 1) {
    throw new DatasetError('bad_value', 'validationSplit', `validationSplit ${split} leaves no training samples out of ${trainSize}`);
  }
  const out: Splits = {
    train: sliceDataset(train, 0, trainSize - valCount),
    test: sliceDataset(test, 0, testSize),
  };
  if (valCount > 0) out.validation = sliceDataset(train, trainSize - valCount, trainSize);
  return out;
}

function checkSize(value: number | undefined, available: number, field: string, min = 1): number {
  if (value === undefined) return available;
  if (!Number.isInteger(value) || value < min || value > available) {
    throw new DatasetError('bad_value', field, `${field} must be an integer in [${min}, ${available}], got ${value}`);
  }
  return value;
}
