// How full Redis is: `used_memory` against `maxmemory` from INFO memory, read at most once per
// `cacheMs` however many requests ask (the API checks it on every submit and upload).
import type { Redis } from 'ioredis';

export interface RedisMemoryUse {
  used: number;
  /** 0: no maxmemory set (then the ratio is 0: Redis grows until the machine runs out). */
  max: number;
  ratio: number;
}

export function parseMemoryInfo(info: string): RedisMemoryUse {
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  const used = field('used_memory');
  const max = field('maxmemory');
  return { used, max, ratio: max > 0 ? used / max : 0 };
}

export class RedisMemory {
  private last: { at: number; use: Promise<RedisMemoryUse> } | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly cacheMs = 1000,
  ) {}

  /** The latest reading, at most `cacheMs` old. A failed reading is not kept. */
  use(now = Date.now()): Promise<RedisMemoryUse> {
    if (this.last && now - this.last.at < this.cacheMs) return this.last.use;
    const use = this.redis.info('memory').then(parseMemoryInfo);
    this.last = { at: now, use };
    use.catch(() => {
      if (this.last?.use === use) this.last = undefined;
    });
    return use;
  }
}
