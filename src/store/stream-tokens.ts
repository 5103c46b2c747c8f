// Stream tokens: short-lived, read-only credentials for browsers' EventSource (which cannot send an
// Authorization header). A token names its tenant and the key that asked for it; only its sha256 is
// stored, with a TTL. The API accepts one only as ?token= on the event routes, and only while the
// key that asked for it is still valid.
//
//   {p}:stream-token:{sha256(token)}   string with TTL: JSON { tenant, keyId }
import type { Redis } from 'ioredis';
import { STREAM_TOKEN_PREFIX } from '../contracts/index.js';
import { hashSecret, newSecret } from './api-keys.js';
import { createKeys, type Keys } from './keys.js';

export interface StreamTokenGrant {
  tenant: string;
  keyId: string;
}

export class StreamTokenStore {
  private readonly keys: Keys;

  constructor(
    private readonly redis: Redis,
    prefix = 'convoy',
  ) {
    this.keys = createKeys(prefix);
  }

  async create(grant: StreamTokenGrant, ttlSeconds: number): Promise<{ token: string; expiresAt: string }> {
    const token = newSecret(STREAM_TOKEN_PREFIX);
    await this.redis.set(this.keys.streamToken(hashSecret(token)), JSON.stringify(grant), 'EX', ttlSeconds);
    return { token, expiresAt: new Date(Date.now() + ttlSeconds * 1000).toISOString() };
  }

  /** The grant of a live token, or null (unknown, expired or malformed). */
  async verify(token: string): Promise<StreamTokenGrant | null> {
    if (!token.startsWith(STREAM_TOKEN_PREFIX)) return null;
    const raw = await this.redis.get(this.keys.streamToken(hashSecret(token)));
    return raw === null ? null : (JSON.parse(raw) as StreamTokenGrant);
  }
}
