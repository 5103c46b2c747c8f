// /v1/jobs: submit, validate, read, list, cancel, delete.
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import {
  CancelAcceptedSchema,
  IdParamsSchema,
  JobAcceptedSchema,
  JobDocumentSchema,
  JobListQuerySchema,
  JobListSchema,
  JobSubmissionSchema,
  PROBLEM_TYPES,
  ProblemSchema,
  ValidationReportSchema,
  isTerminalStatus,
  type CancelledEvent,
  type JobDocument,
  type JobSpec,
  type JobSubmission,
} from '../../contracts/index.js';
import { failedEvent, InvalidCursorError, JobFinishedError, JobNotFoundError, queuedJobDocument, statusEvent } from '../../store/index.js';
import { ProblemError, notFound } from '../errors.js';
import { enqueueTraining } from '../enqueue.js';
import { jobLinks } from '../links.js';
import { stableStringify } from '../stable-json.js';
import { analyzeSubmission, quotaProblem } from '../validate.js';
import type { ServerContext } from '../app.js';

const problems = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ProblemSchema]));

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'same key + same body returns the same job; same key + another body is 422',
    }),
  ),
});

interface IdempotencyRecord {
  hash: string;
  id: string;
  at: number;
}

/** An idempotency record whose job never appeared (creation failed, or the job was deleted) goes stale after this. */
const PENDING_GRACE_MS = 10_000;

