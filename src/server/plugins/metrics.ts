// Prometheus metrics at GET /metrics: jobs by status, queue depth, training samples/s reported by
// running jobs, SSE clients, plus process metrics. One registry per app (tests build several apps).
import fp from 'fastify-plugin';
import { Registry, Gauge, Counter, collectDefaultMetrics } from 'prom-client';
import { JOB_STATUSES, type JobDocument } from '../../contracts/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: { registry: Registry; jobsSubmitted: Counter; sseClients: Gauge };
  }
}

export default fp(
  async (app) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'convoy_api_' });

    new Gauge({
      name: 'convoy_jobs',
      help: 'Jobs by status',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        const pipe = app.redis.pipeline();
        for (const s of JOB_STATUSES) pipe.zcard(app.store.keys.jobsByStatus(s));
        const counts = (await pipe.exec()) ?? [];
        JOB_STATUSES.forEach((s, i) => {
          this.set({ status: s }, Number(counts[i]?.[1] ?? 0));
        });
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
      help: 'Sum of samples/s reported by running jobs',
      registers: [registry],
      async collect() {
        const ids = await app.redis.zrange(app.store.keys.jobsByStatus('running'), 0, 999);
        const pipe = app.redis.pipeline();
        for (const id of ids) pipe.hget(app.store.keys.job(id), 'doc');
        const docs = ids.length ? ((await pipe.exec()) ?? []).map(([, raw]) => raw as string | null) : [];
        let total = 0;
        for (const raw of docs) {
          if (!raw) continue;
          const doc = JSON.parse(raw) as Pick<JobDocument, 'progress'>;
          total += doc.progress?.samplesPerSecond ?? 0;
        }
        this.set(total);
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

    app.decorate('metrics', { registry, jobsSubmitted, sseClients });
  },
  { name: 'convoy-metrics', dependencies: ['convoy-redis', 'convoy-queues'] },
);
