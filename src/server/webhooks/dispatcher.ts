// Webhook delivery, run by every API process (not the workers: their event loops belong to training,
// and webhooks need the allow-list, the tenants' secrets and network egress, which the API has).
//
//   worker / cancel / reconciler ── store.update() ── COMMIT ──► terminal event + outbox entry   (one atomic step)
//                                                                        │ drain(), every WEBHOOK_OUTBOX_POLL_MS
//                                                                        ▼
//                                  BullMQ `convoy-webhooks`, jobId wh-{job id}: attempts WEBHOOK_ATTEMPTS,
//                                  exponential backoff from WEBHOOK_BACKOFF_MS
//                                                                        │ deliver(), one attempt
//                                                                        ▼
//                                  signed POST (send.ts) ──► a Delivery record per attempt (/deliveries)
//
// Several API processes drain the same outbox: the add is idempotent (BullMQ ignores a jobId it
// has), the outbox entry goes only after the add, so a crash in between re-adds, never loses.
// Delivery is at least once; receivers dedupe on webhook-id.
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config, WebhookConfig } from '../../config.js';
import { WEBHOOK_JOB_NAME, WEBHOOK_QUEUE, type WebhookJobData } from '../../contracts/index.js';
import type { JobStore, WebhookStore } from '../../store/index.js';
import { hostOf, matchHost, RefusedDestinationError, refusal } from './destination.js';
import { webhookPayload } from './payload.js';
import { post } from './send.js';

/** Deliveries one API process makes at once (they wait on the network, not the CPU). */
const CONCURRENCY = 16;
/** Owed webhooks moved per outbox scan. */
const DRAIN_BATCH = 100;

export interface WebhookDeps {
  store: JobStore;
  webhooks: WebhookStore;
  redis: Redis;
  prefix: string;
  config: WebhookConfig;
  log: FastifyBaseLogger;
  /** Counts one attempt's outcome (the API's /metrics). */
  counted(outcome: 'delivered' | 'failed' | 'refused'): void;
}

export class WebhookDispatcher {
  readonly queue: Queue<WebhookJobData>;
  private worker: Worker<WebhookJobData> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: WebhookDeps) {
    this.queue = new Queue<WebhookJobData>(WEBHOOK_QUEUE, { connection: d.redis, prefix: d.prefix });
  }

  async start(): Promise<void> {
    this.worker = new Worker<WebhookJobData>(WEBHOOK_QUEUE, (job) => this.deliver(job), {
      connection: this.d.redis,
      prefix: this.d.prefix,
      concurrency: CONCURRENCY,
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
    });
    this.worker.on('error', (err) => this.d.log.warn({ err: err.message }, 'webhook worker error'));
    await this.worker.waitUntilReady();
    this.timer = setInterval(() => {
      this.draining = this.draining
        .then(() => this.drain())
        .catch((err: Error) => this.d.log.warn({ err: err.message }, 'webhook outbox drain failed'));
    }, this.d.config.outboxPollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.draining;
    await this.worker?.close();
    await this.queue.close();
  }

  /** Moves owed webhooks to the delivery queue (or drops those of jobs with no URL). How many were queued. */
  async drain(): Promise<number> {
    const { store, webhooks, config } = this.d;
    let queued = 0;
    for (const { jobId, eventId } of await webhooks.owed(DRAIN_BATCH)) {
      const doc = await store.get(jobId);
      const url = doc ? (doc.spec?.webhook?.url ?? (await webhooks.defaultUrl(doc.tenant))) : null;
      if (url) {
        await this.queue.add(
          WEBHOOK_JOB_NAME,
          { jobId, eventId, url },
          { jobId: `wh-${jobId}`, attempts: config.attempts, backoff: { type: 'exponential', delay: config.backoffMs } },
        );
        queued++;
      }
      await webhooks.done(jobId);
    }
    return queued;
  }

  /** One attempt, recorded. Throws to have BullMQ retry (UnrecoverableError: a refused destination, no retry). */
  private async deliver(job: Job<WebhookJobData>): Promise<void> {
    const { store, webhooks, log } = this.d;
    const { jobId, eventId, url } = job.data;
    const doc = await store.get(jobId);
    const event = doc && (await webhooks.event(jobId, eventId));
    const payload = doc && event && webhookPayload(doc, { id: eventId, ...event });
    if (!doc || !payload) return; // the job was deleted meanwhile: nobody to tell
    const attempt = job.attemptsMade + 1;
    const webhookId = `msg_${jobId}_${eventId}`;
    const startedAt = new Date().toISOString();
    const { statusCode, error, refused } = await this.post(url, doc.tenant, webhookId, JSON.stringify(payload));
    const ok = error === null;
    const willRetry = !ok && !refused && attempt < (job.opts.attempts ?? 1);
    const finishedAt = new Date().toISOString();
    await webhooks.record(jobId, { webhookId, attempt, url, statusCode, ok, error, startedAt, finishedAt, willRetry });
    this.d.counted(ok ? 'delivered' : refused ? 'refused' : 'failed');
    // the host only: a URL may carry the receiver's own token in its path or query
    const where = { jobId, attempt, host: hostOf(new URL(url)), statusCode };
    if (ok) return log.info(where, 'webhook delivered');
    log.warn({ ...where, error, willRetry }, 'webhook attempt failed');
    throw refused ? new UnrecoverableError(error) : new Error(error);
  }

  /** POSTs once, signed with the tenant's secret: the status code, or why no 2xx came (refused: by the allow-list). */
  private async post(url: string, tenant: string, webhookId: string, body: string): Promise<Outcome> {
    const { webhooks, config } = this.d;
    const why = refusal(url, config.allowedHosts); // the list may have changed since submit
    if (why) return { statusCode: null, error: `refused: the URL ${why}`, refused: true };
    try {
      const publicOnly = matchHost(hostOf(new URL(url)), config.allowedHosts) !== 'exact';
      const secret = await webhooks.secret(tenant);
      const statusCode = await post({ url, webhookId, secret, body, timeoutMs: config.timeoutMs, publicOnly });
      const accepted = statusCode >= 200 && statusCode < 300;
      return { statusCode, error: accepted ? null : `the receiver answered ${statusCode}`, refused: false };
    } catch (err) {
      const refused = err instanceof RefusedDestinationError;
      return { statusCode: null, error: `${refused ? 'refused: ' : ''}${(err as Error).message}`, refused };
    }
  }
}

type Outcome = { statusCode: number | null; error: string; refused: boolean } | { statusCode: number; error: null; refused: false };

/** Starts the app's webhook delivery (every API process runs one). Stop it before closing the app. */
export async function startWebhooks(app: FastifyInstance, config: Config): Promise<WebhookDispatcher> {
  const dispatcher = new WebhookDispatcher({
    store: app.store,
    webhooks: app.webhooks,
    redis: app.redis,
    prefix: config.redisPrefix,
    config: config.webhooks,
    log: app.log.child({ component: 'webhooks' }),
    counted: (outcome) => app.metrics.webhookAttempts.inc({ outcome }),
  });
  await dispatcher.start();
  return dispatcher;
}
