// /v1/jobs: submit, validate, read, list, cancel, delete.
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import {
  CancelAcceptedSchema,
  DEFAULT_PRIORITY,
  IdParamsSchema,
  JobAcceptedSchema,
  JobDocumentSchema,
  JobListQuerySchema,
  JobListSchema,
  JobSubmissionSchema,
  PROBLEM_TYPES,
  ValidationReportSchema,
  isTerminalStatus,
  type JobDocument,
  type JobSubmission,
} from '../../contracts/index.js';
import { cancelJob } from '../cancel.js';
import { submitJob } from '../enqueue.js';
import { ProblemError, invalidField, problems } from '../errors.js';
import { jobLinks } from '../links.js';
import { jobFilterOf } from '../job-list-query.js';
import { stableStringify } from '../stable-json.js';
import { analyzeSubmission, type ValidateContext } from '../validate.js';
import { checkWebhookUrl } from '../webhooks/destination.js';
import { quotaProblem } from '../quotas.js';
import { listedTenant, loadJob } from '../access.js';
import { storageGuard } from '../storage-guard.js';
import { principalOf, type Principal } from '../plugins/auth.js';
import type { ServerContext } from '../app.js';

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'same key + same body returns the same job; same key + another body is 422',
    }),
  ),
});

/** Members may only lower their jobs' priority (numbers from the default up); admins set any. */
function checkPriority(priority: number | undefined, p: Principal, lowest: number): void {
  if (priority === undefined || p.role === 'admin') return;
  if (priority < DEFAULT_PRIORITY || priority > lowest) {
    throw invalidField('/priority', `must be between ${DEFAULT_PRIORITY} and ${lowest} for a member key (only admins raise priority)`);
  }
}

