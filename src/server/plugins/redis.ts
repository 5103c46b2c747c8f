// The Redis connection and the stores over it: `app.redis`, `app.store` (jobs, events, weights),
// `app.datasets`, `app.idempotency`, `app.workers` (heartbeats), `app.apiKeys`, `app.streamTokens`,
// `app.streamSlots`, `app.tenants`, `app.predictRequests`, `app.webhooks`, `app.redisMemory`. Connects lazily (on the first
// command), so building the app for the OpenAPI
// document needs no Redis. Closed in onClose.
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import {
  ApiKeyStore,
  IdempotencyStore,
  JobStore,
  PredictRequests,
  RedisMemory,
  StreamSlots,
  StreamTokenStore,
  TenantStore,
  WebhookStore,
  WorkerRegistry,
  connectRedis,
} from '../../store/index.js';
import type { TenantQuotas } from '../../config.js';
import type { LogLimits } from '../../store/index.js';
import { DatasetStore } from '../../store/datasets.js';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
    store: JobStore;
    datasets: DatasetStore;
    idempotency: IdempotencyStore;
    workers: WorkerRegistry;
    apiKeys: ApiKeyStore;
    streamTokens: StreamTokenStore;
    streamSlots: StreamSlots;
    tenants: TenantStore;
    predictRequests: PredictRequests;
    webhooks: WebhookStore;
    /** How full Redis is (INFO memory, read at most once a second): submit and upload stop at the high-water mark. */
    redisMemory: RedisMemory;
  }
}

export interface RedisPluginOptions {
  url: string;
  prefix: string;
  tenantQuotas: TenantQuotas;
  eventLog: LogLimits;
}

export default fp<RedisPluginOptions>(
  async (app, opts) => {
    const redis = connectRedis(opts.url, 'convoy-api', { lazyConnect: true });
    redis.on('error', (err) => app.log.warn({ err: err.message }, 'redis connection error'));
    app.decorate('redis', redis);
    app.decorate('store', new JobStore(redis, opts.prefix, opts.eventLog));
    app.decorate('datasets', new DatasetStore(redis, opts.prefix));
    app.decorate('idempotency', new IdempotencyStore(redis, opts.prefix));
    app.decorate('workers', new WorkerRegistry(redis, opts.prefix));
    app.decorate('apiKeys', new ApiKeyStore(redis, opts.prefix));
    app.decorate('streamTokens', new StreamTokenStore(redis, opts.prefix));
    app.decorate('streamSlots', new StreamSlots(redis, opts.prefix));
    app.decorate('tenants', new TenantStore(redis, opts.prefix, opts.tenantQuotas));
    app.decorate('predictRequests', new PredictRequests(redis, opts.prefix));
    app.decorate('webhooks', new WebhookStore(redis, opts.prefix));
    app.decorate('redisMemory', new RedisMemory(redis));
    app.addHook('onClose', async () => {
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    });
  },
  { name: 'convoy-redis' },
);
