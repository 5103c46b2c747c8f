// The job store: job documents, their event logs, weights, checkpoints and cancel flags in Redis.
// Shared by the API and the workers; imports only contracts. Keys: src/store/keys.ts and the table
// in docs/architecture.md.
//
// Every document change goes through one path, update(): read the document and its revision,
// apply the change in TypeScript (merge.ts), then COMMIT (scripts.ts) writes the document, its
// event and any extra keys in one atomic step if the revision is unchanged (else re-read, retry)
// and, for a worker's write, if the writer's attempt still owns the job (the fencing token).
import type { Redis } from 'ioredis';
import type { JobDocument, JobEventType } from '../contracts/index.js';
import { createKeys, type Keys } from './keys.js';
import { applyPatch, isTerminal, type JobPatch } from './merge.js';
import { COMMIT, SET_FENCED } from './scripts.js';

export { JobFinishedError, isTerminal, applyPatch, type JobPatch } from './merge.js';

/** An event as stored in the log: `id` is the Redis stream id (the SSE event id). */
/**
 * How one attempt of a training job ran, recorded by its worker: `alone` (the only job in its worker
 * process), `shared` (another job ran in the same process at some point), `handed-back` (it
 * checkpointed and went back to the queue). An attempt still marked alone or shared when the next
 * one starts died with its process; workers/crash-account.ts decides who is to blame.
 */
export type AttemptRun = 'alone' | 'shared' | 'handed-back';

export interface StoredEvent {
  id: string;
  type: JobEventType;
  data: unknown;
}

export interface NewEvent {
  type: JobEventType;
  data: unknown;
}

export class JobNotFoundError extends Error {
  constructor(readonly jobId: string) {
    super(`job ${jobId} not found`);
    this.name = 'JobNotFoundError';
  }
}

export class JobExistsError extends Error {
  constructor(readonly jobId: string) {
    super(`job ${jobId} already exists`);
    this.name = 'JobExistsError';
  }
}

/** A write from an attempt that no longer owns the job (it lost its lock; another attempt took over). */
export class FencedError extends Error {
  constructor(
    readonly jobId: string,
    readonly attempt: number,
  ) {
    super(`job ${jobId}: attempt ${attempt} no longer owns the job; write refused`);
    this.name = 'FencedError';
  }
}

export interface UpdateOptions {
  /** The writer's attempt: the write is refused (FencedError) unless it is still the job's attempt. */
  fence?: number;
  /** The event appended with the change, or a function of the new document. */
  event?: NewEvent | ((doc: JobDocument) => NewEvent | undefined);
  /** Safetensors bytes stored with the change (the final commit of a job). */
  weights?: Buffer;
  /** Remove the cancel flag with the change. */
  clearCancel?: boolean;
  /** Remove the checkpoint with the change (the job has finished). */
  clearCheckpoint?: boolean;
  /** Store this checkpoint with the change (e.g. an epoch's event and its checkpoint, atomically). */
  checkpoint?: Buffer;
}

export interface UpdateResult {
  doc: JobDocument;
  eventId: string | undefined;
}

export interface ListOptions {
  status?: string;
  limit?: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
}

export interface WorkerHeartbeat {
  id: string;
  pid: number;
  host: string;
  threads: number;
  concurrency: number;
  activeJobs: string[];
  startedAt: string;
  seenAt: string;
  /** Samples trained per second over the last heartbeat period. */
  samplesPerSecond?: number;
}

type CommitReply = ['ok', number, string] | ['conflict'] | ['fenced'];

interface StoreCommands {
  convoyCommit(numKeys: number, ...args: (string | number | Buffer)[]): Promise<CommitReply>;
  convoySetFenced(key1: string, key2: string, attempt: number, value: Buffer | string): Promise<number>;
}

const MAX_RETRIES = 50;

export class JobStore {
  readonly keys: Keys;
  private readonly cmd: Redis & StoreCommands;

