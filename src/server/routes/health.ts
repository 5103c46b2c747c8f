// /healthz (the process answers), /readyz (Redis answers and a worker heartbeat is recent), /metrics.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { PROBLEM_TYPES, ProblemSchema } from '../../contracts/index.js';
import { sendProblem } from '../errors.js';
import type { ServerContext } from '../app.js';

const healthRoutes: FastifyPluginAsyncTypebox<ServerContext> = async (app, ctx) => {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: the process answers',
        operationId: 'getHealth',
        description: 'Answers 200 as long as the process runs; it checks nothing else. No key needed.',
        security: [],
        tags: ['health'],
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: Redis answers and at least one worker sent a heartbeat recently',
        operationId: 'getReadiness',
        description:
          'Answers 200 when Redis answers and at least one worker sent a heartbeat within READY_WORKER_WITHIN_MS; otherwise 503 with the reason. No key needed.',
        security: [],
        tags: ['health'],
        response: {
          200: Type.Object({ status: Type.Literal('ready'), redis: Type.Literal('ok'), workers: Type.Integer({ minimum: 1 }) }),
          503: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      let workers = 0;
      try {
        await app.redis.ping();
        workers = (await app.workers.live(ctx.config.api.readyWorkerWithinMs)).length;
      } catch (err) {
        request.log.warn({ err: (err as Error).message }, 'readyz: redis unreachable');
        return sendProblem(reply, {
          type: PROBLEM_TYPES.notReady,
          title: 'Service Unavailable',
          status: 503,
          detail: 'Redis is unreachable',
          code: 'redis-unreachable',
        });
      }
      if (workers === 0) {
        return sendProblem(reply, {
          type: PROBLEM_TYPES.notReady,
          title: 'Service Unavailable',
          status: 503,
          detail: `no worker heartbeat in the last ${ctx.config.api.readyWorkerWithinMs} ms`,
          code: 'no-workers',
        });
      }
      return { status: 'ready' as const, redis: 'ok' as const, workers };
    },
  );

  app.get(
    '/metrics',
    {
      config: { access: 'metrics' },
      schema: {
        summary: 'Prometheus metrics (an admin key or METRICS_TOKEN as Bearer)',
        operationId: 'getMetrics',
        description: 'Process and service metrics in the Prometheus text format, for an admin key or the METRICS_TOKEN as a Bearer token.',
        tags: ['health'],
        produces: ['text/plain'],
        response: { 200: Type.String({ description: 'Prometheus text exposition format' }), 401: ProblemSchema, 403: ProblemSchema },
      },
    },
    async (_request, reply) => {
      const body = await app.metrics.registry.metrics();
      return reply.type(app.metrics.registry.contentType).send(body);
    },
  );
};

export default healthRoutes;
