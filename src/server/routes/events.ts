// GET /v1/jobs/{id}/events: the job's durable event log, as server-sent events (default) or JSON.
//
// SSE: `retry:` and a `snapshot` (the current document, no id), then every logged event after
// Last-Event-ID / ?after= (XRANGE replay; with neither, only the log's newest event: the snapshot
// holds the history, and `?after=0-0` asks for all of it), then live events from the process's
// shared XREAD loop, each with its stream id as `id:`. After a terminal event (completed, failed,
// cancelled) the server ends the stream; a reconnect to a finished job replays the tail and ends.
// Heartbeat comments keep proxies from closing idle streams.
// JSON (`Accept: application/json`): `{events, nextCursor, done}`, paged with ?after=.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { EventLogSchema, EventsQuerySchema, IdParamsSchema, isTerminalEvent, isTerminalStatus } from '../../contracts/index.js';
import type { StoredEvent } from '../../store/index.js';
import { problems } from '../errors.js';
import { loadJob } from '../access.js';
import { asLogEntry, cursorOf, wantsJson } from '../event-request.js';
import { principalOf } from '../plugins/auth.js';
import { FrameCache, SSE_OPTIONS } from '../sse-session.js';
import { jobLinks } from '../links.js';
import type { ServerContext } from '../app.js';

const frames = new FrameCache((e: StoredEvent) => ({ id: e.id, event: e.type, data: e.raw }));

const eventsRoutes: FastifyPluginAsyncTypebox<ServerContext> = async (app, ctx) => {
  const { config } = ctx;
  const base = config.api.publicUrl ?? '';
  const sessions = app.sseSessions;

  app.get(
    '/v1/jobs/:id/events',
    {
      sse: SSE_OPTIONS,
      config: { streamToken: true },
      schema: {
        summary: 'The job event log: text/event-stream (default) or JSON (Accept: application/json)',
        operationId: 'streamJobEvents',
        description:
          'SSE: a `snapshot` event, then `status`, `progress`, `epoch` and one terminal event ' +
          '(`completed`, `failed`, `cancelled`), each with its Redis stream id as `id`. With no cursor the stream starts at ' +
          'the newest event (the snapshot holds the history; `?after=0-0` replays it all). Reconnect with ' +
          '`Last-Event-ID` (or `?after=`) to receive exactly what was missed, from any API process.',
        tags: ['events'],
        security: [{ bearer: [] }, { streamToken: [] }],
        params: IdParamsSchema,
        querystring: EventsQuerySchema,
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ maxLength: 64 })) }),
        produces: ['text/event-stream', 'application/json'],
        response: {
          200: {
            description: 'the event log',
            content: {
              'application/json': { schema: EventLogSchema },
              'text/event-stream': { schema: Type.String({ description: 'server-sent events' }) },
            },
          },
          204: { description: 'the job has finished and the client already has its whole log: do not reconnect', type: 'null' },
          ...problems(400, 401, 404, 429),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const after = cursorOf(request.query.after, request.headers['last-event-id']);
      const doc = await loadJob(app, request, id);
      const key = app.store.logs.key({ job: id });

      if (wantsJson(request.headers.accept)) {
        const limit = request.query.limit ?? 1000;
        const events = await app.store.events(id, { ...(after ? { after } : {}), limit });
        const last = events[events.length - 1];
        const done = events.some((e) => isTerminalEvent(e.type)) || (isTerminalStatus(doc.status) && events.length < limit);
        return reply.type('application/json').send({ events: events.map(asLogEntry), nextCursor: last?.id ?? after ?? null, done });
      }

      // A client that already has the end of a finished job's log: 204 tells EventSource not to reconnect.
      if (after && isTerminalStatus(doc.status) && (await app.store.events(id, { after, limit: 1 })).length === 0) {
        return reply.code(204).send(null);
      }
      // No cursor: the snapshot holds the history; then the log's newest entry and what follows.
      const start = after ?? (await app.store.logs.liveStart(key));
      const session = await sessions.start(reply, principalOf(request).tenant);
      session.write({ event: 'snapshot', data: { ...doc, links: jobLinks(base, id) }, retry: config.api.sseRetryMs });
      let sawTerminal = false;
      const onEvent = (e: StoredEvent) => {
        if (session.ended) return;
        session.writeFrame(frames.get(e));
        if (isTerminalEvent(e.type)) {
          sawTerminal = true;
          session.end();
        }
      };
      try {
        const subscription = await app.events.subscribe(key, start, onEvent);
        if (session.ended) subscription.close();
        else session.onEnd(() => subscription.close());
      } catch (err) {
        // The stream is open already: no problem document can follow. End it; the client reconnects.
        request.log.warn({ err, jobId: id }, 'event stream: replay failed');
        session.end();
      }
      // A finished job whose log holds no terminal event after the cursor (the client already has
      // it, or the job was finished without one): nothing more will come.
      if (!sawTerminal && isTerminalStatus(doc.status)) session.end();
      await session.flushed();
      return reply;
    },
  );
};

export default eventsRoutes;
