// ConvoyWorkers in the test's own process (a real pool on dist/workers/thread.js, the run's Redis):
// one Redis connection for the file, and every worker started through it closed after the file.
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { connectRedis } from '../../src/store/index.js';
import { ConvoyWorker } from '../../workers/worker.js';

export interface InProcessWorkers {
  /** The file's Redis connection (set in beforeAll). */
  readonly redis: Redis;
  /** A worker on `prefix`: one pool thread, checkpoints at every step, unless `env` says otherwise. */
  start(prefix: string, env?: Record<string, string>): Promise<ConvoyWorker>;
}

export function useInProcessWorkers(connectionName: string): InProcessWorkers {
  const workers: ConvoyWorker[] = [];
  let redis: Redis | undefined;
  beforeAll(() => {
    redis = connectRedis(inject('redisUrl'), connectionName);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await redis?.quit();
  });
  return {
    get redis() {
      return redis!;
    },
    async start(prefix, env = {}) {
      const config = loadConfig({ POOL_THREADS: '1', CHECKPOINT_EVERY_SECONDS: '0', ...env });
      const w = new ConvoyWorker({
        redisUrl: inject('redisUrl'),
        prefix,
        config: config.worker,
        weightsInlineMaxBytes: config.weightsInlineMaxBytes,
        log: pino({ level: 'silent' }),
      });
      workers.push(w);
      await w.start();
      return w;
    },
  };
}
