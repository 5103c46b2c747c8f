// Webhooks in Redis: the outbox of jobs whose end is owed a webhook, each job's delivery records,
// and each tenant's webhook settings (default URL, signing secret).
//
//   {p}:webhook-outbox         hash: job id -> terminal event id. COMMIT (scripts.ts) writes it in the
//                              same atomic step as the terminal event; the API drains it into the
//                              BullMQ queue `convoy-webhooks` (src/server/webhooks/dispatcher.ts).
//   {p}:job:{id}:deliveries    list: one JSON Delivery per attempt, oldest first (deleted with the job)
//   {p}:tenant:{t}:webhook     hash: url (the tenant's default), secret (whsec_ + base64 of 32 bytes)
//
// The secret is stored as is, unlike API keys (stored as sha256): an API key is only ever checked,
// so a hash suffices, but this secret is a signing key: every delivery computes an HMAC with it, and
// the receiver verifies with the same bytes. Whoever reads Redis can read it; it is never logged,
// and a tenant rotates it (POST /v1/tenants/{tenant}/webhook/secret) if it may have leaked.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Delivery } from '../contracts/index.js';
import { createKeys, type Keys } from './keys.js';

/** Delivery records kept per job (the newest), whatever WEBHOOK_ATTEMPTS says. */
const MAX_DELIVERIES = 100;

export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

export class WebhookStore {
  private readonly keys: Keys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = createKeys(prefix);
  }

  // ---- the outbox ----------------------------------------------------------------------------

  /** Up to `count` owed webhooks: job id and its terminal event id. They stay until done(). */
  async owed(count: number): Promise<{ jobId: string; eventId: string }[]> {
    const [, flat] = await this.redis.hscan(this.keys.webhookOutbox(), '0', 'COUNT', count);
    const out: { jobId: string; eventId: string }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ jobId: flat[i]!, eventId: flat[i + 1]! });
    return out;
  }

  async owedCount(): Promise<number> {
    return this.redis.hlen(this.keys.webhookOutbox());
  }

  /** The job's webhook is queued (or needs none): off the outbox. */
  async done(jobId: string): Promise<void> {
    await this.redis.hdel(this.keys.webhookOutbox(), jobId);
  }

  /** The job's terminal event (its id from the outbox), as stored: type and data JSON. */
  async event(jobId: string, eventId: string): Promise<{ type: string; data: unknown } | null> {
    const [entry] = await this.redis.xrange(this.keys.events(jobId), eventId, eventId);
    if (!entry) return null;
    const fields = entry[1];
    const at = (name: string) => fields[fields.indexOf(name) + 1] ?? 'null';
    return { type: at('type'), data: JSON.parse(at('data')) };
  }

  // ---- deliveries ----------------------------------------------------------------------------

  async record(jobId: string, delivery: Delivery): Promise<void> {
    const key = this.keys.deliveries(jobId);
    // Only for a job that still exists: a delivery finishing after DELETE leaves nothing behind.
    if (!(await this.redis.exists(this.keys.job(jobId)))) return;
    await this.redis.multi().rpush(key, JSON.stringify(delivery)).ltrim(key, -MAX_DELIVERIES, -1).exec();
  }

  async deliveries(jobId: string): Promise<Delivery[]> {
    return (await this.redis.lrange(this.keys.deliveries(jobId), 0, -1)).map((r) => JSON.parse(r) as Delivery);
  }

  // ---- tenant settings -----------------------------------------------------------------------

  async defaultUrl(tenant: string): Promise<string | null> {
    return this.redis.hget(this.keys.tenantWebhook(tenant), 'url');
  }

  async setDefaultUrl(tenant: string, url: string | null): Promise<void> {
    const key = this.keys.tenantWebhook(tenant);
    if (url === null) await this.redis.hdel(key, 'url');
    else await this.redis.multi().sadd(this.keys.tenants(), tenant).hset(key, 'url', url).exec();
  }

  /** The tenant's signing secret, created on first use (HSETNX: concurrent first uses agree). */
  async secret(tenant: string): Promise<string> {
    const key = this.keys.tenantWebhook(tenant);
    await this.redis.hsetnx(key, 'secret', newWebhookSecret());
    return (await this.redis.hget(key, 'secret'))!;
  }

  /** A new secret; deliveries signed from now on use it. */
  async rotateSecret(tenant: string): Promise<string> {
    const secret = newWebhookSecret();
    await this.redis.hset(this.keys.tenantWebhook(tenant), 'secret', secret);
    return secret;
  }
}
