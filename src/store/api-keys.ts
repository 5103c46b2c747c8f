// API keys. A key is `cvy_` + 32 random bytes (base64url); only its sha256 is stored, so a Redis
// dump reveals no usable key. A revoked key's record is deleted, and every API process looks keys
// up on each request (no cache), so revocation takes effect at once everywhere.
//
//   {p}:apikey:{sha256(key)}   string: JSON ApiKeyRecord (id, tenant, role, name, createdAt, lastUsedAt)
//   {p}:apikeys                hash: key id -> sha256(key)   (listing, revocation by id)
//
// (The bootstrap admin key, CONVOY_ADMIN_KEY or .convoy/admin.key, is not stored here: the API
// process compares its hash in memory; src/server/admin-key.ts.)
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { API_KEY_PREFIX, type ApiKeyCreate, type ApiKeyCreated, type ApiKeyInfo, type Role } from '../contracts/index.js';
import { createKeys, type Keys } from './keys.js';

/** How often a key's lastUsedAt is written (at most), per API process. */
const TOUCH_EVERY_MS = 60_000;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A new random secret: `prefix` + 32 random bytes, base64url (43 characters). */
export function newSecret(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

export class ApiKeyStore {
  private readonly keys: Keys;
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    prefix = 'convoy',
  ) {
    this.keys = createKeys(prefix);
  }

  /** Creates a key; the secret is in the result and nowhere else. */
  async create(req: ApiKeyCreate): Promise<ApiKeyCreated> {
    const key = newSecret(API_KEY_PREFIX);
    const hash = hashSecret(key);
    const info: ApiKeyInfo = {
      id: `key_${randomBytes(9).toString('hex')}`,
      tenant: req.tenant,
      role: req.role ?? 'member',
      name: req.name,
      createdAt: new Date().toISOString(),
      lastUsedAt: null,
    };
    await this.redis.multi().set(this.keys.apiKey(hash), JSON.stringify(info)).hset(this.keys.apiKeys(), info.id, hash).exec();
    return { ...info, key };
  }

  /** The key's record, or null for an unknown or revoked key. */
  async lookup(secret: string): Promise<ApiKeyInfo | null> {
    if (!secret.startsWith(API_KEY_PREFIX)) return null;
    const hash = hashSecret(secret);
    const raw = await this.redis.get(this.keys.apiKey(hash));
    if (raw === null) return null;
    const info = JSON.parse(raw) as ApiKeyInfo;
    const now = Date.now();
    if (now - (this.touched.get(info.id) ?? 0) >= TOUCH_EVERY_MS) {
      this.touched.set(info.id, now);
      info.lastUsedAt = new Date(now).toISOString();
      // SET XX: a key revoked meanwhile stays revoked.
      await this.redis.set(this.keys.apiKey(hash), JSON.stringify(info), 'XX');
    }
    return info;
  }

  /** Every key (no secrets), optionally one tenant's, newest first. */
  async list(tenant?: string): Promise<ApiKeyInfo[]> {
    const hashes = Object.values(await this.redis.hgetall(this.keys.apiKeys()));
    if (hashes.length === 0) return [];
    const raws = await this.redis.mget(hashes.map((h) => this.keys.apiKey(h)));
    return raws
      .filter((r): r is string => r !== null)
      .map((r) => JSON.parse(r) as ApiKeyInfo)
      .filter((k) => tenant === undefined || k.tenant === tenant)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
  }

  async get(id: string): Promise<ApiKeyInfo | null> {
    const hash = await this.redis.hget(this.keys.apiKeys(), id);
    const raw = hash === null ? null : await this.redis.get(this.keys.apiKey(hash));
    return raw === null ? null : (JSON.parse(raw) as ApiKeyInfo);
  }

  /** Deletes a key; false if there was none with this id. */
  async revoke(id: string): Promise<boolean> {
    const hash = await this.redis.hget(this.keys.apiKeys(), id);
    if (hash === null) return false;
    await this.redis.multi().del(this.keys.apiKey(hash)).hdel(this.keys.apiKeys(), id).exec();
    return true;
  }
}

export type { Role };
