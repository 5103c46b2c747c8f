// Idempotency-Key records: the first request with a key claims it for the job it is creating;
// a repeat with the same body is answered with that job, with another body it is refused.
//
//   {p}:idempotency:{sha256(key)}   string with TTL: JSON { hash (of the body), id (job), at (ms) }
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createKeys, type Keys } from './keys.js';

interface IdempotencyRecord {
  hash: string;
  id: string;
  at: number;
}

export type IdempotencyClaim =
  /** The key is this request's: create the job (and `release` the key if that fails). */
  | { kind: 'claimed' }
  /** The same body was accepted before: answer with its job. */
  | { kind: 'replay'; jobId: string }
  /** The key was used with another body. */
  | { kind: 'mismatch' }
  /** The first request with this key is still creating its job. */
  | { kind: 'in-progress' };

/** A record whose job never appeared (its creation failed, or the job was deleted) goes stale after this. */
const PENDING_GRACE_MS = 10_000;

export class IdempotencyStore {
  private readonly keys: Keys;

  constructor(
    private readonly redis: Redis,
    prefix = 'convoy',
  ) {
    this.keys = createKeys(prefix);
  }

  /** Claims `key` for job `id` created from a body whose hash is `bodyHash`, remembered `ttlSeconds`. */
  async claim(key: string, bodyHash: string, id: string, ttlSeconds: number): Promise<IdempotencyClaim> {
    const k = this.recordKey(key);
    const record = JSON.stringify({ hash: bodyHash, id, at: Date.now() } satisfies IdempotencyRecord);
    if ((await this.redis.set(k, record, 'EX', ttlSeconds, 'NX')) !== null) return { kind: 'claimed' };
    const raw = await this.redis.get(k);
    const existing = raw === null ? null : (JSON.parse(raw) as IdempotencyRecord);
    if (existing && existing.hash !== bodyHash) return { kind: 'mismatch' };
    if (existing) {
      if ((await this.redis.exists(this.keys.job(existing.id))) === 1) return { kind: 'replay', jobId: existing.id };
      if (Date.now() - existing.at < PENDING_GRACE_MS) return { kind: 'in-progress' };
    }
    // Expired meanwhile, or stale (its job was never created or was deleted): take the key over.
    await this.redis.set(k, record, 'EX', ttlSeconds);
    return { kind: 'claimed' };
  }

  /** Forgets a claimed key (the job could not be created). */
  async release(key: string): Promise<void> {
    await this.redis.del(this.recordKey(key));
  }

  private recordKey(key: string): string {
    return this.keys.idempotency(createHash('sha256').update(key).digest('hex'));
  }
}