const jobsRoutes: FastifyPluginAsyncTypebox<ServerContext> = async (app, ctx) => {
  const { config } = ctx;
  const base = config.api.publicUrl ?? '';
  const withLinks = <D extends Pick<JobDocument, 'id'>>(doc: D) => ({ ...doc, links: jobLinks(base, doc.id) });
  const validateContext = (request: FastifyRequest): ValidateContext => {
    const p = principalOf(request);
    const sees = (t: string) => p.role === 'admin' || t === p.tenant;
    return { quotas: config.quotas, threads: config.worker.threads, store: app.store, datasets: app.datasets, sees };
  };

  app.post(
    '/v1/jobs',
    {
      onRequest: storageGuard(app, config.api.redisHighWaterRatio),
      schema: {
        summary: 'Submit a training job',
        operationId: 'createJob',
        description:
          "Validates the body (shapes, quotas), stores the job and queues it. Answers 202 with the job's id and links; `Idempotency-Key` makes a retry safe. `metadata` (at most 16 string pairs) and `name` let `GET /v1/jobs` find it again.",
        tags: ['jobs'],
        headers: IdempotencyHeaders,
        body: JobSubmissionSchema,
        response: { 202: JobAcceptedSchema, ...problems(400, 401, 409, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      const body = request.body as JobSubmission;
      const principal = principalOf(request);
      checkPriority(body.priority, principal, config.auth.memberLowestPriority);
      const { spec, report } = await analyzeSubmission(body, validateContext(request));
      if (!report.valid) throw quotaProblem(report.quotas);
      if (body.webhook) await checkWebhookUrl(body.webhook.url, config.webhooks.allowedHosts, '/webhook/url');

      const key = request.headers['idempotency-key'];
      const id = randomUUID();
      const submit = () => submitJob(app, id, spec, report.stepsPerEpoch ?? 0, principal.tenant);
      if (key !== undefined) {
        const bodyHash = createHash('sha256').update(stableStringify(body)).digest('hex');
        // Keys are per tenant: the same key from two tenants names two jobs.
        const claim = await app.idempotency.claim(`${principal.tenant}\n${key}`, bodyHash, id, config.api.idempotencyTtlSeconds);
        if (claim.kind === 'mismatch') {
          throw new ProblemError(422, 'this Idempotency-Key was used with a different body', {
            type: PROBLEM_TYPES.idempotency,
            code: 'idempotency-key-reuse',
          });
        }
        if (claim.kind === 'in-progress') {
          throw new ProblemError(409, 'a request with this Idempotency-Key is still being processed', { code: 'idempotency-in-progress' });
        }
        if (claim.kind === 'replay') {
          const links = jobLinks(base, claim.jobId);
          const doc = await app.store.get(claim.jobId);
          reply.header('location', links.self).header('idempotent-replayed', 'true');
          return reply.code(202).send({ id: claim.jobId, status: doc?.status ?? 'queued', links });
        }
        await submit().catch(async (err: unknown) => {
          await app.idempotency.release(`${principal.tenant}\n${key}`);
          throw err;
        });
      } else {
        await submit();
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
        operationId: 'validateJob',
        description:
          'The same checks as `POST /v1/jobs` (shapes, parameter count, FLOPs, memory, quotas) without storing or queuing anything; `valid` says whether a submission would be accepted.',
        tags: ['jobs'],
        body: JobSubmissionSchema,
        response: { 200: ValidationReportSchema, ...problems(400, 401) },
      },
    },
    async (request) => {
      const body = request.body as JobSubmission;
      const { report } = await analyzeSubmission(body, validateContext(request));
      if (body.webhook) await checkWebhookUrl(body.webhook.url, config.webhooks.allowedHosts, '/webhook/url');
      return report;
    },
  );

  app.get(
    '/v1/jobs/:id',
    {
      schema: {
        summary: 'A job: status, stage, progress, metrics, history, transitions',
        operationId: 'getJob',
        description:
          'The job document: its spec, status and stage, progress, metrics, per-epoch history, status transitions and, once trained, where its weights are.',
        tags: ['jobs'],
        params: IdParamsSchema,
        response: { 200: JobDocumentSchema, ...problems(401, 404) },
      },
    },
    async (request) => withLinks(await loadJob(app, request, request.params.id)),
  );

  app.get(
    '/v1/jobs',
    {
      schema: {
        summary: 'List jobs, newest first',
        operationId: 'listJobs',
        description:
          "The caller's jobs (an admin's: every tenant's, or one with `?tenant=`), newest first, filtered by status, metadata pairs (`?tag=key=value`, repeatable: all must match), name prefix and creation time. Follow `nextCursor` for the next page; a filtered page looks at a bounded number of jobs, so it may hold fewer than `limit` items while `nextCursor` is still set.",
        tags: ['jobs'],
        querystring: JobListQuerySchema,
        response: { 200: JobListSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const { status, limit = 20, cursor } = request.query;
      const tenant = listedTenant(request, request.query.tenant);
      const filter = jobFilterOf(request.query);
      const page = await app.store.list({ tenant, ...(status ? { status } : {}), ...filter, limit, ...(cursor ? { cursor } : {}) });
      return { items: page.jobs.map(withLinks), nextCursor: page.nextCursor ?? null };
    },
  );

  app.post(
    '/v1/jobs/:id/cancel',
    {
      schema: {
        summary: 'Cancel a job: a queued job ends at once, a running one at its next batch',
        operationId: 'cancelJob',
        description:
          'Asks for the job to stop. A queued job is cancelled at once; a running one stops at its next batch and keeps its partial weights. A finished job answers 409.',
        tags: ['jobs'],
        params: IdParamsSchema,
        response: { 202: CancelAcceptedSchema, ...problems(401, 404, 409) },
      },
    },
    async (request, reply) => reply.code(202).send(await cancelJob(app, await loadJob(app, request, request.params.id))),
  );

  app.delete(
    '/v1/jobs/:id',
    {
      schema: {
        summary: 'Delete a finished job and its events, weights and checkpoint',
        operationId: 'deleteJob',
        description:
          'Removes a succeeded, failed or cancelled job with everything it owns; a job still queued or running answers 409 (cancel it first).',
        tags: ['jobs'],
        params: IdParamsSchema,
        response: { 204: Type.Null(), ...problems(401, 404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const doc = await loadJob(app, request, id);
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
