// Data augmentation: a pure function of (seed, epoch, sample index), whatever the split of a batch
// into shards or threads, and torchvision's semantics for random crop with padding, horizontal
// flip and random erasing.
import { describe, expect, it } from 'vitest';
import { augmentBatch, augmentImage, roundHalfEven, validateAugment, type AugmentSpec } from '../../src/engine/augment.js';
import { hashSeed, Rng } from '../../src/engine/rng.js';

const shape = [2, 6, 5] as const;
const size = 2 * 6 * 5;
/** n distinct images: values 1 + (sample, pixel) index, never 0 (the fill value). */
const images = (n: number): Float32Array => new Float32Array(n * size).map((_, i) => 1 + i);
const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const everything: AugmentSpec = { randomCrop: { padding: 2 }, horizontalFlip: true, randomErasing: { probability: 0.7 } };

describe('augmentBatch is a pure function of (seed, epoch, sample index)', () => {
  const indices = Uint32Array.from([7, 3, 11, 0, 5, 9, 2, 8]); // an epoch's order

  it('the same keys give the same bits; shards of the batch in any order give the whole batch', () => {
    const whole = images(8);
    augmentBatch(everything, whole, 8, shape, { seed: 4, epoch: 2, indices });
    const again = images(8);
    augmentBatch(everything, again, 8, shape, { seed: 4, epoch: 2, indices });
    expect(bits(again)).toEqual(bits(whole));
    const shards = images(8);
    for (const [from, to] of [
      [5, 8],
      [0, 2],
      [2, 5],
    ] as const) {
      augmentBatch(everything, shards.subarray(from * size, to * size), to - from, shape, { seed: 4, epoch: 2, indices, from });
    }
    expect(bits(shards)).toEqual(bits(whole));
    expect(bits(whole)).not.toEqual(bits(images(8))); // it did change something
  });

  it('another epoch or seed draws anew; a sample keeps its draws wherever it sits in the order', () => {
    const base = images(8);
    augmentBatch(everything, base, 8, shape, { seed: 4, epoch: 2, indices });
    for (const keys of [
      { seed: 4, epoch: 3 },
      { seed: 5, epoch: 2 },
    ]) {
      const other = images(8);
      augmentBatch(everything, other, 8, shape, { ...keys, indices });
      expect(bits(other)).not.toEqual(bits(base));
    }
    // sample 11 first instead of third: the same transformation of the same image
    const one = images(1).map((v) => v + 2 * size);
    augmentBatch(everything, one, 1, shape, { seed: 4, epoch: 2, indices: [11] });
    expect(bits(one)).toEqual(bits(base.subarray(2 * size, 3 * size)));
  });

  it('checks its buffers', () => {
    expect(() => augmentBatch(everything, new Float32Array(10), 1, shape, { seed: 0, epoch: 0, indices: [0] })).toThrow(/fewer than/);
    expect(() => augmentBatch(everything, images(2), 2, shape, { seed: 0, epoch: 0, indices: [0] })).toThrow(/no sample index at 1/);
  });
});

/** The transformation of one image drawn for `key`: its output. */
function once(spec: AugmentSpec, key: number, img = images(1)): Float32Array {
  augmentImage(spec, img, shape, new Rng(hashSeed(99, key)));
  return img;
}

