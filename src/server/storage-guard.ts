// Redis under pressure. Under `noeviction` a full Redis refuses writes, so before it is full, above
// REDIS_HIGH_WATER_RATIO of its maxmemory, the requests that store the most (submit, upload) are
// turned away with 503 `storage-full` and a Retry-After, while running jobs can still write their
// progress and results. A write Redis refuses anyway (`OOM ...`) answers the same problem, never a 500.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { storageFull } from './errors.js';

/** An onRequest hook for routes that store data: 503 storage-full above the high-water mark. */
export function storageGuard(app: FastifyInstance, highWaterRatio: number) {
  return async (request: FastifyRequest): Promise<void> => {
    // A failed reading (Redis unreachable) lets the request through: its own write will tell.
    const use = await app.redisMemory.use().catch(() => undefined);
    if (!use || use.max === 0 || use.ratio < highWaterRatio) return;
    request.log.warn({ used: use.used, max: use.max, highWaterRatio }, 'redis above its high-water mark: storing request refused');
    throw storageFull(
      `storage is nearly full (${Math.round(use.ratio * 100)}% of Redis's memory; REDIS_HIGH_WATER_RATIO is ${highWaterRatio}); try again later`,
    );
  };
}
