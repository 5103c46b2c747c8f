// How `npm start` finds Redis: REDIS_URL, else 127.0.0.1:6379 if it answers, else a private
// redis-server child (AOF on, data under the given dir), else a clear error.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { NoRedisError, pingRedis, resolveRedis } from '../src/redis-bootstrap.js';
import { freePort } from './helpers/redis-server.js';

const log = pino({ level: 'silent' });

describe('redis bootstrap', () => {
  it('uses REDIS_URL when set, without probing elsewhere', async () => {
    const r = await resolveRedis({ url: inject('redisUrl'), log });
    expect(r).toMatchObject({ url: inject('redisUrl'), source: 'REDIS_URL' });
  });

  it('uses the local Redis when one answers', async () => {
    const r = await resolveRedis({ localUrl: inject('redisUrl'), log });
    expect(r.source).toBe('local');
  });

  it('starts a private redis-server with AOF when nothing answers, and stops it', async () => {
    const closed = `redis://127.0.0.1:${await freePort()}`;
    const dir = mkdtempSync(join(tmpdir(), 'convoy-bootstrap-'));
    try {
      const r = await resolveRedis({ localUrl: closed, dataDir: join(dir, 'redis'), log });
      expect(r.source).toBe('private');
      const client = new Redis(r.url);
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      await client.set('k', 'v');
      await client.quit();
      await r.stop();
      expect(await pingRedis(r.url, 200)).toBe(false);
      expect(existsSync(join(dir, 'redis'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('explains how to get a Redis when there is none and no redis-server binary', async () => {
    const closed = `redis://127.0.0.1:${await freePort()}`;
    const err = await resolveRedis({ localUrl: closed, binary: 'redis-server-that-does-not-exist', log }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoRedisError);
    expect((err as Error).message).toMatch(/REDIS_URL/);
    expect((err as Error).message).toMatch(/apt-get install redis-server/);
  });
});
