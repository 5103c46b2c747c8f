import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeIdx, parseUpload, parseIdxDataset } from '../../src/datasets/index.js';
import { errorOf, synthetic } from './helpers.js';

const ds = synthetic(5, [1, 3, 2], 3);
const imagesIdx = encodeIdx([5, 3, 2], ds.images as Uint8Array);
const labelsIdx = encodeIdx([5], ds.labels);

describe('IDX parser', () => {
  it('parses images 0x00000803 and labels 0x00000801', () => {
    expect(Array.from(imagesIdx.subarray(0, 4))).toEqual([0, 0, 8, 3]);
    const out = parseIdxDataset(imagesIdx, labelsIdx);
    expect(out.shape).toEqual([1, 3, 2]);
    expect(out.count).toBe(5);
    expect(out.classes).toBe(3);
    expect(Array.from(out.images)).toEqual(Array.from(ds.images));
    expect(Array.from(out.labels)).toEqual([0, 1, 2, 0, 1]);
  });

  it('reads gzipped files, detected by 1f 8b, each independently', () => {
    const out = parseUpload({ images: gzipSync(imagesIdx), labels: labelsIdx });
    expect(Array.from(out.images)).toEqual(Array.from(ds.images));
    const both = parseUpload({ images: gzipSync(imagesIdx), labels: gzipSync(labelsIdx) }, { classes: 4 });
    expect(both.classes).toBe(4);
    expect(Array.from(both.labels)).toEqual(Array.from(ds.labels));
  });

  it('reads 4-dimensional images 0x00000804 as [c, h, w]', () => {
    const out = parseIdxDataset(encodeIdx([2, 3, 1, 2], new Uint8Array(12).fill(9)), encodeIdx([2], new Uint8Array([1, 0])));
    expect(out.shape).toEqual([3, 1, 2]);
    expect(out.classes).toBe(2);
  });

  it('rejects a label file given as images, and garbage, by magic number', () => {
    const swapped = errorOf(() => parseIdxDataset(labelsIdx, imagesIdx));
    expect(swapped.code).toBe('bad_magic');
    expect(swapped.field).toBe('images');
    expect(swapped.message).toContain('0x00000801');
    expect(swapped.message).toContain('label file');
    const garbage = errorOf(() => parseIdxDataset(imagesIdx, new Uint8Array([0x50, 0x4b, 3, 4, 0, 0])));
    expect(garbage.code).toBe('bad_magic');
    expect(garbage.field).toBe('labels');
    const floats = errorOf(() => parseIdxDataset(new Uint8Array([0, 0, 0x0d, 3, 0, 0, 0, 0]), labelsIdx));
    expect(floats.message).toContain('not unsigned byte');
  });

  it('rejects truncated files and trailing bytes', () => {
    const short = errorOf(() => parseIdxDataset(imagesIdx.subarray(0, imagesIdx.length - 1), labelsIdx));
    expect(short.code).toBe('bad_length');
    expect(short.message).toMatch(/truncated/);
    const long = new Uint8Array(imagesIdx.length + 3);
    long.set(imagesIdx);
    expect(errorOf(() => parseIdxDataset(long, labelsIdx)).message).toMatch(/trailing/);
    expect(errorOf(() => parseIdxDataset(imagesIdx.subarray(0, 6), labelsIdx)).code).toBe('bad_length');
    expect(errorOf(() => parseIdxDataset(new Uint8Array(2), labelsIdx)).code).toBe('bad_length');
  });

  it('rejects a shape that does not match the file', () => {
    const err = errorOf(() => parseUpload({ images: imagesIdx, labels: labelsIdx }, { shape: [1, 2, 3] }));
    expect(err.code).toBe('dimension_mismatch');
    expect(err.field).toBe('shape');
    expect(parseUpload({ images: imagesIdx, labels: labelsIdx }, { shape: [1, 3, 2] }).count).toBe(5);
  });

  it('rejects different image and label counts', () => {
    const err = errorOf(() => parseIdxDataset(imagesIdx, encodeIdx([4], new Uint8Array(4))));
    expect(err.code).toBe('count_mismatch');
    expect(err.message).toBe('labels: 4 labels for 5 images');
  });

  it('rejects labels out of range for the given classes, naming the index', () => {
    const err = errorOf(() => parseIdxDataset(imagesIdx, labelsIdx, { classes: 2 }));
    expect(err.code).toBe('label_out_of_range');
    expect(err.message).toContain('labels[2] = 2');
  });

  it('rejects an empty file and corrupt or oversized gzip', () => {
    expect(errorOf(() => parseIdxDataset(encodeIdx([0, 3, 2], new Uint8Array(0)), encodeIdx([0], new Uint8Array(0)))).code).toBe('empty');
    const gz = gzipSync(imagesIdx);
    const corrupt = gz.subarray(0, gz.length - 6);
    const bad = errorOf(() => parseIdxDataset(corrupt, labelsIdx));
    expect(bad.code).toBe('bad_gzip');
    expect(bad.field).toBe('images');
    const bomb = gzipSync(new Uint8Array(1 << 20));
    expect(errorOf(() => parseIdxDataset(bomb, labelsIdx, { maxBytes: 1000 })).code).toBe('too_large');
  });
});
