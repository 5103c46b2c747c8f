// A job's event log is a Redis stream: entries with fields `type` and `data` (JSON); the stream id
// is the SSE event id. Reading it: a range (replay, JSON pages) or one blocking XREAD over many
// jobs' streams (the API's shared live loop, src/server/event-hub.ts).
import type { Redis } from 'ioredis';
import type { JobEventType } from '../contracts/index.js';

/** An event as stored in the log: `id` is the Redis stream id (the SSE event id). */
export interface StoredEvent {
  id: string;
  type: JobEventType;
  data: unknown;
}

export interface NewEvent {
  type: JobEventType;
  data: unknown;
}

type StreamEntry = [string, string[]];

/** Entries after `after` (exclusive; undefined = from the start), oldest first. */
export async function readRange(redis: Redis, key: string, options: { after?: string; limit?: number }): Promise<StoredEvent[]> {
  const start = options.after ? `(${options.after}` : '-';
  const entries =
    options.limit === undefined ? await redis.xrange(key, start, '+') : await redis.xrange(key, start, '+', 'COUNT', options.limit);
  return entries.map(toEvent);
}

/** One XREAD BLOCK over several streams (key -> cursor); the entries found, by key. */
export async function readStreams(
  connection: Redis,
  cursors: ReadonlyMap<string, string>,
  blockMs: number,
  count: number,
): Promise<Map<string, StoredEvent[]>> {
  const out = new Map<string, StoredEvent[]>();
  if (cursors.size === 0) return out;
  const keys = [...cursors.keys()];
  const reply = (await connection.xread(
    'COUNT',
    count,
    'BLOCK',
    blockMs,
    'STREAMS',
    ...keys,
    ...keys.map((k) => cursors.get(k) || '0-0'),
  )) as [string, StreamEntry[]][] | null;
  for (const [key, entries] of reply ?? []) out.set(key, entries.map(toEvent));
  return out;
}

function toEvent([id, fields]: StreamEntry): StoredEvent {
  let type = '';
  let data = '';
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === 'type') type = fields[i + 1]!;
    else if (fields[i] === 'data') data = fields[i + 1]!;
  }
  return { id, type: type as JobEventType, data: data ? JSON.parse(data) : null };
}
