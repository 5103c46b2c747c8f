// CSV datasets: one sample a line, `label,p0,p1,...`, pixels in CHW order.
//
// - An optional header line is recognised by a cell that is not a number
//   (e.g. `label,pixel0,pixel1,...`); it must have the same number of columns.
// - Blank lines are skipped; `\r\n` endings, a UTF-8 BOM and spaces around cells are fine.
// - Every cell follows one number grammar (NUMBER below): an optional sign, digits with an optional
//   fraction (or a fraction alone), an optional exponent; the value must fit a float32. So `0x10`,
//   `0b11`, `1_000`, `Infinity` and `1e39` are refused, naming the line and column.
// - Labels are integers in [0, 255]. At most 65,535 columns.
// - pixels 'auto' (default): when every pixel is an integer in [0, 255] the images
//   are a Uint8Array (trainers see x/255), otherwise a Float32Array used as given.
//   'bytes' demands 0-255 integers; 'float' always keeps a Float32Array.
// - Without `shape`, n pixel columns give [1, s, s] when n = s*s, else [1, 1, n].
// Errors name the 1-based line and column (column 1 is the label).
import { maybeGunzip, DEFAULT_MAX_BYTES } from './gzip.js';
import { DatasetError, checkShape, resolveClasses, sampleSize, type Dataset, type DatasetErrorCode, type ImageShape } from './types.js';

export type PixelMode = 'auto' | 'bytes' | 'float';

export interface CsvOptions {
  shape?: ImageShape;
  classes?: number;
  pixels?: PixelMode;
  maxBytes?: number;
}

const FIELD = 'csv';

function fail(code: DatasetErrorCode, line: number, column: number | undefined, message: string): never {
  const where = column === undefined ? `line ${line}` : `line ${line}, column ${column}`;
  throw new DatasetError(code, FIELD, `csv ${where}: ${message}`, column === undefined ? { line } : { line, column });
}

export function parseCsvDataset(input: Uint8Array | string, opts: CsvOptions = {}): Dataset {
  const text =
    typeof input === 'string' ? input : new TextDecoder('utf-8').decode(maybeGunzip(input, FIELD, opts.maxBytes ?? DEFAULT_MAX_BYTES));
  const lines = text.split('\n');
  if (lines[0]?.charCodeAt(0) === 0xfeff) lines[0] = lines[0].slice(1);
  const mode: PixelMode = opts.pixels ?? 'auto';

  // Find the first non-blank line; decide whether it is a header.
  let first = 0;
  while (first < lines.length && lines[first]!.trim() === '') first++;
  if (first === lines.length) fail('empty', 1, undefined, 'no data lines');
  const firstCells = lines[first]!.split(',');
  const isHeader = firstCells.some((c) => !isNumberCell(c));
  const width = firstCells.length;
  if (width > MAX_COLUMNS) fail('bad_length', first + 1, undefined, `${width} columns; at most ${MAX_COLUMNS} (label + pixels)`);
  if (width < 2) fail('bad_length', first + 1, undefined, 'a line needs a label and at least one pixel (label,p0,p1,...)');
  const pixelsPerRow = width - 1;

  let shape: ImageShape;
  if (opts.shape !== undefined) {
    checkShape(opts.shape);
    shape = opts.shape;
    if (sampleSize(shape) !== pixelsPerRow) {
      fail(
        'dimension_mismatch',
        first + 1,
        undefined,
        `${pixelsPerRow} pixel columns but shape [${shape.join(', ')}] needs ${sampleSize(shape)}`,
      );
    }
  } else {
    const side = Math.round(Math.sqrt(pixelsPerRow));
    shape = side * side === pixelsPerRow ? [1, side, side] : [1, 1, pixelsPerRow];
  }

  const start = isHeader ? first + 1 : first;
  let rows = 0;
  for (let i = start; i < lines.length; i++) if (lines[i]!.trim() !== '') rows++;
  if (rows === 0) fail('empty', start + 1, undefined, 'no data lines after the header');

  const values = new Float32Array(rows * pixelsPerRow);
  const labels = new Uint8Array(rows);
  let allBytes = true;
  let r = 0;
  for (let i = start; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const cells = line.split(',');
    if (cells.length !== width) {
      fail(
        'bad_length',
        i + 1,
        undefined,
        `${cells.length} columns, expected ${width} (label + ${pixelsPerRow} pixels${isHeader ? ', as the header' : `, as line ${first + 1}`})`,
      );
    }
    const label = parseNumber(cells[0]!);
    if (label === undefined || !Number.isInteger(label) || label < 0 || label > 255) {
      fail('bad_value', i + 1, 1, `label ${JSON.stringify(cells[0]!.trim())} is not an integer in [0, 255]`);
    }
    labels[r] = label;
    const base = r * pixelsPerRow;
    for (let j = 1; j < width; j++) {
      const cell = cells[j]!;
      const v = parseNumber(cell);
      if (v === undefined) {
        fail('bad_value', i + 1, j + 1, `${JSON.stringify(cell.trim())} is not a number (such as 12, -0.5, 1e-3) within float32 range`);
      }
      if (allBytes && !(Number.isInteger(v) && v >= 0 && v <= 255)) {
        if (mode === 'bytes') fail('bad_value', i + 1, j + 1, `${cell.trim()} is not an integer pixel in [0, 255]`);
        allBytes = false;
      }
      values[base + j - 1] = v;
    }
    r++;
  }

  let classes: number;
  try {
    classes = resolveClasses(labels, opts.classes, 'labels');
  } catch (err) {
    if (err instanceof DatasetError && err.code === 'label_out_of_range' && err.field === 'labels') {
      const index = labels.findIndex((l) => l >= opts.classes!);
      fail(
        'label_out_of_range',
        dataLineNumber(lines, start, index),
        1,
        `label ${labels[index]} is out of range for ${opts.classes} classes`,
      );
    }
    throw err;
  }
  const images = allBytes && mode !== 'float' ? Uint8Array.from(values) : values;
  return { shape, classes, count: rows, images, labels };
}

const MAX_COLUMNS = 65_535;
/** The one grammar of a CSV number (decimal only: Number() alone would take 0x10, 0b11, '' and Infinity). */
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const FLOAT32_MAX = 3.4028234663852886e38;

/** The cell's value, or undefined when it is not a number of the grammar or overflows a float32. */
function parseNumber(cell: string): number | undefined {
  const t = cell.trim();
  if (!NUMBER.test(t)) return undefined;
  const v = Number(t);
  return Math.abs(v) <= FLOAT32_MAX ? v : undefined;
}

/** Header detection: a line with a word in it (`label`, `pixel0`). A malformed number such as
 *  0x10 or 1e39 is not a word: its line is data, and refused by parseNumber with its column. */
function isNumberCell(cell: string): boolean {
  const t = cell.trim();
  return t !== '' && !Number.isNaN(Number(t));
}

/** 1-based line number of the index-th non-blank line from `start`. */
function dataLineNumber(lines: string[], start: number, index: number): number {
  let seen = -1;
  for (let i = start; i < lines.length; i++) {
    if (lines[i]!.trim() !== '' && ++seen === index) return i + 1;
  }
  return lines.length;
}
