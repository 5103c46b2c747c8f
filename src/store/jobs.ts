// The job store: job documents, their event logs, weights, checkpoints and cancel flags in Redis.
// Shared by the API and the workers; imports only contracts. Keys: src/store/keys.ts and the table
// in docs/architecture.md.
//
// Every document change goes through one path, update(): read the document and its revision,
// apply the change in TypeScript (merge.ts), then COMMIT (scripts.ts) writes the document, its
// event and any extra keys in one atomic step if the revision is unchanged (else re-read, retry)
// and, for a worker's write, if the writer's attempt still owns the job (the fencing token).
import type { Redis } from 'ioredis';
import { DEFAULT_TENANT, type JobDocument, type JobStatus } from '../contracts/index.js';
import { DatasetGoneError, FencedError, JobExistsError, JobNotFoundError, QuotaExceededError } from './errors.js';
import { EventLogs, readRange, type NewEvent, type StoredEvent } from './event-log.js';
import { createKeys, jobOwnedKeys, type Keys } from './keys.js';
import { applyPatch, isTerminal, type JobPatch } from './merge.js';
import { newestFirst } from './page.js';
import { jobPageFilter, type JobFilter } from './job-filter.js';
import {
  commitCall,
  createCall,
  neededDataset,
  DEFAULT_LOG_LIMITS,
  defineJobScripts,
  type Commit,
  type CommitReply,
  type JobScripts,
  type LogLimits,
} from './commit.js';

export type { LogLimits } from './commit.js';

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
  /** A job that starts running with this change must find fewer of its tenant's jobs running
   *  (else QuotaExceededError and nothing is written). */
  maxRunningJobs?: number;
}

export interface UpdateResult {
  doc: JobDocument;
  eventId: string | undefined;
}

export interface ListOptions extends JobFilter {
  /** One tenant's jobs; undefined = every tenant's. */
  tenant?: string;
  status?: string;
  limit?: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
}

const MAX_RETRIES = 50;

export class JobStore {
  readonly keys: Keys;
  /** The event logs by stream key: a job's, a tenant's (what the SSE hub reads). */
  readonly logs: EventLogs;
  private readonly cmd: JobScripts;

  constructor(
    readonly redis: Redis,
    prefix = 'convoy',
    private readonly limits: LogLimits = DEFAULT_LOG_LIMITS,
  ) {
    this.keys = createKeys(prefix);
    this.logs = new EventLogs(redis, this.keys);
    this.cmd = defineJobScripts(redis);
  }

  // ---- documents -------------------------------------------------------------------------

  /**
   * Create a job (document + its first event) for its tenant. Throws JobExistsError if the id is
   * taken, QuotaExceededError if the tenant has `maxActiveJobs` queued or running already.
   * Returns the job's fair-share tag (its place in the queue; src/store/scripts.ts CREATE).
   */
  async create(
    doc: JobDocument,
    event?: NewEvent,
    limits: { maxActiveJobs?: number } = {},
  ): Promise<{ eventId: string | undefined; tag: number }> {
    const { keys, argv } = createCall(this.keys, doc, event, limits.maxActiveJobs ?? -1, this.limits);
    const reply = await this.cmd.convoyCreate(keys.length, ...keys, ...argv);
    if (reply[0] === 'exists') throw new JobExistsError(doc.id);
    if (reply[0] === 'quota') throw new QuotaExceededError('maxActiveJobs', limits.maxActiveJobs!, Number(reply[1]));
    if (reply[0] === 'no-dataset') throw new DatasetGoneError(neededDataset(doc.spec));
    return { eventId: reply[1] || undefined, tag: Number(reply[2]) };
  }

  /** The job's fair-share tag (its place in the training queue), or null for a missing job. */
  async queueTag(id: string): Promise<number | null> {
    const tag = await this.redis.hget(this.keys.job(id), 'tag');
    return tag === null ? null : Number(tag);
  }

