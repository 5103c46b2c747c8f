// Large datasets go to Redis in pieces (src/store/dataset-writes.ts) against a redis-server of its
// own: a value of several pieces reads back byte for byte, and a write that fails (a quota refusal
// after staging, Redis out of memory between pieces) leaves no key behind.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { encodeDataset, type Dataset } from '../../src/datasets/index.js';
import { DATASET_WRITE_CHUNK, writeStaged } from '../../src/store/dataset-writes.js';
import { DatasetStore } from '../../src/store/datasets.js';
import { QuotaExceededError } from '../../src/store/errors.js';
import { parseMemoryInfo } from '../../src/store/index.js';
import { startRedis, type PrivateRedis } from '../helpers/redis-server.js';

let server: PrivateRedis;
let redis: Redis;
beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
});
afterEach(async () => {
  await redis.config('SET', 'maxmemory', '0');
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

/** `count` samples of 1x64x64 pixels, every byte depending on its position (a misplaced piece shows). */
function dataset(count: number): Dataset {
  const images = new Uint8Array(count * 64 * 64);
  for (let i = 0; i < images.length; i++) images[i] = (i * 7 + (i >>> 12) * 13) & 0xff;
  const labels = new Uint8Array(count).map((_, i) => i % 10);
  return { shape: [1, 64, 64], classes: 10, count, images, labels };
}

const keysOf = (prefix: string) => redis.keys(`${prefix}:*`);

/** SETRANGEs Redis has run and refused so far (INFO commandstats). */
async function setranges(): Promise<{ calls: number; rejected: number }> {
  const line = (await redis.info('commandstats')).split('\n').find((l) => l.startsWith('cmdstat_setrange:')) ?? '';
  const field = (name: string) => Number(new RegExp(`${name}=(\\d+)`).exec(line)?.[1] ?? 0);
  return { calls: field('calls'), rejected: field('rejected_calls') };
}

describe('dataset writes in pieces', () => {
  it('reads back a value of several pieces identical, under its data key only', async () => {
    const prefix = `dw-${randomUUID().slice(0, 8)}`;
    const store = new DatasetStore(redis, prefix);
    const ds = dataset(2600); // ~10.6 MB: three pieces, the last one short
    const bytes = encodeDataset(ds);
    expect(bytes.byteLength).toBeGreaterThan(2 * DATASET_WRITE_CHUNK);

    const info = await store.putEncoded(bytes, { format: 'idx', tenant: 'acme' });
    const stored = await redis.getBuffer(`${prefix}:dataset:${info.id}:data`);
    expect(stored?.equals(Buffer.from(bytes))).toBe(true);
    const back = await store.get(info.id);
    expect(back?.count).toBe(2600);
    expect(Buffer.from(back!.images as Uint8Array).equals(Buffer.from(ds.images as Uint8Array))).toBe(true);
    expect(Buffer.from(back!.labels).equals(Buffer.from(ds.labels))).toBe(true);
    expect((await keysOf(prefix)).filter((k) => k.includes(':staging:'))).toEqual([]);

    expect(await store.delete(info.id)).toBe(true);
    expect(await redis.exists(`${prefix}:dataset:${info.id}:data`)).toBe(0);
  });

  it('writes pieces of any size in place, the last one first', async () => {
    const key = `dw-${randomUUID().slice(0, 8)}:staged`;
    const bytes = new Uint8Array(10_007).map((_, i) => (i * 31) & 0xff);
    await writeStaged(redis, key, bytes.subarray(3), 1000);
    expect((await redis.getBuffer(key))?.equals(Buffer.from(bytes.subarray(3)))).toBe(true);
    expect(await redis.pttl(key)).toBeGreaterThan(0); // a writer that dies leaves it to expire
  });

  it('leaves no key when the quota refuses a staged dataset', async () => {
    const prefix = `dw-${randomUUID().slice(0, 8)}`;
    const store = new DatasetStore(redis, prefix);
    const bytes = encodeDataset(dataset(2600));
    await expect(store.putEncoded(bytes, { format: 'idx', tenant: 'acme' }, { maxStoredBytes: 1_000_000 })).rejects.toBeInstanceOf(
      QuotaExceededError,
    );
    expect(await keysOf(prefix)).toEqual([]);
  });

  it('leaves no key when Redis runs out of memory between pieces, and answers its OOM error', async () => {
    const prefix = `dw-${randomUUID().slice(0, 8)}`;
    const store = new DatasetStore(redis, prefix);
    const bytes = encodeDataset(dataset(2600));
    // Room for less than the dataset: the first piece (sizing the whole string) is taken, the next refused.
    const used = parseMemoryInfo(await redis.info('memory')).used;
    await redis.config('SET', 'maxmemory', String(used + 4 * 1024 * 1024));
    const before = await setranges();
    await expect(store.putEncoded(bytes, { format: 'idx', tenant: 'acme' })).rejects.toThrow(/^OOM\b/);
    const after = await setranges();
    expect(after.calls - before.calls).toBe(1); // the first piece was written...
    expect(after.rejected - before.rejected).toBe(1); // ...the second refused
    expect(await keysOf(prefix)).toEqual([]);
  });
});
