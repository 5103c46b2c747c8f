import { describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';

describe('test harness', () => {
  it('runs a private redis-server, not the shared 6379', async () => {
    const url = inject('redisUrl');
    expect(url).not.toMatch(/:6379$/);
    const redis = new Redis(url);
    await redis.set('convoy:harness', 'ok');
    expect(await redis.get('convoy:harness')).toBe('ok');
    redis.disconnect();
  });
});
