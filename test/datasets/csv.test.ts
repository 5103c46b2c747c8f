import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseCsvDataset, parseUpload } from '../../src/datasets/index.js';
import { errorOf } from './helpers.js';

describe('CSV parser', () => {
  it('parses label,p0,... with a header into Uint8Array pixels and infers a square shape', () => {
    const csv = 'label,p0,p1,p2,p3\n1,0,255,3,4\n0,9,8,7,6\n\n';
    const ds = parseUpload({ csv: new TextEncoder().encode(csv) });
    expect(ds.shape).toEqual([1, 2, 2]);
    expect(ds.count).toBe(2);
    expect(ds.classes).toBe(2);
    expect(ds.images).toBeInstanceOf(Uint8Array);
    expect(Array.from(ds.images)).toEqual([0, 255, 3, 4, 9, 8, 7, 6]);
    expect(Array.from(ds.labels)).toEqual([1, 0]);
  });

  it('parses without a header, with CRLF, BOM, spaces and gzip; non-square widths become [1, 1, n]', () => {
    const csv = '\ufeff2, 0.5,1.25,-3\r\n0,1,2,3\r\n';
    const ds = parseCsvDataset(gzipSync(Buffer.from(csv)), { classes: 5 });
    expect(ds.shape).toEqual([1, 1, 3]);
    expect(ds.classes).toBe(5);
    expect(ds.images).toBeInstanceOf(Float32Array);
    expect(Array.from(ds.images)).toEqual([0.5, 1.25, -3, 1, 2, 3]);
  });

  it('honours shape and the pixels mode', () => {
    const csv = '3,1,2,3,4,5,6\n';
    expect(parseCsvDataset(csv, { shape: [2, 1, 3] }).shape).toEqual([2, 1, 3]);
    expect(parseCsvDataset(csv, { pixels: 'float' }).images).toBeInstanceOf(Float32Array);
    const err = errorOf(() => parseCsvDataset('0,1,2\n1,3,300\n', { pixels: 'bytes' }));
    expect(err.message).toBe('csv line 2, column 3: 300 is not an integer pixel in [0, 255]');
  });

  it('names line and column for a cell that is not a number', () => {
    const err = errorOf(() => parseCsvDataset('label,a,b\n0,1,2\n1,x,3\n'));
    expect(err.code).toBe('bad_value');
    expect(err.field).toBe('csv');
    expect([err.line, err.column]).toEqual([3, 2]);
    expect(err.message).toBe('csv line 3, column 2: "x" is not a number (such as 12, -0.5, 1e-3) within float32 range');
    expect(errorOf(() => parseCsvDataset('0,1,2\n1,,3\n')).column).toBe(2);
    expect(errorOf(() => parseCsvDataset('0,1,2\n1,Infinity,3\n')).column).toBe(2);
  });

  it('reads every number by one decimal grammar: hex, binary, separators and float32 overflow are refused where they are', () => {
    for (const cell of ['0x10', '0b11', '0o7', '1_000', '1e39', '-3.5e38', 'NaN', '+', '1e', '.']) {
      const err = errorOf(() => parseCsvDataset(`0,1,2\n1,${cell},3\n`));
      expect([err.code, err.line, err.column], cell).toEqual(['bad_value', 2, 2]);
    }
    // A malformed number on the first line is data (refused), never mistaken for a header.
    expect([errorOf(() => parseCsvDataset('0,0x10,2\n1,2,3\n')).line, errorOf(() => parseCsvDataset('0,0x10,2\n')).column]).toEqual([1, 2]);
    expect(errorOf(() => parseCsvDataset('0x1,1,2\n')).column).toBe(1);
    const ok = parseCsvDataset('0, +1.5 ,.25\n1,2.,-3e-2\n1,3.4e38,1E2\n');
    expect(Array.from(ok.images)).toEqual([1.5, 0.25, 2, -0.03, 3.4e38, 100].map(Math.fround));
  });

  it('refuses more than 65,535 columns with a 400-style error, not a crash', () => {
    const row = ['1', ...Array(65_535).fill('3')].join(',');
    const err = errorOf(() => parseCsvDataset(`${row}\n`));
    expect(err.code).toBe('bad_length');
    expect(err.message).toContain('65536 columns; at most 65535');
  });

  it('rejects bad labels and labels out of range, naming the line', () => {
    const frac = errorOf(() => parseCsvDataset('0,1,2\n1.5,1,2\n'));
    expect([frac.line, frac.column]).toEqual([2, 1]);
    expect(errorOf(() => parseCsvDataset('0,1,2\n-1,1,2\n')).line).toBe(2);
    expect(errorOf(() => parseCsvDataset('0,1,2\n256,1,2\n')).code).toBe('bad_value');
    const range = errorOf(() => parseCsvDataset('0,1,2\n\n4,1,2\n', { classes: 3 }));
    expect(range.code).toBe('label_out_of_range');
    expect([range.line, range.column]).toEqual([3, 1]);
  });

  it('rejects rows of the wrong width and shapes that do not fit', () => {
    const width = errorOf(() => parseCsvDataset('label,a,b\n0,1,2\n1,2\n'));
    expect(width.code).toBe('bad_length');
    expect(width.line).toBe(3);
    expect(width.message).toContain('2 columns, expected 3');
    const shape = errorOf(() => parseCsvDataset('0,1,2,3\n', { shape: [1, 2, 2] }));
    expect(shape.code).toBe('dimension_mismatch');
    expect(errorOf(() => parseCsvDataset('\n\n')).code).toBe('empty');
    expect(errorOf(() => parseCsvDataset('label,a\n')).code).toBe('empty');
    expect(errorOf(() => parseCsvDataset('5\n')).code).toBe('bad_length');
  });
});
