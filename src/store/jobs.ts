// The job store: job documents, their event logs, weights, checkpoints and cancel flags in Redis.
// Shared by the API and the workers; imports only contracts. Keys: src/store/keys.ts and the table
// in docs/architecture.md.
//
// Every document change goes through one path, update(): read the document and its revision,
// apply the change in TypeScript (merge.ts), then COMMIT (scripts.ts) writes the document, its
// event and any extra keys in one atomic step if the revision is unchanged (else re-read, retry)
// and, for a worker's write, if the writer's attempt still owns the job (the fencing token).
import type { Redis } from 'ioredis';
import type { JobDocument, JobStatus } from '../contracts/index.js';
import { FencedError, JobExistsError, JobNotFoundError } from './errors.js';
import { readRange, readStreams, type NewEvent, type StoredEvent } from './event-log.js';
import { createKeys, type Keys } from './keys.js';
import { applyPatch, isTerminal, type JobPatch } from './merge.js';
import { newestFirst } from './page.js';
import { COMMIT, SET_FENCED } from './scripts.js';

export { isTerminal, applyPatch, type JobPatch } from './merge.js';

/**
 * How one attempt of a training job ran, recorded by its worker: `alone` (the only job in its worker
 * process), `shared` (another job ran in the same process at some point), `handed-back` (it
 * checkpointed and went back to the queue). An attempt still marked alone or shared when the next
 * one starts died with its process; workers/crash-account.ts decides who is to blame.
 */
export type AttemptRun = 'alone' | 'shared' | 'handed-back';

export interface UpdateOptions {
  /** The writer's attempt: the write is refused (FencedError) unless it is still the job's attempt. */
  fence?: number;
  /** The event appended with the change, or a function of the new document. */
  event?: NewEvent | ((doc: JobDocument) => NewEvent | undefined);
  /** Safetensors bytes stored with the change (the final commit of a job). */
  weights?: Buffer;
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

type CommitReply = ['ok', number, string] | ['conflict'] | ['fenced'];

/** One COMMIT (scripts.ts): the document at `rev`, written by `fence` (0: unfenced), with its event. */
interface Commit {
  rev: number;
  fence: number;
  doc: JobDocument;
  /** The status the document had (undefined on create). */
  oldStatus?: string;
  event: NewEvent | undefined;
  /** The spec, written once on create. */
  spec?: string;
  /** Other keys written with the change; '' deletes the key. */
  extras?: Record<string, Buffer | string>;
}

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
    const reply = await this.commit(doc.id, { rev: 0, fence: 0, doc: rest as JobDocument, event, spec: JSON.stringify(spec) });
    if (reply[0] !== 'ok') throw new JobExistsError(doc.id);
    return { eventId: reply[2] || undefined };
  }

  /** The job document with its spec, or null. */
  async get(id: string): Promise<JobDocument | null> {
    const [doc, spec] = await this.redis.hmget(this.keys.job(id), 'doc', 'spec');
    if (doc === null) return null;
    return { ...(JSON.parse(doc) as JobDocument), spec: spec === null ? undefined : JSON.parse(spec) } as JobDocument;
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
      // A finished job needs neither its cancel flag, nor a checkpoint, nor its attempt marks.
      if (isTerminal(next.status)) {
        for (const key of [this.keys.cancel(id), this.keys.runs(id), this.keys.checkpoint(id)]) extras[key] = '';
      } else if (options.checkpoint) {
        extras[this.keys.checkpoint(id)] = options.checkpoint;
      }
      const reply = await this.commit(id, {
        rev: Number(revRaw),
        fence: options.fence ?? 0,
        doc: next,
        oldStatus: current.status,
        event,
        extras,
      });
      if (reply[0] === 'ok') return { doc: next, eventId: reply[2] || undefined };
      if (reply[0] === 'fenced') throw new FencedError(id, options.fence ?? 0);
      // conflict: somebody wrote in between; read again.
    }
    throw new Error(`job ${id}: too many concurrent writers`);
  }

  private commit(id: string, c: Commit): Promise<CommitReply> {
    const k = this.keys;
    const extras = c.extras ?? {};
    const extraKeys = Object.keys(extras);
    const status = c.doc.status;
    const keys = [k.job(id), k.events(id), k.jobs(), k.jobsByStatus(c.oldStatus ?? status), k.jobsByStatus(status), ...extraKeys];
    const argv: (string | number | Buffer)[] = [
      c.rev,
      c.fence,
      JSON.stringify(c.doc),
      status,
      c.doc.attempt,
      Date.parse(c.doc.createdAt),
      id,
      c.event?.type ?? '',
      c.event ? JSON.stringify(c.event.data) : '',
      c.spec ?? '',
      ...extraKeys.map((key) => extras[key]!),
    ];
    return this.cmd.convoyCommit(keys.length, ...keys, ...argv);
  }

  /** Jobs newest first; `status` filters; `nextCursor` is set when more remain. */
  async list(options: ListOptions = {}): Promise<{ jobs: JobDocument[]; nextCursor: string | undefined }> {
    const limit = Math.max(1, Math.min(options.limit ?? 20, 1000));
    const key = options.status ? this.keys.jobsByStatus(options.status) : this.keys.jobs();
    const page = await newestFirst(this.redis, key, limit, options.cursor);
    const docs = await Promise.all(page.ids.map((id) => this.get(id)));
    return { jobs: docs.filter((d): d is JobDocument => d !== null), nextCursor: page.nextCursor };
  }

  /** Ids of the jobs with this status, oldest first (at most `limit`). */
  async idsByStatus(status: JobStatus, limit = Number.POSITIVE_INFINITY): Promise<string[]> {
    const stop = Number.isFinite(limit) ? limit - 1 : -1;
    return this.redis.zrange(this.keys.jobsByStatus(status), 0, stop);
  }

  /** How many jobs have each of these statuses. */
  async countByStatus(statuses: readonly JobStatus[]): Promise<Map<JobStatus, number>> {
    const pipe = this.redis.pipeline();
    for (const s of statuses) pipe.zcard(this.keys.jobsByStatus(s));
    const counts = (await pipe.exec()) ?? [];
    return new Map(statuses.map((s, i) => [s, Number(counts[i]?.[1] ?? 0)]));
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
    return readRange(this.redis, this.keys.events(id), options);
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
    const byKey = new Map([...cursors].map(([id, cursor]) => [this.keys.events(id), cursor]));
    const found = await readStreams(connection, byKey, blockMs, count);
    return new Map(
      [...cursors.keys()].flatMap((id) => {
        const events = found.get(this.keys.events(id));
        return events ? [[id, events] as const] : [];
      }),
    );
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

  async hasWeights(id: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.weights(id))) === 1;
  }

  /** Store a checkpoint unless `attempt` no longer owns the job. Returns false when fenced off. */
  async putCheckpoint(id: string, attempt: number, bytes: Buffer): Promise<boolean> {
    return (await this.cmd.convoySetFenced(this.keys.job(id), this.keys.checkpoint(id), attempt, bytes)) === 1;
  }

  async getCheckpoint(id: string): Promise<Buffer | null> {
    return this.redis.getBuffer(this.keys.checkpoint(id));
  }
}
