// Worker processes announce themselves here: a heartbeat key with a TTL per process and a sorted
// set of ids by last beat. /readyz counts the live ones; nothing else depends on them.
import type { Redis } from 'ioredis';
import { createKeys, type Keys } from './keys.js';

export interface WorkerHeartbeat {
  id: string;
  pid: number;
  host: string;
  threads: number;
  concurrency: number;
  activeJobs: string[];
  startedAt: string;
  seenAt: string;
  /** Samples trained per second over the last heartbeat period. */
  samplesPerSecond?: number;
}

/** Ids older than this past the window are dropped from the set when it is read. */
const FORGET_AFTER_MS = 60_000;

export class WorkerRegistry {
  private readonly keys: Keys;

  constructor(
    private readonly redis: Redis,
    prefix = 'convoy',
  ) {
    this.keys = createKeys(prefix);
  }

  async heartbeat(beat: WorkerHeartbeat, ttlMs: number): Promise<void> {
    await this.redis
      .multi()
      .set(this.keys.worker(beat.id), JSON.stringify(beat), 'PX', ttlMs)
      .zadd(this.keys.workers(), Date.parse(beat.seenAt), beat.id)
      .exec();
  }

  /** Workers whose heartbeat is younger than `withinMs`. */
  async live(withinMs: number): Promise<WorkerHeartbeat[]> {
    const since = Date.now() - withinMs;
    await this.redis.zremrangebyscore(this.keys.workers(), '-inf', `(${since - FORGET_AFTER_MS}`);
    const ids = await this.redis.zrangebyscore(this.keys.workers(), since, '+inf');
    if (ids.length === 0) return [];
    const raw = await this.redis.mget(ids.map((id) => this.keys.worker(id)));
    return raw.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as WorkerHeartbeat);
  }

  async remove(id: string): Promise<void> {
    await this.redis.multi().del(this.keys.worker(id)).zrem(this.keys.workers(), id).exec();
  }
}
