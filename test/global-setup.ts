// One private redis-server for the whole test run; tests read its URL with inject('redisUrl').
import type { TestProject } from 'vitest/node';
import { startRedis, type PrivateRedis } from './helpers/redis-server.js';

let redis: PrivateRedis | undefined;

export async function setup(project: TestProject): Promise<void> {
  redis = await startRedis();
  project.provide('redisUrl', redis.url);
}

export async function teardown(): Promise<void> {
  await redis?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
