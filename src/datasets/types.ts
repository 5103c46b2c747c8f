// The compact dataset type shared by builtins, uploads, Redis and the trainers.
//
// Layout (see README.md): `images` holds `count` samples back to back, each
// C*H*W values in CHW order (channel, then row, then column), so sample i
// starts at i * C*H*W. Uint8Array images are pixels 0-255 (trainers see x/255);
// Float32Array images are used as given. `labels[i]` is the class of sample i,
// an integer in [0, classes).

export type ImageShape = [channels: number, height: number, width: number];

export interface Dataset {
  shape: ImageShape;
  classes: number;
  count: number;
  images: Uint8Array | Float32Array;
  labels: Uint8Array;
}

/** What went wrong, for callers that map errors to HTTP problem details. */
export type DatasetErrorCode =
  | 'bad_magic'
  | 'bad_length'
  | 'bad_shape'
  | 'dimension_mismatch'
  | 'count_mismatch'
  | 'label_out_of_range'
  | 'bad_value'
  | 'empty'
  | 'too_large'
  | 'bad_gzip'
  | 'unsupported_version';

/**
 * A dataset that cannot be parsed or is inconsistent. `field` names the part of
 * the input at fault ('images', 'labels', 'csv', 'shape', 'classes', 'bytes');
 * CSV errors also carry 1-based `line` and `column`.
 */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  readonly code: DatasetErrorCode;
  readonly field: string;
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(code: DatasetErrorCode, field: string, message: string, where?: { line: number; column?: number }) {
    super(message);
    this.code = code;
    this.field = field;
    this.line = where?.line;
    this.column = where?.column;
  }

  /** The same error, its field inside `part` (`row 3` of the request part `file` -> `file/row 3`). */
  within(part: string): DatasetError {
    const where = this.line === undefined ? undefined : { line: this.line, ...(this.column !== undefined ? { column: this.column } : {}) };
    return new DatasetError(this.code, `${part}/${this.field}`, this.message, where);
  }
}

/** Largest number of classes a Uint8Array label can name. */
export const MAX_CLASSES = 256;

export function sampleSize(shape: ImageShape): number {
  return shape[0] * shape[1] * shape[2];
}

/** Throws DatasetError unless `shape` is three positive integers (each at most 65,535). */
export function checkShape(shape: unknown, field = 'shape'): asserts shape is ImageShape {
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d >= 1 && d <= 65_535)) {
    throw new DatasetError(
      'bad_shape',
      field,
      `${field} must be [channels, height, width] with positive integers, got ${JSON.stringify(shape)}`,
    );
  }
}

/**
 * Checks every invariant of the type: shape, lengths, classes and that every
 * label is below `classes`. Throws DatasetError naming the first problem.
 */
export function validateDataset(ds: Dataset): Dataset {
  checkShape(ds.shape);
  const size = sampleSize(ds.shape);
  if (!Number.isInteger(ds.count) || ds.count < 0) {
    throw new DatasetError('count_mismatch', 'count', `count must be a non-negative integer, got ${ds.count}`);
  }
  if (!Number.isInteger(ds.classes) || ds.classes < 1 || ds.classes > MAX_CLASSES) {
    throw new DatasetError('label_out_of_range', 'classes', `classes must be an integer in [1, ${MAX_CLASSES}], got ${ds.classes}`);
  }
  if (!(ds.images instanceof Uint8Array) && !(ds.images instanceof Float32Array)) {
    throw new DatasetError('bad_value', 'images', 'images must be a Uint8Array or a Float32Array');
  }
  if (ds.images.length !== ds.count * size) {
    throw new DatasetError(
      'bad_length',
      'images',
      `images has ${ds.images.length} values; ${ds.count} samples of ${ds.shape.join('x')} need ${ds.count * size}`,
    );
  }
  if (!(ds.labels instanceof Uint8Array) || ds.labels.length !== ds.count) {
    throw new DatasetError('count_mismatch', 'labels', `labels must be a Uint8Array of ${ds.count} entries, got ${ds.labels?.length}`);
  }
  checkLabels(ds.labels, ds.classes, 'labels');
  return ds;
}

/** Throws DatasetError naming the first label >= classes. */
export function checkLabels(labels: Uint8Array, classes: number, field: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! >= classes) {
      throw new DatasetError(
        'label_out_of_range',
        field,
        `${field}[${i}] = ${labels[i]} is out of range for ${classes} classes (0..${classes - 1})`,
      );
    }
  }
}

/** classes given by the caller (checked against the labels), else max label + 1. */
export function resolveClasses(labels: Uint8Array, classes: number | undefined, field: string): number {
  if (classes !== undefined) {
    if (!Number.isInteger(classes) || classes < 1 || classes > MAX_CLASSES) {
      throw new DatasetError('label_out_of_range', 'classes', `classes must be an integer in [1, ${MAX_CLASSES}], got ${classes}`);
    }
    checkLabels(labels, classes, field);
    return classes;
  }
  let max = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]! > max) max = labels[i]!;
  return max + 1;
}
