// The lease (src/store/lease.ts) against a real Redis: one holder at a time, renewal by the holder
// only, takeover once it lapses, and a holder that lapsed learns it no longer leads.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Lease } from '../../src/store/index.js';
import { connectRedis } from '../../src/store/redis.js';

let redis: Redis;
const prefix = `lease-${randomUUID().slice(0, 8)}`;
beforeAll(() => {
  redis = connectRedis(inject('redisUrl'), 'lease-test');
});
afterAll(async () => {
  await redis.quit();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('lease', () => {
  it('one holder at a time; the holder renews; another takes over once it lapses; the old one is refused', async () => {
    const a = new Lease(redis, prefix, 'duty');
    const b = new Lease(redis, prefix, 'duty');
    expect(await a.hold(300)).toBe(true);
    expect(await b.hold(300)).toBe(false);
    expect(await a.hold(300)).toBe(true); // renewed
    expect(await redis.pttl(`${prefix}:lease:duty`)).toBeGreaterThan(200);
    await sleep(400); // a stalls past its lease
    expect(await b.hold(300)).toBe(true);
    expect(await a.hold(300)).toBe(false);
    await a.release(); // not a's to release
    expect(await redis.get(`${prefix}:lease:duty`)).toBe(b.token);
    await b.release();
    expect(await redis.exists(`${prefix}:lease:duty`)).toBe(0);
    expect(await a.hold(300)).toBe(true);
  });

  it('leases of different duties are independent', async () => {
    const a = new Lease(redis, prefix, 'one');
    const b = new Lease(redis, prefix, 'two');
    expect(await a.hold(1000)).toBe(true);
    expect(await b.hold(1000)).toBe(true);
  });
});