  constructor(
    readonly redis: Redis,
    prefix = 'convoy',
  ) {
    this.keys = createKeys(prefix);
    if (!('convoyCommit' in redis)) {
      redis.defineCommand('convoyCommit', { lua: COMMIT });
      redis.defineCommand('convoySetFenced', { lua: SET_FENCED, numberOfKeys: 2 });
    }
    this.cmd = redis as Redis & StoreCommands;
  }

  // ---- documents -------------------------------------------------------------------------

  /** Create a job (document + its first event). Throws JobExistsError if the id is taken. */
  async create(doc: JobDocument, event?: NewEvent): Promise<{ eventId: string | undefined }> {
    const { spec, ...rest } = doc;
    const reply = await this.commit(doc.id, 0, 0, rest as JobDocument, undefined, doc.status, event, {
      spec: JSON.stringify(spec),
    });
    if (reply[0] !== 'ok') throw new JobExistsError(doc.id);
    return { eventId: reply[2] || undefined };
  }

  /** The job document with its spec, or null. */
  async get(id: string): Promise<JobDocument | null> {
    const [doc, spec] = await this.redis.hmget(this.keys.job(id), 'doc', 'spec');
    if (doc === null) return null;
    return { ...(JSON.parse(doc) as JobDocument), spec: spec === null ? undefined : JSON.parse(spec) } as JobDocument;
  }

  /** The job's spec alone (what a worker needs to train). */
  async getSpec(id: string): Promise<JobDocument['spec'] | null> {
    const spec = await this.redis.hget(this.keys.job(id), 'spec');
    return spec === null ? null : (JSON.parse(spec) as JobDocument['spec']);
  }

  /** The job's current attempt (its fencing token), 0 before any worker claimed it, null if missing. */
  async attempt(id: string): Promise<number | null> {
    const a = await this.redis.hget(this.keys.job(id), 'attempt');
    return a === null ? null : Number(a);
  }

  /**
   * Apply a change to a job document and append its event, atomically.
   * `change` may be a function of the current document; returning null makes no change (result null).
   */
  async update(
    id: string,
    change: JobPatch | ((doc: JobDocument) => JobPatch | null),
    options: UpdateOptions = {},
  ): Promise<UpdateResult | null> {
    for (let tries = 0; tries < MAX_RETRIES; tries++) {
      const [raw, revRaw, attemptRaw] = await this.redis.hmget(this.keys.job(id), 'doc', 'rev', 'attempt');
      if (raw === null || revRaw === null) throw new JobNotFoundError(id);
      const current = JSON.parse(raw) as JobDocument;
      if (options.fence !== undefined && Number(attemptRaw) !== options.fence) throw new FencedError(id, options.fence);
      const patch = typeof change === 'function' ? change(current) : change;
      if (patch === null) return null;
      const next = applyPatch(current, patch);
      const event = typeof options.event === 'function' ? options.event(next) : options.event;
      const extras: Record<string, Buffer | string> = {};
      if (options.weights) extras[this.keys.weights(id)] = options.weights;
      // A finished job needs neither its cancel flag nor a checkpoint, whoever finished it.
      const finished = isTerminal(next.status);
      if (options.clearCancel || finished) extras[this.keys.cancel(id)] = '';
      if (finished) extras[this.keys.runs(id)] = '';
      if (options.clearCheckpoint || finished) extras[this.keys.checkpoint(id)] = '';
      if (options.checkpoint) extras[this.keys.checkpoint(id)] = options.checkpoint;
      const reply = await this.commit(id, Number(revRaw), options.fence ?? 0, next, current.status, next.status, event, {
        extras,
      });
      if (reply[0] === 'ok') return { doc: next, eventId: reply[2] || undefined };
      if (reply[0] === 'fenced') throw new FencedError(id, options.fence ?? 0);
      // conflict: somebody wrote in between; read again.
    }
    throw new Error(`job ${id}: too many concurrent writers`);
  }