const jobsRoutes: FastifyPluginAsyncTypebox<ServerContext> = async (app, ctx) => {
  const { config } = ctx;
  const base = config.api.publicUrl ?? '';
  const withLinks = (doc: JobDocument) => ({ ...doc, links: jobLinks(base, doc.id) });
  const idemKey = (key: string) => `${app.store.keys.prefix}:idempotency:${createHash('sha256').update(key).digest('hex')}`;

  async function createJob(id: string, spec: JobSpec, stepsPerEpoch: number): Promise<void> {
    const doc = queuedJobDocument(id, spec, stepsPerEpoch);
    await app.store.create(doc, statusEvent(doc));
    try {
      await enqueueTraining(app, id, doc.priority);
    } catch (err) {
      // Never lose a job silently: the document says why it will not run.
      app.log.error({ err, jobId: id }, 'queue.add failed; job marked failed');
      const error = { code: 'enqueue-failed', message: 'the job could not be queued' };
      await app.store.update(id, { status: 'failed', stage: 'done', error }, { event: failedEvent(error, 0) }).catch(() => undefined);
      throw new ProblemError(503, 'the queue is unavailable; try again', { code: 'queue-unavailable' });
    }
  }

  app.post(
    '/v1/jobs',
    {
      schema: {
        summary: 'Submit a training job',
        tags: ['jobs'],
        headers: IdempotencyHeaders,
        body: JobSubmissionSchema,
        response: { 202: JobAcceptedSchema, ...problems(400, 409, 422, 503) },
      },
    },
    async (request, reply) => {
      const body = request.body as JobSubmission;
      const { spec, report } = await analyzeSubmission(body, { quotas: config.quotas, store: app.store, datasets: app.datasets });
      if (!report.valid) throw quotaProblem(report);

      const key = request.headers['idempotency-key'];
      const id: string = randomUUID();
      if (key !== undefined) {
        const hash = createHash('sha256').update(stableStringify(body)).digest('hex');
        const record: IdempotencyRecord = { hash, id, at: Date.now() };
        const k = idemKey(key);
        const ttl = config.api.idempotencyTtlSeconds;
        const set = await app.redis.set(k, JSON.stringify(record), 'EX', ttl, 'NX');
        if (set === null) {
          const existing = JSON.parse((await app.redis.get(k)) ?? 'null') as IdempotencyRecord | null;
          if (existing && existing.hash !== hash) {
            throw new ProblemError(422, 'this Idempotency-Key was used with a different body', {
              type: PROBLEM_TYPES.idempotency,
              code: 'idempotency-key-reuse',
            });
          }
          if (existing) {
            const doc = await app.store.get(existing.id);
            if (doc) {
              reply.header('location', jobLinks(base, doc.id).self).header('idempotent-replayed', 'true');
              return reply.code(202).send({ id: doc.id, status: doc.status, links: jobLinks(base, doc.id) });
            }
            if (Date.now() - existing.at < PENDING_GRACE_MS) {
              throw new ProblemError(409, 'a request with this Idempotency-Key is still being processed', {
                code: 'idempotency-in-progress',
              });
            }
          }
          // Stale (its job was never created or was deleted): take the key over.
          await app.redis.set(k, JSON.stringify(record), 'EX', ttl);
        }
        try {
          await createJob(id, spec, report.stepsPerEpoch ?? 0);
        } catch (err) {
          await app.redis.del(k);
          throw err;
        }
      } else {
        await createJob(id, spec, report.stepsPerEpoch ?? 0);
      }
      app.metrics.jobsSubmitted.inc();
      const links = jobLinks(base, id);
      return reply
        .code(202)
        .header('location', links.self)
        .send({ id, status: 'queued' as const, links });
    },
  );

  app.post(
    '/v1/jobs/validate',
    {
      schema: {
        summary: 'Check a job without submitting it: shapes, parameters, FLOPs, quotas',
        tags: ['jobs'],
        body: JobSubmissionSchema,
        response: { 200: ValidationReportSchema, ...problems(400) },
      },
    },
    async (request) => {
      const { report } = await analyzeSubmission(request.body as JobSubmission, {
        quotas: config.quotas,
        store: app.store,
        datasets: app.datasets,
      });
      return report;
    },
  );

  app.get(
    '/v1/jobs/:id',
    {
      schema: {
        summary: 'A job: status, stage, progress, metrics, history, transitions',
        tags: ['jobs'],
        params: IdParamsSchema,
        response: { 200: JobDocumentSchema, ...problems(404) },
      },
    },
    async (request) => {
      const doc = await app.store.get(request.params.id);
      if (!doc) throw notFound('job', request.params.id);
      return withLinks(doc);
    },
  );

  app.get(
    '/v1/jobs',
    {
      schema: {
        summary: 'List jobs, newest first',
        tags: ['jobs'],
        querystring: JobListQuerySchema,
        response: { 200: JobListSchema, ...problems(400) },
      },
    },
    async (request) => {
      const { status, limit = 20, cursor } = request.query;
      try {
        const page = await app.store.list({ ...(status ? { status } : {}), limit, ...(cursor ? { cursor } : {}) });
        return { items: page.jobs.map(withLinks), nextCursor: page.nextCursor ?? null };
      } catch (err) {
        if (err instanceof InvalidCursorError) {
          throw new ProblemError(400, 'querystring/cursor is not a cursor this API returned', {
            field: 'querystring/cursor',
            code: 'invalid',
          });
        }
        throw err;
      }
    },
  );

  app.post(
    '/v1/jobs/:id/cancel',
    {
      schema: {
        summary: 'Cancel a job: a queued job ends at once, a running one at its next batch',
        tags: ['jobs'],
        params: IdParamsSchema,
        response: { 202: CancelAcceptedSchema, ...problems(404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const doc = await app.store.get(id);
      if (!doc) throw notFound('job', id);
      if (isTerminalStatus(doc.status)) {
        throw new ProblemError(409, `job ${id} has already finished (${doc.status})`, {
          type: PROBLEM_TYPES.conflict,
          code: 'finished',
          extra: { jobStatus: doc.status },
        });
      }
      try {
        if (doc.status === 'queued' && doc.attempt === 0) {
          // Never started: take it out of the queue. 0 means a worker has it (or is taking it now).
          // (A job that ran before, e.g. handed back on a worker's SIGTERM, goes through the flag, so
          // the worker that resumes it saves its partial weights.)
          const removed = await app.queues.train.remove(id).catch(() => 0);
          if (removed === 1) {
            const data: CancelledEvent = { metrics: doc.metrics, weights: null };
            const res = await app.store.update(id, (d) => (isTerminalStatus(d.status) ? null : { status: 'cancelled', stage: 'done' }), {
              event: { type: 'cancelled', data },
              clearCancel: true,
            });
            return reply.code(202).send({ id, status: res?.doc.status ?? 'cancelled' });
          }
        }
        // Running (or just picked up), on whichever worker: the flag is read between batches.
        await app.store.requestCancel(id);
        const res = await app.store.update(
          id,
          (d) => (d.status === 'cancelling' || isTerminalStatus(d.status) ? null : { status: 'cancelling' }),
          {
            event: (d) => statusEvent(d, 'cancel requested'),
          },
        );
        return reply.code(202).send({ id, status: res?.doc.status ?? (await app.store.get(id))?.status ?? 'cancelling' });
      } catch (err) {
        if (err instanceof JobFinishedError) {
          throw new ProblemError(409, `job ${id} has already finished (${err.status})`, {
            type: PROBLEM_TYPES.conflict,
            code: 'finished',
            extra: { jobStatus: err.status },
          });
        }
        if (err instanceof JobNotFoundError) throw notFound('job', id);
        throw err;
      }
    },
  );

  app.delete(
    '/v1/jobs/:id',
    {
      schema: {
        summary: 'Delete a finished job and its events, weights and checkpoint',
        tags: ['jobs'],
        params: IdParamsSchema,
        response: { 204: Type.Null(), ...problems(404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const doc = await app.store.get(id);
      if (!doc) throw notFound('job', id);
      if (!isTerminalStatus(doc.status)) {
        throw new ProblemError(409, `job ${id} is ${doc.status}; cancel it and wait for it to finish first`, {
          type: PROBLEM_TYPES.conflict,
          code: 'not-finished',
          extra: { jobStatus: doc.status },
        });
      }
      await app.store.delete(id);
      await app.queues.train.remove(id).catch(() => 0);
      return reply.code(204).send(null);
    },
  );
};

export default jobsRoutes;
