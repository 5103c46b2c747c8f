// Event logs are Redis streams. A job's: entries with fields `type` and `data` (JSON); a tenant's
// (every event of its jobs, GET /v1/events): also `job` (the job id) and `eid` (the entry's id in
// the job's log). The stream id is the SSE event id. Reading one: a range (replay, JSON pages) or
// one blocking XREAD over many streams (the API's shared live loop, src/server/event-hub.ts).
import type { Redis } from 'ioredis';
import type { JobEventType } from '../contracts/index.js';
import type { Keys } from './keys.js';

/** An event as stored in a log: `id` is the Redis stream id (the SSE event id). */
export interface StoredEvent {
  id: string;
  type: JobEventType;
  data: unknown;
  /** `data` as stored (JSON): written to SSE clients as is, never serialized again. */
  raw: string;
  /** In a tenant's log: the job, and the event's id in the job's own log. */
  jobId?: string;
  jobEventId?: string;
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

/**
 * Where a client that asked for no replay starts: just before the log's newest entry, so it gets
 * that entry (an id to resume from, the terminal event of a finished job) and then live ones.
 */
export async function liveStart(redis: Redis, key: string): Promise<string> {
  const newest = (await redis.xrevrange(key, '+', '-', 'COUNT', 2)) as StreamEntry[];
  return newest.length === 2 ? newest[1]![0] : '0-0';
}

function toEvent([id, fields]: StreamEntry): StoredEvent {
  const f: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  const raw = f.data || 'null';
  return {
    id,
    type: f.type as JobEventType,
    data: JSON.parse(raw),
    raw,
    ...(f.job !== undefined ? { jobId: f.job, jobEventId: f.eid } : {}),
  };
}

/** The event logs by stream key: a job's (`{p}:job:{id}:events`) or a tenant's (`{p}:tenant:{t}:events`). */
export class EventLogs {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** The stream key of a job's log or (with `tenant`) a tenant's. */
  key(of: { job: string } | { tenant: string }): string {
    return 'job' in of ? this.keys.events(of.job) : this.keys.tenantEvents(of.tenant);
  }

  /** Entries after `after` (exclusive; undefined = from the start), oldest first. */
  async range(key: string, options: { after?: string; limit?: number } = {}): Promise<StoredEvent[]> {
    return readRange(this.redis, key, options);
  }

  /** The id of the newest entry ('0-0' when empty). */
  async newestId(key: string): Promise<string> {
    const [newest] = await this.redis.xrevrange(key, '+', '-', 'COUNT', 1);
    return newest?.[0] ?? '0-0';
  }

  /** Where a client that wants no replay starts (liveStart). */
  async liveStart(key: string): Promise<string> {
    return liveStart(this.redis, key);
  }

  /**
   * Block up to `blockMs` for new entries in several logs at once (one XREAD for many SSE clients).
   * Needs a connection of its own (`redis.duplicate()`): XREAD BLOCK holds it.
   */
  async read(connection: Redis, cursors: ReadonlyMap<string, string>, blockMs: number, count = 100): Promise<Map<string, StoredEvent[]>> {
    return readStreams(connection, cursors, blockMs, count);
  }
}