  private commit(
    id: string,
    rev: number,
    fence: number,
    doc: JobDocument,
    oldStatus: string | undefined,
    newStatus: string,
    event: NewEvent | undefined,
    opts: { spec?: string; extras?: Record<string, Buffer | string> },
  ): Promise<CommitReply> {
    const k = this.keys;
    const extraKeys = Object.keys(opts.extras ?? {});
    const keys = [k.job(id), k.events(id), k.jobs(), k.jobsByStatus(oldStatus ?? newStatus), k.jobsByStatus(newStatus), ...extraKeys];
    const argv: (string | number | Buffer)[] = [
      rev,
      fence,
      JSON.stringify(doc),
      newStatus,
      doc.attempt,
      Date.parse(doc.createdAt),
      id,
      event?.type ?? '',
      event ? JSON.stringify(event.data) : '',
      opts.spec ?? '',
      ...extraKeys.map((key) => opts.extras![key]!),
    ];
    return this.cmd.convoyCommit(keys.length, ...keys, ...argv);
  }

  /** Jobs newest first; `status` filters; `nextCursor` is set when more remain. */
  async list(options: ListOptions = {}): Promise<{ jobs: JobDocument[]; nextCursor: string | undefined }> {
    const limit = Math.max(1, Math.min(options.limit ?? 20, 1000));
    const key = options.status ? this.keys.jobsByStatus(options.status) : this.keys.jobs();
    let max = '+inf';
    let after: { score: number; id: string } | undefined;
    if (options.cursor) {
      after = decodeCursor(options.cursor);
      max = String(after.score);
    }
    const ids: string[] = [];
    const scores: number[] = [];
    let offset = 0;
    while (ids.length <= limit) {
      const page = await this.redis.zrevrangebyscore(key, max, '-inf', 'WITHSCORES', 'LIMIT', offset, limit + 1);
      if (page.length === 0) break;
      for (let i = 0; i < page.length; i += 2) {
        const id = page[i]!;
        const score = Number(page[i + 1]);
        // Members with the cursor's score sort by id descending; skip those already returned.
        if (after && score === after.score && id >= after.id) continue;
        ids.push(id);
        scores.push(score);
      }
      offset += page.length / 2;
    }
    const pageIds = ids.slice(0, limit);
    const docs = await Promise.all(pageIds.map((id) => this.get(id)));
    const jobs = docs.filter((d): d is JobDocument => d !== null);
    const last = pageIds.length - 1;
    const nextCursor = ids.length > limit ? encodeCursor(scores[last]!, pageIds[last]!) : undefined;
    return { jobs, nextCursor };
  }

  /** How each earlier attempt of a job ran (attempt number -> run), for crash accounting. */
  async attemptRuns(id: string): Promise<Map<number, AttemptRun>> {
    const raw = await this.redis.hgetall(this.keys.runs(id));
    return new Map(Object.entries(raw).map(([attempt, run]) => [Number(attempt), run as AttemptRun]));
  }

  /** Records how an attempt ran; the last mark wins. */
  async markAttempt(id: string, attempt: number, run: AttemptRun): Promise<void> {
    await this.redis.hset(this.keys.runs(id), String(attempt), run);
  }

  /** Remove a job and everything it owns (document, events, weights, checkpoint, cancel flag). */
  async delete(id: string): Promise<boolean> {
    const status = await this.redis.hget(this.keys.job(id), 'status');
    if (status === null) return false;
    const k = this.keys;
    await this.redis
      .multi()
      .del(k.job(id), k.events(id), k.weights(id), k.checkpoint(id), k.cancel(id), k.runs(id))
      .zrem(k.jobs(), id)
      .zrem(k.jobsByStatus(status), id)
      .exec();
    return true;
  }

  // ---- events ------------------------------------------------------------------------------

  /** Events after `after` (exclusive; undefined = from the start), oldest first. */
  async events(id: string, options: { after?: string; limit?: number } = {}): Promise<StoredEvent[]> {
    const start = options.after ? `(${options.after}` : '-';
    const entries =
      options.limit === undefined
        ? await this.redis.xrange(this.keys.events(id), start, '+')
        : await this.redis.xrange(this.keys.events(id), start, '+', 'COUNT', options.limit);
    return entries.map(toEvent);
  }

