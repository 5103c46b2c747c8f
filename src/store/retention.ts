// Retention of finished jobs (JOB_RETENTION_SECONDS). The terminal COMMIT (scripts.ts) sets the
// expiry of the job's hash, event log and weights, and records the job in `{p}:jobs:expiry` (score:
// when it expires) with what is needed once its keys are gone: its tenant, status and weight bytes.
// The sweep, run by the leading API process (src/server/janitor.ts), takes expired jobs out of the
// listings and gives their tenant the stored bytes back. adopt() gives jobs that finished before
// retention existed the same expiry, counted from their `finishedAt`.
import type { Redis } from 'ioredis';
import { DEFAULT_TENANT, TERMINAL_STATUSES } from '../contracts/index.js';
import { jobOwnedKeys, type Keys } from './keys.js';

/**
 * forget: remove an expired job from the listings and its tenant's usage, once.
 *
 *   KEYS[1]  expiry info      {p}:jobs:expiry:info   KEYS[2]  expiry zset  {p}:jobs:expiry
 *   KEYS[3]  all jobs         KEYS[4]  status set    KEYS[5]  tenant's jobs
 *   KEYS[6]  tenant's status set                     KEYS[7]  tenant's usage (field bytes)
 *   KEYS[8]  webhook outbox (a delivery still owed for a job now gone is dropped)
 *   KEYS[9..] the job's own keys (keys.ts jobOwnedKeys: hash, events, weights, ..., deliveries)
 *   ARGV[1]  job id           ARGV[2]  weight bytes
 *
 *   Output: 1 forgotten | 0 already (deleted meanwhile, or another sweep)
 */
const FORGET = `
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
for i = 3, 6 do redis.call('ZREM', KEYS[i], ARGV[1]) end
if tonumber(ARGV[2]) ~= 0 then redis.call('HINCRBY', KEYS[7], 'bytes', -tonumber(ARGV[2])) end
redis.call('HDEL', KEYS[8], ARGV[1])
for i = 9, #KEYS do redis.call('DEL', KEYS[i]) end
return 1
`;

type Forget = Redis & { convoyForgetJob(numKeys: number, ...args: (string | number)[]): Promise<number> };

export class JobRetention {
  private readonly cmd: Forget;
  /** adopt(): where the next batch starts, per terminal status; undefined once every status is done. */
  private adoptFrom: Map<string, number> | undefined = new Map(TERMINAL_STATUSES.map((s) => [s, 0]));

  constructor(
    redis: Redis,
    private readonly keys: Keys,
  ) {
    if (!('convoyForgetJob' in redis)) redis.defineCommand('convoyForgetJob', { lua: FORGET });
    this.cmd = redis as Forget;
  }

  /** Takes up to `limit` jobs expired by `now` out of the listings and usage. Returns their ids. */
  async sweep(now: number, limit = 500): Promise<string[]> {
    const k = this.keys;
    const ids = await this.cmd.zrangebyscore(k.jobsExpiry(), '-inf', now, 'LIMIT', 0, limit);
    if (ids.length === 0) return [];
    const infos = await this.cmd.hmget(k.jobsExpiryInfo(), ...ids);
    const forgotten: string[] = [];
    for (const [i, id] of ids.entries()) {
      const [tenant = '', status = '', bytes = '0'] = (infos[i] ?? '').split(' ');
      const keys = [
        k.jobsExpiryInfo(),
        k.jobsExpiry(),
        k.jobs(),
        k.jobsByStatus(status),
        k.tenantJobs(tenant),
        k.tenantJobsByStatus(tenant, status),
        k.tenantUsage(tenant),
        k.webhookOutbox(),
        ...jobOwnedKeys(k, id),
      ];
      if ((await this.cmd.convoyForgetJob(keys.length, ...keys, id, Number(bytes) || 0)) === 1) forgotten.push(id);
    }
    return forgotten;
  }

  /**
   * Gives up to `batch` finished jobs without an expiry (finished before retention existed) one:
   * `finishedAt` + retention. Returns how many it looked at; 0 once every finished job has been seen.
   */
  async adopt(retentionSeconds: number, batch = 500): Promise<number> {
    if (!this.adoptFrom) return 0;
    const k = this.keys;
    for (const [status, start] of this.adoptFrom) {
      const ids = await this.cmd.zrange(k.jobsByStatus(status), start, start + batch - 1);
      if (ids.length === 0) {
        this.adoptFrom.delete(status);
        continue;
      }
      this.adoptFrom.set(status, start + ids.length);
      for (const id of ids) await this.adoptOne(id, retentionSeconds);
      return ids.length;
    }
    this.adoptFrom = undefined;
    return 0;
  }

  private async adoptOne(id: string, retentionSeconds: number): Promise<void> {
    const k = this.keys;
    const [[, ttl], [, raw], [, known], [, bytes]] = (await this.cmd
      .pipeline()
      .pttl(k.job(id))
      .hget(k.job(id), 'doc')
      .hexists(k.jobsExpiryInfo(), id)
      .strlen(k.weights(id))
      .exec()) as [unknown, number][] as [[unknown, number], [unknown, string | null], [unknown, number], [unknown, number]];
    if (ttl !== -1 || raw === null || known === 1) return;
    const doc = JSON.parse(raw) as { tenant?: string; status: string; finishedAt: string | null; createdAt: string };
    const at = Date.parse(doc.finishedAt ?? doc.createdAt) + retentionSeconds * 1000;
    await this.cmd
      .multi()
      .pexpireat(k.job(id), at)
      .pexpireat(k.events(id), at)
      .pexpireat(k.weights(id), at)
      .zadd(k.jobsExpiry(), at, id)
      .hset(k.jobsExpiryInfo(), id, `${doc.tenant ?? DEFAULT_TENANT} ${doc.status} ${bytes}`)
      .exec();
  }
}
