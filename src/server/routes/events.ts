// GET /v1/jobs/{id}/events: the job's durable event log, as server-sent events (default) or JSON.
//
// SSE: `retry:` and a `snapshot` (the current document, no id), then every logged event after
// Last-Event-ID / ?after= (XRANGE replay), then live events from the process's shared XREAD loop,
// each with its stream id as `id:`. After a terminal event (completed, failed, cancelled) the
// server ends the stream; a reconnect to a finished job replays the tail and ends. Heartbeat
// comments keep proxies from closing idle streams.
// JSON (`Accept: application/json`): `{events, nextCursor, done}`, paged with ?after=.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import {
  EventLogSchema,
  EventsQuerySchema,
  IdParamsSchema,
  PROBLEM_TYPES,
  isTerminalEvent,
  isTerminalStatus,
} from '../../contracts/index.js';
import type { StoredEvent } from '../../store/index.js';
import { ProblemError, problems } from '../errors.js';
import { loadJob } from '../access.js';
import { OpenStreams } from '../open-streams.js';
import { principalOf } from '../plugins/auth.js';
import { jobLinks } from '../links.js';
import type { ServerContext } from '../app.js';

const STREAM_ID = /^[0-9]+-[0-9]+$/;

const tooManyStreams = (max: number) =>
  new ProblemError(429, `this tenant has ${max} event streams open (SSE_MAX_STREAMS_PER_TENANT); close one first`, {
    type: PROBLEM_TYPES.rateLimited,
    code: 'too-many-streams',
    extra: { limit: max },
    headers: { 'retry-after': '5' },
  });

/** JSON only when the client asks for JSON and not (at least as much) for an event stream. */
export function wantsJson(accept: string | undefined): boolean {
  if (!accept) return false;
  let json = -1;
  let sse = -1;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (type === 'application/json') json = Math.max(json, q);
    if (type === 'text/event-stream') sse = Math.max(sse, q);
  }
  return json > 0 && json > sse;
}

const eventsRoutes: FastifyPluginAsyncTypebox<ServerContext> = async (app, ctx) => {
  const { config } = ctx;
  const base = config.api.publicUrl ?? '';
  // Open streams, ended on shutdown: their clients reconnect (Last-Event-ID) to another API process.
  const open = new Set<() => void>();
  const streams = new OpenStreams(app.streamSlots, config.auth.maxStreamsPerTenant, app.log);
  app.addHook('preClose', async () => {
    streams.close();
    for (const end of open) end();
  });

  app.get(
    '/v1/jobs/:id/events',
    {
      sse: { kind: 'manual', serializer: JSON.stringify },
      config: { streamToken: true },
      schema: {
        summary: 'The job event log: text/event-stream (default) or JSON (Accept: application/json)',
        description:
          'SSE: a `snapshot` event, then `status`, `progress`, `epoch` and one terminal event ' +
          '(`completed`, `failed`, `cancelled`), each with its Redis stream id as `id`. Reconnect with ' +
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
      const lastEventId = request.headers['last-event-id'];
      const after = request.query.after ?? (lastEventId && STREAM_ID.test(lastEventId) ? lastEventId : undefined);
      if (lastEventId && !STREAM_ID.test(lastEventId) && !request.query.after) {
        throw new ProblemError(400, 'Last-Event-ID must be an event id this API sent (ms-seq)', {
          field: 'headers/last-event-id',
          code: 'invalid',
        });
      }
      const doc = await loadJob(app, request, id);

      if (wantsJson(request.headers.accept)) {
        const limit = request.query.limit ?? 1000;
        const events = await app.store.events(id, { ...(after ? { after } : {}), limit });
        const last = events[events.length - 1];
        const done = events.some((e) => isTerminalEvent(e.type)) || (isTerminalStatus(doc.status) && events.length < limit);
        return reply.type('application/json').send({ events, nextCursor: last?.id ?? after ?? null, done });
      }

      // A client that already has the end of a finished job's log: 204 tells EventSource not to reconnect.
      if (after && isTerminalStatus(doc.status) && (await app.store.events(id, { after, limit: 1 })).length === 0) {
        return reply.code(204).send(null);
      }

      const slot = await streams.open(principalOf(request).tenant);
      if (!slot) throw tooManyStreams(config.auth.maxStreamsPerTenant);
      const sse = reply.sse!;
      sse.keepAlive();
      sse.sendHeaders();
      reply.raw.flushHeaders(); // @fastify/sse 0.6.0 does not flush: without this clients wait for the first event.
      app.metrics.sseClients.inc();

      // Writes go out one at a time, in order.
      let chain: Promise<void> = Promise.resolve();
      let ended = false;
      let subscription: { close(): void } | undefined;
      const write = (msg: { id?: string; event: string; data: unknown; retry?: number }) => {
        chain = chain.then(() => (sse.isConnected ? sse.send(msg) : undefined)).catch(() => undefined);
      };
      const end = () => {
        if (ended) return;
        ended = true;
        subscription?.close();
        chain = chain.then(() => {
          if (sse.isConnected) sse.close();
        });
      };
      open.add(end);
      sse.onClose(() => {
        slot.release();
        ended = true;
        open.delete(end);
        subscription?.close();
        app.metrics.sseClients.dec();
      });

      write({ event: 'snapshot', data: { ...doc, links: jobLinks(base, id) }, retry: config.api.sseRetryMs });
      let sawTerminal = false;
      const onEvent = (e: StoredEvent) => {
        if (ended) return;
        write({ id: e.id, event: e.type, data: e.data });
        if (isTerminalEvent(e.type)) {
          sawTerminal = true;
          end();
        }
      };
      try {
        subscription = await app.events.subscribe(id, after ?? '0-0', onEvent);
      } catch (err) {
        // The stream is open already: no problem document can follow. End it; the client reconnects.
        request.log.warn({ err, jobId: id }, 'event stream: replay failed');
        end();
        await chain;
        return reply;
      }
      if (ended) subscription.close();
      // A finished job whose log holds no terminal event after the cursor (the client already has
      // it, or the job was finished without one): nothing more will come.
      else if (!sawTerminal && isTerminalStatus(doc.status)) end();
      await chain;
      return reply;
    },
  );
};

export default eventsRoutes;
