import { describe, expect, it } from 'vitest';
import {
  DatasetError,
  applySplit,
  balancedOrder,
  datasetFromArrays,
  gather,
  gatherLabels,
  toFloatBatch,
  type Dataset,
} from '../../src/datasets/index.js';
import { synthetic } from './helpers.js';

function labelled(counts: number[]): Dataset {
  const labels = Uint8Array.from(counts.flatMap((n, c) => Array<number>(n).fill(c)));
  const images = Uint8Array.from(labels, (_, i) => i % 256);
  return { shape: [1, 1, 1], classes: counts.length, count: labels.length, images, labels };
}

function histogram(labels: ArrayLike<number>, classes: number): number[] {
  const h = Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) h[labels[i]!]!++;
  return h;
}

describe('balancedOrder', () => {
  it('is round-robin for equal class sizes and keeps each class in stored order', () => {
    const ds = labelled([3, 3, 3]);
    const order = balancedOrder(ds.labels, 3);
    expect(Array.from(order)).toEqual([0, 3, 6, 1, 4, 7, 2, 5, 8]);
  });

  it('keeps every prefix in proportion for unequal class sizes', () => {
    const counts = [100, 40, 10];
    const ds = labelled(counts);
    const ordered = gather(ds, balancedOrder(ds.labels, 3));
    expect(ordered.count).toBe(150);
    expect(histogram(ordered.labels, 3)).toEqual(counts);
    for (const n of [15, 30, 75]) {
      const h = histogram(ordered.labels.subarray(0, n), 3);
      counts.forEach((c, k) => {
        expect(Math.abs(h[k]! - (c * n) / 150)).toBeLessThanOrEqual(1);
      });
    }
  });
});

describe('applySplit', () => {
  const train = gather(labelled([60, 60, 60]), balancedOrder(labelled([60, 60, 60]).labels, 3));
  const test = gather(labelled([10, 10, 10]), balancedOrder(labelled([10, 10, 10]).labels, 3));

  it('takes first-N prefixes and a validation slice from the end of the trimmed train set', () => {
    const s = applySplit(train, test, { trainSize: 30, testSize: 6, validationSplit: 0.2 });
    expect(s.train.count).toBe(24);
    expect(s.validation?.count).toBe(6);
    expect(s.test.count).toBe(6);
    expect(histogram(s.validation!.labels, 3)).toEqual([2, 2, 2]);
    expect(histogram(s.test.labels, 3)).toEqual([2, 2, 2]);
    expect(s.validation!.labels[0]).toBe(train.labels[24]);
    expect(applySplit(train, test).validation).toBeUndefined();
  });

  it('rejects sizes out of range', () => {
    expect(() => applySplit(train, test, { trainSize: 181 })).toThrow(DatasetError);
    expect(() => applySplit(train, test, { testSize: 31 })).toThrow(/testSize/);
    expect(() => applySplit(train, test, { trainSize: 0 })).toThrow(/trainSize/);
    expect(applySplit(train, test, { testSize: 0 }).test.count).toBe(0);
    expect(() => applySplit(train, test, { validationSplit: 1 })).toThrow(/validationSplit/);
    expect(() => applySplit(train, test, { trainSize: 1, validationSplit: 0.6 })).toThrow(/no training samples/);
  });
});

describe('toFloatBatch / gatherLabels', () => {
  const ds = synthetic(10, [1, 2, 2], 3);

  it('writes x/255 in NCHW order for the given indices and range, into the caller buffer', () => {
    const out = new Float32Array(8).fill(-1);
    const indices = Uint32Array.from([9, 2, 5]);
    expect(toFloatBatch(ds, indices, out, 1, 3)).toBe(2);
    expect(Array.from(out)).toEqual(
      Array.from(ds.images.subarray(8, 12))
        .concat(Array.from(ds.images.subarray(20, 24)))
        .map((v) => Math.fround(v / 255)),
    );
    const labels = new Int32Array(3);
    expect(gatherLabels(ds, indices, labels)).toBe(3);
    expect(Array.from(labels)).toEqual([0, 2, 2]);
  });

  it('copies float32 images as given', () => {
    const f = datasetFromArrays({
      shape: [1, 1, 2],
      samples: [
        [0.5, -2],
        [3.5, 1],
      ],
      labels: [1, 0],
    });
    const out = new Float32Array(2);
    toFloatBatch(f, [1], out);
    expect(Array.from(out)).toEqual([3.5, 1]);
  });

  it('rejects a short buffer and out-of-range indices', () => {
    expect(() => toFloatBatch(ds, [0, 1], new Float32Array(7))).toThrow(RangeError);
    expect(() => toFloatBatch(ds, [10], new Float32Array(4))).toThrow(/outside/);
    expect(() => toFloatBatch(ds, [1.5], new Float32Array(4))).toThrow(/outside/);
    expect(() => gatherLabels(ds, [-1], new Int32Array(1))).toThrow(/outside/);
  });
});

describe('datasetFromArrays', () => {
  it('builds uint8 images from 0-255 integers and names the bad element', () => {
    const ds = datasetFromArrays({
      shape: [1, 1, 2],
      samples: [
        [0, 255],
        [3, 4],
      ],
      labels: [2, 0],
    });
    expect(ds.images).toBeInstanceOf(Uint8Array);
    expect(ds.classes).toBe(3);
    expect(() => datasetFromArrays({ shape: [1, 1, 2], samples: [[0, 1], [3]], labels: [0, 1] })).toThrow(/samples\[1\] has 1 values/);
    expect(() => datasetFromArrays({ shape: [1, 1, 2], samples: [[0, NaN]], labels: [0] })).toThrow(/samples\[0\]\[1\]/);
    expect(() => datasetFromArrays({ shape: [1, 1, 1], samples: [[0]], labels: [2] }, { classes: 2 })).toThrow(/labels\[0\] = 2/);
    expect(() => datasetFromArrays({ shape: [1, 1, 1], samples: [[0], [1]], labels: [0] })).toThrow(/1 labels for 2 samples/);
  });
});
