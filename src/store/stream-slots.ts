// Open event streams per tenant, counted across every API process, so a tenant cannot hold more
// than SSE_MAX_STREAMS_PER_TENANT connections. Each open stream holds a slot that expires unless
// its process refreshes it, so a crashed process's slots free themselves.
//
//   {p}:tenant:{t}:streams   sorted set: member = slot id (process:stream), score = expiry ms
import type { Redis } from 'ioredis';
import { createKeys, type Keys } from './keys.js';

/**
 * KEYS[1] the tenant's streams zset. ARGV[1] now ms, ARGV[2] slot id, ARGV[3] expiry ms, ARGV[4] max.
 * Output: 0 (at the limit) or 1 (slot taken).
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return 1
`;

interface SlotCommands {
  convoyAcquireSlot(key: string, now: number, slot: string, expiry: number, max: number): Promise<number>;
}

export class StreamSlots {
  private readonly keys: Keys;
  private readonly cmd: Redis & SlotCommands;

  constructor(redis: Redis, prefix = 'convoy') {
    this.keys = createKeys(prefix);
    if (!('convoyAcquireSlot' in redis)) redis.defineCommand('convoyAcquireSlot', { lua: ACQUIRE, numberOfKeys: 1 });
    this.cmd = redis as Redis & SlotCommands;
  }

  /** Takes a slot for `ttlMs` unless the tenant holds `max` live ones. */
  async acquire(tenant: string, slot: string, max: number, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    return (await this.cmd.convoyAcquireSlot(this.keys.tenantStreams(tenant), now, slot, now + ttlMs, max)) === 1;
  }

  /** Extends live slots (the process still holds their streams). */
  async refresh(slots: readonly { tenant: string; slot: string }[], ttlMs: number): Promise<void> {
    if (slots.length === 0) return;
    const expiry = Date.now() + ttlMs;
    const tx = this.cmd.multi();
    for (const { tenant, slot } of slots) {
      tx.zadd(this.keys.tenantStreams(tenant), 'XX', expiry, slot).pexpireat(this.keys.tenantStreams(tenant), expiry);
    }
    await tx.exec();
  }

  async release(tenant: string, slot: string): Promise<void> {
    await this.cmd.zrem(this.keys.tenantStreams(tenant), slot);
  }
}
