// Tenants: their quota overrides (set by an admin) and their usage. A tenant exists once it has a
// key, a job or a dataset; there is nothing else to create.
//
//   {p}:tenants                    set: tenant names
//   {p}:tenant:{t}:quotas          hash: quota name -> limit (overrides of the deployment's defaults)
//   {p}:tenant:{t}:usage           hash: bytes (datasets + weights stored), datasets
//   {p}:tenant:{t}:jobs:status:{s} the tenant's jobs by status (kept by the job store's scripts)
import type { Redis } from 'ioredis';
import { QUOTA_NAMES, type QuotaOverrides, type Quotas, type TenantInfo, type Usage } from '../contracts/index.js';
import { createKeys, type Keys } from './keys.js';

export class TenantStore {
  private readonly keys: Keys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    /** The deployment's defaults (TENANT_MAX_* variables). */
    private readonly defaults: Quotas,
  ) {
    this.keys = createKeys(prefix);
  }

  async add(tenant: string): Promise<void> {
    await this.redis.sadd(this.keys.tenants(), tenant);
  }

  async list(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.tenants())).sort();
  }

  /** The tenant's limits: its overrides over the defaults. */
  async quotas(tenant: string): Promise<{ quotas: Quotas; overrides: Partial<Quotas> }> {
    const raw = await this.redis.hgetall(this.keys.tenantQuotas(tenant));
    const overrides = Object.fromEntries(
      Object.entries(raw)
        .filter(([q]) => (QUOTA_NAMES as string[]).includes(q))
        .map(([q, v]) => [q, Number(v)]),
    ) as Partial<Quotas>;
    return { quotas: { ...this.defaults, ...overrides }, overrides };
  }

  /** Sets or (null) removes overrides. */
  async setOverrides(tenant: string, overrides: QuotaOverrides): Promise<void> {
    const key = this.keys.tenantQuotas(tenant);
    const tx = this.redis.multi().sadd(this.keys.tenants(), tenant);
    for (const [q, v] of Object.entries(overrides)) {
      if (v === null) tx.hdel(key, q);
      else if (v !== undefined) tx.hset(key, q, v);
    }
    await tx.exec();
  }

  async usage(tenant: string): Promise<Usage> {
    const k = this.keys;
    const replies = (await this.redis
      .multi()
      .zcard(k.tenantJobsByStatus(tenant, 'queued'))
      .zcard(k.tenantJobsByStatus(tenant, 'running'))
      .zcard(k.tenantJobsByStatus(tenant, 'cancelling'))
      .hmget(k.tenantUsage(tenant), 'bytes', 'datasets')
      .exec())!.map(([, value]) => value);
    const [queued, running, cancelling] = replies as number[];
    const [bytes, datasets] = replies[3] as (string | null)[];
    return {
      activeJobs: Number(queued) + Number(running) + Number(cancelling),
      runningJobs: Number(running),
      storedBytes: Math.max(0, Number(bytes ?? 0)),
      datasets: Math.max(0, Number(datasets ?? 0)),
    };
  }

  async info(tenant: string): Promise<TenantInfo> {
    const [{ quotas, overrides }, usage] = await Promise.all([this.quotas(tenant), this.usage(tenant)]);
    return { tenant, quotas, overrides, usage };
  }
}
