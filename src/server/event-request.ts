// What an event-route request asks for: JSON pages or a stream, and where in the log to start.
import { ProblemError } from './errors.js';
import type { StoredEvent } from '../store/index.js';

/** A Redis stream id: two unsigned 64-bit integers. */
const STREAM_ID = /^([0-9]{1,20})-([0-9]{1,20})$/;
const U64_MAX = 2n ** 64n - 1n;

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

function isStreamId(id: string): boolean {
  const m = STREAM_ID.exec(id);
  return m !== null && BigInt(m[1]!) <= U64_MAX && BigInt(m[2]!) <= U64_MAX;
}

/**
 * The client's position: Last-Event-ID (EventSource sends it when it reconnects, to the same URL,
 * so it wins over a ?after= in that URL), else ?after=; undefined when it gave none. An id this
 * API could not have sent is a 400 naming where it came from.
 */
export function cursorOf(after: string | undefined, lastEventId: string | undefined): string | undefined {
  if (lastEventId !== undefined) {
    if (!isStreamId(lastEventId)) throw invalidCursor('headers/last-event-id');
    return lastEventId;
  }
  if (after === undefined) return undefined;
  if (!isStreamId(after)) throw invalidCursor('querystring/after');
  return after;
}

const invalidCursor = (field: string) =>
  new ProblemError(400, `${field} must be an event id this API sent (two 64-bit numbers: ms-seq)`, { field, code: 'invalid' });

/** A stored event as the JSON pages show it (the raw JSON stays internal). */
export function asLogEntry({ raw: _raw, ...entry }: StoredEvent): Omit<StoredEvent, 'raw'> {
  return entry;
}