  /**
   * Block up to `blockMs` for new events on several jobs at once (one XREAD for many SSE clients).
   * Needs a connection of its own (`redis.duplicate()`): XREAD BLOCK holds it.
   */
  async readEvents(
    connection: Redis,
    cursors: ReadonlyMap<string, string>,
    blockMs: number,
    count = 100,
  ): Promise<Map<string, StoredEvent[]>> {
    const out = new Map<string, StoredEvent[]>();
    if (cursors.size === 0) return out;
    const ids = [...cursors.keys()];
    const reply = (await connection.xread(
      'COUNT',
      count,
      'BLOCK',
      blockMs,
      'STREAMS',
      ...ids.map((id) => this.keys.events(id)),
      ...ids.map((id) => cursors.get(id) || '0-0'),
    )) as [string, [string, string[]][]][] | null;
    for (const [key, entries] of reply ?? []) {
      const id = ids.find((j) => this.keys.events(j) === key);
      if (id !== undefined) out.set(id, entries.map(toEvent));
    }
    return out;
  }

  // ---- cancel, weights, checkpoints -------------------------------------------------------

  async requestCancel(id: string): Promise<void> {
    await this.redis.set(this.keys.cancel(id), '1');
  }

  async isCancelRequested(id: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.cancel(id))) === 1;
  }

  async getWeights(id: string): Promise<Buffer | null> {
    return this.redis.getBuffer(this.keys.weights(id));
  }

  /** Store a checkpoint unless `attempt` no longer owns the job. Returns false when fenced off. */
  async putCheckpoint(id: string, attempt: number, bytes: Buffer): Promise<boolean> {
    return (await this.cmd.convoySetFenced(this.keys.job(id), this.keys.checkpoint(id), attempt, bytes)) === 1;
  }

  async getCheckpoint(id: string): Promise<Buffer | null> {
    return this.redis.getBuffer(this.keys.checkpoint(id));
  }

  // ---- worker heartbeats ---------------------------------------------------------------------

  async heartbeat(beat: WorkerHeartbeat, ttlMs: number): Promise<void> {
    await this.redis
      .multi()
      .set(this.keys.worker(beat.id), JSON.stringify(beat), 'PX', ttlMs)
      .zadd(this.keys.workers(), Date.parse(beat.seenAt), beat.id)
      .exec();
  }

  /** Workers whose heartbeat is younger than `withinMs`. */
  async liveWorkers(withinMs: number): Promise<WorkerHeartbeat[]> {
    const since = Date.now() - withinMs;
    await this.redis.zremrangebyscore(this.keys.workers(), '-inf', `(${since - 60_000}`);
    const ids = await this.redis.zrangebyscore(this.keys.workers(), since, '+inf');
    if (ids.length === 0) return [];
    const raw = await this.redis.mget(ids.map((id) => this.keys.worker(id)));
    return raw.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as WorkerHeartbeat);
  }

  async removeWorker(id: string): Promise<void> {
    await this.redis.multi().del(this.keys.worker(id)).zrem(this.keys.workers(), id).exec();
  }
}

function toEvent([id, fields]: [string, string[]]): StoredEvent {
  let type = '';
  let data = '';
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === 'type') type = fields[i + 1]!;
    else if (fields[i] === 'data') data = fields[i + 1]!;
  }
  return { id, type: type as JobEventType, data: data ? JSON.parse(data) : null };
}

function encodeCursor(score: number, id: string): string {
  return Buffer.from(JSON.stringify([score, id])).toString('base64url');
}

function decodeCursor(cursor: string): { score: number; id: string } {
  try {
    const [score, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [unknown, unknown];
    if (typeof score === 'number' && typeof id === 'string') return { score, id };
  } catch {
    // fall through
  }
  throw new InvalidCursorError(cursor);
}

export class InvalidCursorError extends Error {
  constructor(readonly cursor: string) {
    super('invalid cursor');
    this.name = 'InvalidCursorError';
  }
}
