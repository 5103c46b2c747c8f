// `npm run start:api`: the API alone (workers run apart: `npm run start:worker`).
// Configuration from the environment (src/config.ts); listens; on SIGTERM/SIGINT stops taking
// requests, ends event streams and closes Redis within CLOSE_GRACE_MS (default 10 s).
import closeWithGrace from 'close-with-grace';
import { loadConfig, ConfigError, type Config } from '../config.js';
import { pino } from 'pino';
import { resolveAdminKey } from './admin-key.js';
import { buildApp } from './app.js';
import { requeueOrphans } from './enqueue.js';
import { startReconciler, type Reconciler } from './reconciler.js';
import { startWebhooks, type WebhookDispatcher } from './webhooks/dispatcher.js';
import { startJanitor, type Janitor } from './janitor.js';

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`convoy-api: bad configuration: ${err.message}`);
    process.exit(2);
  }
  throw err;
}

try {
  config.auth.adminKey = resolveAdminKey(config.auth, pino({ level: config.logLevel, name: 'convoy-api' }));
} catch (err) {
  console.error(`convoy-api: ${(err as Error).message}`);
  process.exit(2);
}

const redisUrl = config.redisUrl ?? 'redis://127.0.0.1:6379';
const app = await buildApp({ config, redisUrl });
let reconciler: Reconciler | undefined;
let webhooks: WebhookDispatcher | undefined;
let janitor: Janitor | undefined;

closeWithGrace({ delay: Number(process.env.CLOSE_GRACE_MS ?? 10_000) }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'convoy-api: shutting down after an error');
  else app.log.info({ signal }, 'convoy-api: shutting down');
  await reconciler?.stop();
  await webhooks?.stop();
  await janitor?.stop();
  await app.close();
});

try {
  await app.redis.connect().catch((err: Error) => {
    throw new Error(`cannot reach Redis at ${redisUrl} (${err.message}); set REDIS_URL or run \`npm start\`, which starts one`);
  });
  await requeueOrphans(app);
  reconciler = startReconciler(app, config);
  webhooks = await startWebhooks(app, config); // every API process delivers webhooks
  janitor = startJanitor(app, config);
  await app.listen({ port: config.api.port, host: config.api.host });
  app.log.info({ redis: redisUrl.replace(/\/\/[^@]*@/, '//***@'), docs: '/docs' }, 'convoy-api: ready');
} catch (err) {
  app.log.fatal({ err: (err as Error).message }, 'convoy-api: could not start');
  await app.close().catch(() => undefined);
  process.exit(1);
}