describe('torchvision semantics', () => {
  const src = images(1);
  const at = (c: number, y: number, x: number): number => (y < 0 || y >= 6 || x < 0 || x >= 5 ? 0 : src[(c * 6 + y) * 5 + x]!);

  it('randomCrop: a window of the zero-padded image at a uniform offset in [-p, p] on each axis', () => {
    const seen = new Map<string, number>();
    for (let key = 0; key < 2500; key++) {
      const out = once({ randomCrop: { padding: 2 } }, key);
      // find the offset that explains the output: out(c, y, x) = src(c, y + dy, x + dx), zeros outside
      const offsets: string[] = [];
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) {
          const match = out.every((v, i) => {
            const c = Math.floor(i / 30);
            const y = Math.floor(i / 5) % 6;
            return v === at(c, y + dy, (i % 5) + dx);
          });
          if (match) offsets.push(`${dy},${dx}`);
        }
      }
      expect(offsets).toHaveLength(1);
      seen.set(offsets[0]!, (seen.get(offsets[0]!) ?? 0) + 1);
    }
    expect(seen.size).toBe(25); // every offset occurs ...
    for (const count of seen.values()) expect(Math.abs(count - 100)).toBeLessThan(45); // ... about 1/25 of the time
  });

  it('horizontalFlip: left-right mirrored about half the time, otherwise untouched', () => {
    let flipped = 0;
    for (let key = 0; key < 2000; key++) {
      const out = once({ horizontalFlip: true }, key);
      const mirrored = out.every((v, i) => v === at(Math.floor(i / 30), Math.floor(i / 5) % 6, 4 - (i % 5)));
      expect(mirrored || bits(out).join() === bits(src).join()).toBe(true);
      if (mirrored) flipped++;
    }
    expect(Math.abs(flipped / 2000 - 0.5)).toBeLessThan(0.04);
  });

  it('randomErasing: with probability p one h x w rectangle in every channel, area in scale, h / w in ratio', () => {
    const H = 24;
    const W = 20;
    const big = [1, H, W] as const;
    const spec: AugmentSpec = { randomErasing: { probability: 0.6, scale: [0.05, 0.2], ratio: [0.5, 2], value: -3 } };
    let erased = 0;
    for (let key = 0; key < 1500; key++) {
      const img = new Float32Array(H * W).map((_, i) => 1 + i);
      augmentImage(spec, img, big, new Rng(hashSeed(7, key)));
      const hit = [...img.keys()].filter((i) => img[i] === -3);
      expect(hit.every((i) => img[i] === -3) && img.every((v, i) => v === -3 || v === 1 + i)).toBe(true);
      if (hit.length === 0) continue;
      erased++;
      const ys = hit.map((i) => Math.floor(i / W));
      const xs = hit.map((i) => i % W);
      const h = Math.max(...ys) - Math.min(...ys) + 1;
      const w = Math.max(...xs) - Math.min(...xs) + 1;
      expect(hit.length).toBe(h * w); // a full rectangle
      // h = round(sqrt(area * r)), w = round(sqrt(area / r)): area and ratio within rounding of the bounds
      expect(h * w).toBeGreaterThanOrEqual(Math.floor(0.05 * H * W * 0.6));
      expect(h * w).toBeLessThanOrEqual(Math.ceil(0.2 * H * W * 1.4));
      expect(h / w).toBeGreaterThan(0.5 * 0.6);
      expect(h / w).toBeLessThan(2 / 0.6);
    }
    expect(Math.abs(erased / 1500 - 0.6)).toBeLessThan(0.04);
  });

  it('erases every channel alike, with the defaults (p 0.5, value 0)', () => {
    let erased = 0;
    for (let key = 0; key < 400; key++) {
      const out = once({ randomErasing: {} }, key);
      const zero = [...out.keys()].filter((i) => out[i] === 0);
      if (zero.length > 0) erased++;
      const planes = [0, 1].map((c) => zero.filter((i) => Math.floor(i / 30) === c).map((i) => i % 30));
      expect(planes[0]).toEqual(planes[1]);
    }
    expect(erased).toBeGreaterThan(140);
    expect(erased).toBeLessThan(260);
  });

  it('draws crop, then flip, then erasing from one stream: adding erasing keeps the crop and flip', () => {
    for (let key = 0; key < 50; key++) {
      const cropFlip = once({ randomCrop: { padding: 1 }, horizontalFlip: true }, key);
      const all = once({ randomCrop: { padding: 1 }, horizontalFlip: true, randomErasing: { value: -1 } }, key);
      expect(all.every((v, i) => v === -1 || v === cropFlip[i])).toBe(true);
    }
  });

  it('rounds halves to even, as Python', () => {
    expect([0.5, 1.5, 2.5, 3.5, 2.4, 2.6, 7].map(roundHalfEven)).toEqual([0, 2, 2, 4, 2, 3, 7]);
  });

  it('validateAugment names the bad field', () => {
    expect(() => validateAugment(everything)).not.toThrow();
    expect(() => validateAugment({ randomCrop: { padding: 0 } })).toThrow(/augment.randomCrop.padding/);
    expect(() => validateAugment({ randomErasing: { probability: 1.5 } })).toThrow(/augment.randomErasing.probability/);
    expect(() => validateAugment({ randomErasing: { scale: [0.4, 0.2] } })).toThrow(/augment.randomErasing.scale/);
    expect(() => validateAugment({ randomErasing: { ratio: [0, 1] } })).toThrow(/augment.randomErasing.ratio/);
  });
});
