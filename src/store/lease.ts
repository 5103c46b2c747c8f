// A lease: one holder at a time for a named duty across processes (the reconciler's leader), kept in
// Redis under `{p}:lease:{name}` with a time to live. A holder renews it before it expires; a holder
// that stalled past it loses the lease to another process, and from then on its renewals fail (the
// scripts check the token), so it learns it no longer leads instead of leading twice.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createKeys } from './keys.js';

/**
 * hold: take the lease if nobody holds it, or renew it if we do.
 *
 *   KEYS[1]  lease key               {p}:lease:{name}
 *   ARGV[1]  token                   the would-be holder's
 *   ARGV[2]  ttl ms
 *
 *   Output: 1 held (taken or renewed) | 0 another holder has it
 */
const HOLD = `
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/**
 * release: give the lease up, only if we still hold it.
 *
 *   KEYS[1]  lease key    ARGV[1]  token    Output: 1 released | 0 not ours
 */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

type LeaseCommands = Redis & {
  convoyLeaseHold(key: string, token: string, ttlMs: number): Promise<number>;
  convoyLeaseRelease(key: string, token: string): Promise<number>;
};

export class Lease {
  private readonly key: string;
  private readonly cmd: LeaseCommands;

  constructor(
    redis: Redis,
    prefix: string,
    readonly name: string,
    /** This holder's token (unique per process and duty). */
    readonly token: string = randomUUID(),
  ) {
    this.key = createKeys(prefix).lease(name);
    if (!('convoyLeaseHold' in redis)) {
      redis.defineCommand('convoyLeaseHold', { lua: HOLD, numberOfKeys: 1 });
      redis.defineCommand('convoyLeaseRelease', { lua: RELEASE, numberOfKeys: 1 });
    }
    this.cmd = redis as LeaseCommands;
  }

  /** Takes or renews the lease for `ttlMs`; false while another holder has it. */
  async hold(ttlMs: number): Promise<boolean> {
    return (await this.cmd.convoyLeaseHold(this.key, this.token, Math.max(1, Math.round(ttlMs)))) === 1;
  }

  /** Gives the lease up if this holder still has it. */
  async release(): Promise<void> {
    await this.cmd.convoyLeaseRelease(this.key, this.token);
  }
}
