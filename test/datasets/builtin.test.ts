// Builtins from the real npm packages, and the binary cache.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, stat, truncate, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCache, encodeCache } from '../../src/datasets/cache.js';
import { BUILTINS, defaultCacheDir, loadBuiltin, trainPerClass, type BuiltinSplits, type Dataset } from '../../src/datasets/index.js';
import { synthetic } from './helpers.js';

const require = createRequire(import.meta.url);
const fashionDir = path.join(path.dirname(require.resolve('fashion-mnist/package.json')), 'src', 'clothes');
const mnistDir = path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'convoy-datasets-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function histogram(labels: Uint8Array, classes = 10): number[] {
  const h = Array<number>(classes).fill(0);
  for (const l of labels) h[l]!++;
  return h;
}

/** The k-th image of class c in `ds` (in the order the set holds them). */
function nthOfClass(ds: Dataset, c: number, k: number): number[] {
  let seen = 0;
  for (let i = 0; i < ds.count; i++) {
    if (ds.labels[i] === c && seen++ === k) return Array.from(ds.images.subarray(i * 784, (i + 1) * 784));
  }
  throw new Error(`class ${c} has fewer than ${k + 1} images`);
}

describe('fashion-mnist builtin', () => {
  let first: BuiltinSplits;
  let cached: BuiltinSplits;
  beforeAll(async () => {
    first = await loadBuiltin('fashion-mnist', { cacheDir: dir });
    cached = await loadBuiltin('fashion-mnist', { cacheDir: dir });
  });

  it('builds 60,000 / 10,000 with 6,000 / 1,000 per class, pixels 0-255', () => {
    expect(first.fromCache).toBe(false);
    expect(first.train.count).toBe(60_000);
    expect(first.test.count).toBe(10_000);
    expect(first.train.shape).toEqual([1, 28, 28]);
    expect(first.train.images).toBeInstanceOf(Uint8Array);
    expect(first.train.images.length).toBe(60_000 * 784);
    expect(histogram(first.train.labels)).toEqual(Array(10).fill(6000));
    expect(histogram(first.test.labels)).toEqual(Array(10).fill(1000));
    let max = 0;
    for (const v of first.test.images) max = Math.max(max, v);
    expect(max).toBe(255);
  });

  it('keeps the package images, per class in stored order, skipping the two empty entries of class 0', () => {
    const zero = (JSON.parse(readFileSync(path.join(fashionDir, '0.json'), 'utf8')) as { data: number[][] }).data;
    expect(zero.length).toBe(7002);
    expect([zero[1000]!.length, zero[7001]!.length]).toEqual([0, 0]);
    expect(nthOfClass(first.train, 0, 0)).toEqual(zero[0]);
    expect(nthOfClass(first.train, 0, 1000)).toEqual(zero[1001]); // after the first empty entry
    expect(nthOfClass(first.train, 0, 5999)).toEqual(zero[6000]);
    expect(nthOfClass(first.test, 0, 0)).toEqual(zero[6001]);
    expect(nthOfClass(first.test, 0, 999)).toEqual(zero[7000]);
  });

  it('orders train and test round-robin over the classes', () => {
    expect(Array.from(first.train.labels.subarray(0, 20))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(histogram(first.test.labels.subarray(0, 50))).toEqual(Array(10).fill(5));
  });

  it('reads the cache file on the second load, identical to the first', () => {
    expect(cached.fromCache).toBe(true);
    expect(cached.cacheFile).toBe(path.join(dir, 'fashion-mnist.bin'));
    expect(Buffer.compare(Buffer.from(cached.train.images), Buffer.from(first.train.images))).toBe(0);
    expect(Buffer.compare(Buffer.from(cached.train.labels), Buffer.from(first.train.labels))).toBe(0);
    expect(Buffer.compare(Buffer.from(cached.test.images), Buffer.from(first.test.images))).toBe(0);
  });

  it('applies trainSize, testSize and validationSplit as class-balanced prefixes', async () => {
    const s = await loadBuiltin('fashion-mnist', { cacheDir: dir, trainSize: 1000, testSize: 200, validationSplit: 0.1 });
    expect([s.train.count, s.validation?.count, s.test.count]).toEqual([900, 100, 200]);
    expect(histogram(s.train.labels)).toEqual(Array(10).fill(90));
    expect(histogram(s.validation!.labels)).toEqual(Array(10).fill(10));
    expect(histogram(s.test.labels)).toEqual(Array(10).fill(20));
    expect(Array.from(s.validation!.images.subarray(0, 784))).toEqual(Array.from(first.train.images.subarray(900 * 784, 901 * 784)));
  });

  it('can back the arrays by a SharedArrayBuffer for worker threads', async () => {
    const s = await loadBuiltin('fashion-mnist', { cacheDir: dir, shared: true, testSize: 10 });
    expect(s.train.images.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(s.test.labels.buffer).toBe(s.train.images.buffer);
    expect(Array.from(s.test.images.subarray(0, 784))).toEqual(Array.from(first.test.images.subarray(0, 784)));
  });
});

describe('mnist builtin', () => {
  it('converts the 0-1 floats back to exact bytes and splits 6:1 per class', async () => {
    const s = await loadBuiltin('mnist', { cacheDir: dir });
    const counts: number[] = [];
    for (let c = 0; c < 10; c++) {
      const data = (JSON.parse(readFileSync(path.join(mnistDir, `${c}.json`), 'utf8')) as { data: number[] }).data;
      counts.push(data.length / 784);
      // 3 decimals are finer than 1/255: every float is within 0.0005 of round(v * 255) / 255.
      expect(data.filter((v) => !(Math.abs(Math.round(v * 255) / 255 - v) <= 0.0005 + 1e-12) || v < 0 || v > 1)).toEqual([]);
      const firstImage = data.slice(0, 784).map((v) => Math.round(v * 255));
      expect(nthOfClass(s.train, c, 0)).toEqual(firstImage);
      const k = trainPerClass(counts[c]!);
      expect(nthOfClass(s.test, c, 0)).toEqual(data.slice(k * 784, (k + 1) * 784).map((v) => Math.round(v * 255)));
    }
    expect(counts.reduce((a, b) => a + b)).toBe(10_000);
    expect(histogram(s.train.labels)).toEqual(counts.map(trainPerClass));
    expect(s.train.count).toBe(BUILTINS.mnist.trainCount);
    expect(s.test.count).toBe(BUILTINS.mnist.testCount);
    // class-balanced prefixes even with unequal class sizes: every class in the first 100
    expect(histogram(s.test.labels.subarray(0, 100)).every((n) => n >= 6)).toBe(true);
  });
});

describe('builtin cache file', () => {
  it('is rebuilt when truncated, and written atomically by concurrent loaders', async () => {
    const own = await mkdtemp(path.join(tmpdir(), 'convoy-datasets-cache-'));
    try {
      const [a, b] = await Promise.all([loadBuiltin('mnist', { cacheDir: own }), loadBuiltin('mnist', { cacheDir: own })]);
      expect([a.fromCache, b.fromCache]).toEqual([false, false]);
      expect(await readdir(own)).toEqual(['mnist.bin']); // no temporary files left behind
      const file = path.join(own, 'mnist.bin');
      const size = (await stat(file)).size;

      await truncate(file, size - 100);
      const rebuilt = await loadBuiltin('mnist', { cacheDir: own });
      expect(rebuilt.fromCache).toBe(false);
      expect(rebuilt.rebuiltBecause).toMatch(/header says \d+ bytes/);
      expect((await stat(file)).size).toBe(size);

      const ok = await loadBuiltin('mnist', { cacheDir: own });
      expect(ok.fromCache).toBe(true);
      expect(Buffer.compare(Buffer.from(ok.train.images), Buffer.from(a.train.images))).toBe(0);
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });

  it('rejects foreign bytes, another fingerprint and a short file', async () => {
    const bytes = encodeCache('fp-1', synthetic(3), synthetic(2));
    expect(decodeCache(bytes, 'fp-1').test.count).toBe(2);
    expect(() => decodeCache(new TextEncoder().encode('this is not a convoy cache file'), 'fp-1')).toThrow(/bad magic/);
    expect(() => decodeCache(bytes, 'fp-2')).toThrow(/built from fp-1, wanted fp-2/);
    expect(() => decodeCache(bytes.subarray(0, 8), 'fp-1')).toThrow(/shorter than its header/);
    expect(() => decodeCache(bytes.subarray(0, bytes.length - 1), 'fp-1')).toThrow(/header says/);
  });

  it('defaults to .convoy/cache under cwd, overridable by CONVOY_CACHE_DIR', () => {
    expect(defaultCacheDir({}, '/srv/app')).toBe('/srv/app/.convoy/cache');
    expect(defaultCacheDir({ CONVOY_CACHE_DIR: '/var/cache/convoy' }, '/srv/app')).toBe('/var/cache/convoy');
    expect(defaultCacheDir({ CONVOY_CACHE_DIR: 'rel' }, '/srv/app')).toBe('/srv/app/rel');
  });
});
