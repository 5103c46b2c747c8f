// GET /v1/events: every job of the caller's tenant on one connection (a dashboard watching many jobs
// needs one EventSource, not one per job), from the tenant's log (src/store/event-log.ts), written in
// the same atomic commit as each job's own.
//
// SSE: `retry:` and a `snapshot` ({tenant, jobs: the newest 200 job summaries}), then the events of
// the tenant's jobs, each `data: {jobId, jobEventId, data: <the job event's payload>}` with the
// tenant log's id as `id:`. Without Last-Event-ID or ?after= a client gets the snapshot, the newest
// event and what follows; with one, what it missed (while the log still holds it: the snapshot covers
// the rest). ?status= keeps the jobs with that status (a job joins and leaves as its status
// changes); ?jobs= keeps the named jobs. The stream does not end. JSON pages with Accept: application/json.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { TenantEventLogSchema, TenantEventsQuerySchema, isTerminalEvent, type JobStatus, type StatusEvent } from '../../contracts/index.js';
import type { StoredEvent } from '../../store/index.js';
import { listedTenant } from '../access.js';
import { problems } from '../errors.js';
import { cursorOf, wantsJson } from '../event-request.js';
import { jobLinks } from '../links.js';
import { principalOf } from '../plugins/auth.js';
import { FrameCache, SSE_OPTIONS } from '../sse-session.js';
import type { ServerContext } from '../app.js';

const SNAPSHOT_JOBS = 200;

/** Which jobs a connection wants, as their statuses change. */
class JobFilter {
  private readonly ids: Set<string> | undefined;

  constructor(
    jobs: string | undefined,
    private readonly status: JobStatus | undefined,
    current: Iterable<string> = [],
  ) {
    this.ids = jobs ? new Set(jobs.split(',')) : status ? new Set(current) : undefined;
  }

  /** Whether to send this event; follows status changes when filtering by status. */
  passes(e: StoredEvent): boolean {
    if (!this.ids) return true;
    const id = e.jobId!;
    if (this.status) {
      const now = e.type === 'status' ? (e.data as StatusEvent).status : undefined;
      if (now === this.status) this.ids.add(id);
      const had = this.ids.has(id);
      if ((now !== undefined && now !== this.status) || isTerminalEvent(e.type)) this.ids.delete(id); // after this one
      return had;
    }
    return this.ids.has(id);
  }
}

/** The job event inside its tenant-log envelope, as SSE data: built around the stored JSON, not re-serialized. */
const envelope = (e: StoredEvent) => `{"jobId":${JSON.stringify(e.jobId)},"jobEventId":${JSON.stringify(e.jobEventId)},"data":${e.raw}}`;

const frames = new FrameCache((e: StoredEvent) => ({ id: e.id, event: e.type, data: envelope(e) }));

const tenantEventsRoutes: FastifyPluginAsyncTypebox<ServerContext> = async (app, { config }) => {
  const base = config.api.publicUrl ?? '';

  app.get(
    '/v1/events',
    {
      sse: SSE_OPTIONS,
      config: { streamToken: true },
      schema: {
        summary: 'Every job of the tenant on one stream: text/event-stream (default) or JSON (Accept: application/json)',
        operationId: 'streamTenantEvents',
        description:
          'SSE: a `snapshot` ({tenant, jobs}), then each job event as `data: {jobId, jobEventId, data}` with the ' +
          "tenant log's id as `id`. Reconnect with `Last-Event-ID` (or `?after=`), from any API process. " +
          '`?status=` and `?jobs=` narrow it; admins pick a tenant with `?tenant=`.',
        tags: ['events'],
        security: [{ bearer: [] }, { streamToken: [] }],
        querystring: TenantEventsQuerySchema,
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ maxLength: 64 })) }),
        produces: ['text/event-stream', 'application/json'],
        response: {
          200: {
            description: "the tenant's events",
            content: {
              'application/json': { schema: TenantEventLogSchema },
              'text/event-stream': { schema: Type.String({ description: 'server-sent events' }) },
            },
          },
          ...problems(400, 401, 403, 429),
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      // An admin follows its own tenant unless it names another.
      const tenant = listedTenant(request, q.tenant) ?? principalOf(request).tenant;
      const after = cursorOf(q.after, request.headers['last-event-id']);
      const current = q.status ? await app.store.idsByStatus(q.status, undefined, tenant) : [];
      const filter = new JobFilter(q.jobs, q.status, current);

      if (wantsJson(request.headers.accept)) {
        const limit = q.limit ?? 1000;
        const events = await app.store.logs.range(app.store.logs.key({ tenant }), { ...(after ? { after } : {}), limit });
        const items = events
          .filter((e) => filter.passes(e))
          .map(({ id, type, jobId, jobEventId, data }) => ({ id, type, jobId: jobId ?? '', jobEventId: jobEventId ?? '', data }));
        return reply.type('application/json').send({ events: items, nextCursor: events.at(-1)?.id ?? after ?? null });
      }

      const key = app.store.logs.key({ tenant });
      const start = after ?? (await app.store.logs.liveStart(key));
      const page = await app.store.list({ tenant, limit: SNAPSHOT_JOBS, ...(q.status ? { status: q.status } : {}) });
      const wanted = q.jobs ? new Set(q.jobs.split(',')) : undefined;
      const jobs = page.jobs.filter((j) => !wanted || wanted.has(j.id)).map((j) => ({ ...j, links: jobLinks(base, j.id) }));
      const session = await app.sseSessions.start(reply, tenant);
      session.write({ event: 'snapshot', data: { tenant, jobs }, retry: config.api.sseRetryMs });
      try {
        const subscription = await app.events.subscribe(key, start, (e) => {
          if (!session.ended && filter.passes(e)) session.writeFrame(frames.get(e));
        });
        if (session.ended) subscription.close();
        else session.onEnd(() => subscription.close());
      } catch (err) {
        request.log.warn({ err, tenant }, 'tenant event stream: replay failed');
        session.end();
      }
      await session.flushed();
      return reply;
    },
  );
};

export default tenantEventsRoutes;
