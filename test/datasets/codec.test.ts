import { describe, expect, it } from 'vitest';
import { decodeDataset, encodeDataset, readDatasetHeader, type Dataset } from '../../src/datasets/index.js';
import { errorOf, synthetic } from './helpers.js';

describe('encodeDataset / decodeDataset', () => {
  it('round-trips uint8 images with a 32-byte versioned header', () => {
    const ds = synthetic(7, [2, 3, 2], 4);
    const bytes = encodeDataset(ds);
    expect(bytes.length).toBe(32 + 7 * 12 + 7);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('CVDS');
    expect(readDatasetHeader(bytes)).toMatchObject({ shape: [2, 3, 2], classes: 4, count: 7, float: false, byteLength: bytes.length });
    const back = decodeDataset(bytes);
    expect(back).toEqual(ds);
    expect(back.images.buffer).toBe(bytes.buffer); // a view, no copy
    expect(decodeDataset(bytes, { copy: true }).images.buffer).not.toBe(bytes.buffer);
  });

  it('round-trips float32 images, also from an unaligned offset (as in a Redis reply buffer)', () => {
    const ds: Dataset = {
      shape: [1, 1, 3],
      classes: 2,
      count: 2,
      images: Float32Array.from([0.5, -1, 3.25, 1e-7, 2, 9]),
      labels: Uint8Array.from([1, 0]),
    };
    const bytes = encodeDataset(ds);
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    const back = decodeDataset(shifted);
    expect(back.images).toBeInstanceOf(Float32Array);
    expect(Array.from(back.images)).toEqual(Array.from(ds.images));
    expect(Array.from(back.labels)).toEqual([1, 0]);
  });

  it('decodes a few float rows from a pooled Node Buffer at an unaligned offset (the copy holds exactly its bytes)', () => {
    const ds: Dataset = {
      shape: [1, 1, 2],
      classes: 2,
      count: 3,
      images: Float32Array.from([0.25, -0.5, 1.5, 2, -3, 0.125]),
      labels: Uint8Array.from([1, 0, 1]),
    };
    const bytes = encodeDataset(ds);
    // Small Buffers share Node's 8 KiB pool: Buffer.slice() is a view and .buffer the whole pool.
    Buffer.from([1]); // moves the pool's offset to an odd byte
    const pooled = Buffer.from(bytes);
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.length);
    for (const copy of [false, true]) {
      const back = decodeDataset(pooled, { copy });
      expect(Array.from(back.images)).toEqual(Array.from(ds.images));
      expect(Array.from(back.labels)).toEqual([1, 0, 1]);
      if (copy) expect(back.labels.buffer).not.toBe(pooled.buffer);
    }
  });

  it('rejects truncated, padded, foreign, future-version and inconsistent bytes', () => {
    const bytes = encodeDataset(synthetic(4));
    expect(errorOf(() => decodeDataset(bytes.subarray(0, bytes.length - 1))).code).toBe('bad_length');
    expect(errorOf(() => decodeDataset(new Uint8Array([...bytes, 0]))).message).toMatch(/header says \d+ bytes/);
    expect(errorOf(() => decodeDataset(bytes.subarray(0, 10))).code).toBe('bad_length');
    const foreign = bytes.slice();
    foreign[0] = 0x58;
    expect(errorOf(() => decodeDataset(foreign)).code).toBe('bad_magic');
    const future = bytes.slice();
    future[4] = 2;
    expect(errorOf(() => decodeDataset(future)).code).toBe('unsupported_version');
    const badLabel = bytes.slice();
    badLabel[badLabel.length - 1] = 200;
    expect(errorOf(() => decodeDataset(badLabel)).code).toBe('label_out_of_range');
  });

  it('refuses to encode an inconsistent dataset', () => {
    const ds = synthetic(3);
    expect(errorOf(() => encodeDataset({ ...ds, count: 4 })).field).toBe('images');
    expect(errorOf(() => encodeDataset({ ...ds, classes: 2 })).code).toBe('label_out_of_range');
  });
});
