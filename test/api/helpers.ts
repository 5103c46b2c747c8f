// Build the real app against the run's private Redis, under a key prefix of its own.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import { Redis } from 'ioredis';
import { buildApp } from '../../src/server/app.js';
import { loadConfig, type Config } from '../../src/config.js';

export interface TestApp {
  app: FastifyInstance;
  config: Config;
  redis: Redis;
  prefix: string;
  close(): Promise<void>;
}

export async function startApp(env: Record<string, string> = {}, prefix = `t${randomUUID().slice(0, 8)}`): Promise<TestApp> {
  const config = loadConfig({ LOG_LEVEL: 'silent', REDIS_PREFIX: prefix, ...env });
  const url = inject('redisUrl');
  const app = await buildApp({ config, redisUrl: url, logger: env.LOG_LEVEL ? undefined : false });
  await app.ready();
  const redis = new Redis(url);
  return {
    app,
    config,
    redis,
    prefix,
    async close() {
      await app.close();
      redis.disconnect();
    },
  };
}

/** A tiny valid job: an inline 1x4x4 dataset with 2 classes and a 2-layer model. */
export function tinyJob(overrides: Record<string, unknown> = {}) {
  const samples = Array.from({ length: 8 }, (_, i) => Array.from({ length: 16 }, (_, j) => (i * 7 + j * 3) % 256));
  return {
    model: { input: [1, 4, 4], layers: [{ type: 'flatten' }, { type: 'dense', units: 2 }] },
    dataset: { inline: { shape: [1, 4, 4], samples, labels: samples.map((_, i) => i % 2) } },
    training: { epochs: 1, batchSize: 4, optimizer: { type: 'sgd', learningRate: 0.1 } },
    ...overrides,
  };
}
