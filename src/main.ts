// `npm start`: the API and a worker in one process, for a single machine.
//
// Redis: REDIS_URL if set; else a Redis answering on 127.0.0.1:6379; else a private redis-server
// child with its data under .convoy/redis (AOF on); with neither a Redis nor a redis-server binary,
// exit with a message saying how to get one. The log says which was used.
//
// SIGTERM/SIGINT: the worker hands its running jobs back (each checkpoints at its next step), then
// the API stops taking requests and ends its event streams, then the private Redis (if any) stops.
import closeWithGrace from 'close-with-grace';
import { pino } from 'pino';
import { ConfigError, loadConfig, type Config } from './config.js';
import { NoRedisError, resolveRedis, type ResolvedRedis } from './redis-bootstrap.js';
import { resolveAdminKey } from './server/admin-key.js';
import { buildApp } from './server/app.js';
import { requeueOrphans } from './server/enqueue.js';
import { startReconciler, type Reconciler } from './server/reconciler.js';
import { startWebhooks, type WebhookDispatcher } from './server/webhooks/dispatcher.js';
import { startJanitor, type Janitor } from './server/janitor.js';
import { ConvoyWorker } from '../workers/worker.js';
import { memoryReturnWarning } from '../workers/pool.js';

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`convoy: bad configuration: ${err.message}`);
    process.exit(2);
  }
  throw err;
}

const log = pino({ level: config.logLevel, name: 'convoy' });
try {
  config.auth.adminKey = resolveAdminKey(config.auth, log);
} catch (err) {
  console.error(`convoy: ${(err as Error).message}`);
  process.exit(2);
}

let redis: ResolvedRedis;
try {
  redis = await resolveRedis({ url: config.redisUrl, log });
} catch (err) {
  if (err instanceof NoRedisError) {
    log.fatal(err.message);
    console.error(`\nconvoy: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

const app = await buildApp({ config, redisUrl: redis.url });
let reconciler: Reconciler | undefined;
let webhooks: WebhookDispatcher | undefined;
let janitor: Janitor | undefined;
const worker = new ConvoyWorker({
  redisUrl: redis.url,
  prefix: config.redisPrefix,
  config: config.worker,
  tenantQuotas: config.tenantQuotas,
  eventLog: config.eventLog,
  weightsInlineMaxBytes: config.weightsInlineMaxBytes,
  log: log.child({ component: 'worker' }),
});

closeWithGrace({ delay: config.worker.shutdownGraceMs + 5000, logger: log }, async ({ signal, err }) => {
  if (err) log.error({ err }, 'shutting down after an error');
  else log.info({ signal }, 'shutting down');
  await worker.close();
  await reconciler?.stop();
  await webhooks?.stop();
  await janitor?.stop();
  await app.close();
  await redis.stop();
});

const warning = memoryReturnWarning();
if (warning) log.warn(warning);

try {
  await app.redis.connect();
  await requeueOrphans(app); // a job accepted just before a crash, but never queued
  reconciler = startReconciler(app, config);
  webhooks = await startWebhooks(app, config); // every API process delivers webhooks
  janitor = startJanitor(app, config);
  await worker.start();
  await app.listen({ port: config.api.port, host: config.api.host });
  log.info({ port: config.api.port, redis: redis.source, docs: '/docs' }, 'convoy ready: API and worker in one process');
} catch (err) {
  log.fatal({ err }, 'convoy could not start');
  await worker.close().catch(() => undefined);
  await app.close().catch(() => undefined);
  await redis.stop();
  process.exit(1);
}
