// `npm run start:worker`: a worker process alone (scale out: run any number, on any machines, against
// one Redis). Uses REDIS_URL, else redis://127.0.0.1:6379.
import closeWithGrace from 'close-with-grace';
import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
import { memoryReturnWarning } from './pool.js';
import { ConvoyWorker } from './worker.js';

const config = loadConfig();
const log = pino({ level: config.logLevel, name: 'convoy-worker' });
const worker = new ConvoyWorker({
  redisUrl: config.redisUrl ?? 'redis://127.0.0.1:6379',
  prefix: config.redisPrefix,
  config: config.worker,
  tenantQuotas: config.tenantQuotas,
  eventLog: config.eventLog,
  weightsInlineMaxBytes: config.weightsInlineMaxBytes,
  log,
});

closeWithGrace({ delay: config.worker.shutdownGraceMs, logger: log }, async ({ signal, err }) => {
  if (err) log.error({ err }, 'shutting down after an error');
  else log.info({ signal }, 'shutting down');
  await worker.close();
});

const warning = memoryReturnWarning();
if (warning) log.warn(warning);

try {
  await worker.start();
} catch (err) {
  log.fatal({ err }, 'worker could not start');
  process.exit(1);
}