  /** The job document with its spec, or null. */
  async get(id: string): Promise<JobDocument | null> {
    const [doc, spec] = await this.redis.hmget(this.keys.job(id), 'doc', 'spec');
    if (doc === null) return null;
    return { ...parseDoc(doc), spec: spec === null ? undefined : JSON.parse(spec) } as JobDocument;
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
      const [raw, revRaw, attemptRaw, dataset] = await this.redis.hmget(this.keys.job(id), 'doc', 'rev', 'attempt', 'dataset');
      if (raw === null || revRaw === null) throw new JobNotFoundError(id);
      const current = parseDoc(raw);
      if (options.fence !== undefined && Number(attemptRaw) !== options.fence) throw new FencedError(id, options.fence);
      const patch = typeof change === 'function' ? change(current) : change;
      if (patch === null) return null;
      const next = applyPatch(current, patch);
      const event = typeof options.event === 'function' ? options.event(next) : options.event;
      const extras: Record<string, Buffer | string> = {};
      if (options.weights) extras[this.keys.weights(id)] = options.weights;
      // A finished job needs neither its cancel flag, nor a checkpoint, nor its attempt marks.
      if (isTerminal(next.status)) {
        for (const key of [this.keys.cancel(id), this.keys.runs(id), this.keys.checkpoint(id), this.keys.progressIds(id)]) extras[key] = '';
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
        maxRunningJobs: options.maxRunningJobs ?? -1,
        storedBytes: options.weights?.length ?? 0,
        dataset: dataset ?? '',
        now: Date.now(),
      });
      if (reply[0] === 'ok') return { doc: next, eventId: reply[2] || undefined };
      if (reply[0] === 'fenced') throw new FencedError(id, options.fence ?? 0);
      if (reply[0] === 'quota') throw new QuotaExceededError('maxRunningJobs', options.maxRunningJobs!, Number(reply[1]));
      // conflict: somebody wrote in between; read again.
    }
    throw new Error(`job ${id}: too many concurrent writers`);
  }

  private commit(id: string, c: Commit): Promise<CommitReply> {
    const { keys, argv } = commitCall(this.keys, id, c, this.limits);
    return this.cmd.convoyCommit(keys.length, ...keys, ...argv);
  }

  /** Jobs newest first, without their specs, filtered (job-filter.ts); `nextCursor` is set when more remain (page.ts). */
  async list(options: ListOptions = {}): Promise<{ jobs: Omit<JobDocument, 'spec'>[]; nextCursor: string | undefined }> {
    const limit = Math.max(1, Math.min(options.limit ?? 20, 1000));
    const { tenant, status } = options;
    const k = this.keys;
    const key =
      tenant === undefined
        ? status
          ? k.jobsByStatus(status)
          : k.jobs()
        : status
          ? k.tenantJobsByStatus(tenant, status)
          : k.tenantJobs(tenant);
    const page = await newestFirst(this.redis, key, limit, options.cursor, jobPageFilter(this.redis, k, options));
    // The document only: a spec can be large, and a listing never shows it.
    const pipe = this.redis.pipeline();
    for (const id of page.ids) pipe.hget(this.keys.job(id), 'doc');
    const raws = ((await pipe.exec()) ?? []).map(([, raw]) => raw as string | null);
    const jobs = raws.filter((raw): raw is string => raw !== null).map(parseDoc);
    return { jobs, nextCursor: page.nextCursor };
  }

  /** Ids of the jobs with this status (one tenant's, or every tenant's), oldest first, at most `limit`. */
  async idsByStatus(status: JobStatus, limit = Number.POSITIVE_INFINITY, tenant?: string): Promise<string[]> {
    const stop = Number.isFinite(limit) ? limit - 1 : -1;
    const key = tenant === undefined ? this.keys.jobsByStatus(status) : this.keys.tenantJobsByStatus(tenant, status);
    return this.redis.zrange(key, 0, stop);
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

  /** Remove a job and everything it owns (document, events, weights, checkpoint, cancel flag, webhook deliveries). */
  async delete(id: string): Promise<boolean> {
    const k = this.keys;
    const [status, raw] = await this.redis.hmget(k.job(id), 'status', 'doc');
    if (status === null || raw === null) return false;
    const { tenant } = parseDoc(raw);
    const weightsBytes = await this.redis.strlen(k.weights(id));
    await this.redis
      .multi()
      .del(...jobOwnedKeys(k, id))
      .hdel(k.webhookOutbox(), id)
      .zrem(k.jobs(), id)
      .zrem(k.jobsByStatus(status), id)
      .zrem(k.tenantJobs(tenant), id)
      .zrem(k.tenantJobsByStatus(tenant, status), id)
      .hincrby(k.tenantUsage(tenant), 'bytes', -weightsBytes)
      .zrem(k.jobsExpiry(), id)
      .hdel(k.jobsExpiryInfo(), id)
      .exec();
    return true;
  }

  // ---- events ------------------------------------------------------------------------------

  /** Events of a job's log after `after` (exclusive; undefined = from the start), oldest first. */
  async events(id: string, options: { after?: string; limit?: number } = {}): Promise<StoredEvent[]> {
    return readRange(this.redis, this.keys.events(id), options);
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

  async hasCheckpoint(id: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.checkpoint(id))) === 1;
  }

  async getCheckpoint(id: string): Promise<Buffer | null> {
    return this.redis.getBuffer(this.keys.checkpoint(id));
  }
}

/** A stored document; one written before tenants existed belongs to the default tenant. */
function parseDoc(raw: string): JobDocument {
  const doc = JSON.parse(raw) as JobDocument;
  doc.tenant ??= DEFAULT_TENANT;
  return doc;
}
