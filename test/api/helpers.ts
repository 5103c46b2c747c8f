// Build the real app against the run's private Redis, under a key prefix of its own.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { ADMIN_AUTH, TEST_ADMIN_KEY } from '../helpers/auth.js';
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

/**
 * The real app, started with the test admin key. Its `inject` sends that key unless the request
 * names an Authorization header itself (`authorization: undefined` sends none). `url`: the run's
 * private Redis unless a test brings its own (the fuzz suite does, to see every key it writes).
 */
export async function startApp(
  env: Record<string, string> = {},
  prefix = `t${randomUUID().slice(0, 8)}`,
  url = inject('redisUrl'),
): Promise<TestApp> {
  const config = loadConfig({ LOG_LEVEL: 'silent', REDIS_PREFIX: prefix, CONVOY_ADMIN_KEY: TEST_ADMIN_KEY, ...env });
  const app = await buildApp({ config, redisUrl: url, logger: env.LOG_LEVEL ? undefined : false });
  await app.ready();
  const plain = app.inject.bind(app);
  app.inject = ((opts: InjectOptions) => {
    const { authorization, ...rest } = (opts.headers ?? {}) as Record<string, string | undefined>;
    const named = opts.headers !== undefined && 'authorization' in opts.headers;
    const auth = named ? (authorization === undefined ? {} : { authorization }) : ADMIN_AUTH;
    return plain({ ...opts, headers: { ...rest, ...auth } } as InjectOptions);
  }) as typeof app.inject;
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
