// Prometheus metrics at GET /metrics: jobs by status, queue depth, training samples/s reported by
// the live workers' heartbeats, SSE clients, webhook attempts and owed webhooks, plus process metrics. One registry per app (tests build several apps).
import fp from 'fastify-plugin';
import { Registry, Gauge, Counter, collectDefaultMetrics } from 'prom-client';
import { JOB_STATUSES } from '../../contracts/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: { registry: Registry; jobsSubmitted: Counter; sseClients: Gauge; webhookAttempts: Counter<'outcome'> };
  }
}

export default fp<{ readyWithinMs: number }>(
  async (app, { readyWithinMs }) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'convoy_api_' });

    new Gauge({
      name: 'convoy_jobs',
      help: 'Jobs by status',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        for (const [status, n] of await app.store.countByStatus(JOB_STATUSES)) this.set({ status }, n);
      },
    });

    new Gauge({
      name: 'convoy_queue_jobs',
      help: 'Training queue depth by BullMQ state',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const counts = await app.queues.train.getJobCounts('waiting', 'prioritized', 'active', 'delayed');
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });

    new Gauge({
      name: 'convoy_training_samples_per_second',
      help: 'Samples trained per second, summed over the live workers (their last heartbeat)',
      registers: [registry],
      async collect() {
        const workers = await app.workers.live(readyWithinMs);
        this.set(workers.reduce((sum, w) => sum + (w.samplesPerSecond ?? 0), 0));
      },
    });

    const sseClients = new Gauge({
      name: 'convoy_sse_clients',
      help: 'Open event-stream connections on this API process',
      registers: [registry],
    });
    const jobsSubmitted = new Counter({
      name: 'convoy_jobs_submitted_total',
      help: 'Jobs accepted by this API process',
      registers: [registry],
    });

    const webhookAttempts = new Counter({
      name: 'convoy_webhook_attempts_total',
      help: 'Webhook delivery attempts made by this API process, by outcome: delivered, failed (retried if attempts remain), refused (by the allow-list)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    new Gauge({
      name: 'convoy_webhooks_owed',
      help: 'Ended jobs whose webhook is not yet in the delivery queue (the outbox)',
      registers: [registry],
      async collect() {
        this.set(await app.webhooks.owedCount());
      },
    });

    app.decorate('metrics', { registry, jobsSubmitted, sseClients, webhookAttempts });
  },
  { name: 'convoy-metrics', dependencies: ['convoy-redis', 'convoy-queues'] },
);
