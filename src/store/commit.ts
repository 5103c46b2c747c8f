// How the job store's writes map onto its Lua scripts (scripts.ts): the KEYS and ARGV of CREATE
// and COMMIT, in the order each script's header lists them, and the replies they give.
import type { Redis } from 'ioredis';
import type { JobDocument } from '../contracts/index.js';
import type { NewEvent } from './event-log.js';
import type { Keys } from './keys.js';
import { COMMIT, CREATE, SET_FENCED } from './scripts.js';

export type CreateReply = ['ok', string, number] | ['exists'] | ['quota', number] | ['no-dataset'];
export type CommitReply = ['ok', number, string] | ['conflict'] | ['fenced'] | ['quota', number];

export type JobScripts = Redis & {
  convoyCreate(numKeys: number, ...args: (string | number)[]): Promise<CreateReply>;
  convoyCommit(numKeys: number, ...args: (string | number | Buffer)[]): Promise<CommitReply>;
  convoySetFenced(key1: string, key2: string, attempt: number, value: Buffer | string): Promise<number>;
};

/** Registers the scripts on a connection (once) and returns it with their commands. */
export function defineJobScripts(redis: Redis): JobScripts {
  if (!('convoyCommit' in redis)) {
    redis.defineCommand('convoyCreate', { lua: CREATE });
    redis.defineCommand('convoyCommit', { lua: COMMIT });
    redis.defineCommand('convoySetFenced', { lua: SET_FENCED, numberOfKeys: 2 });
  }
  return redis as JobScripts;
}

/** One COMMIT: the document at `rev`, written by `fence` (0: unfenced), with its event. */
export interface Commit {
  rev: number;
  fence: number;
  doc: JobDocument;
  oldStatus: string;
  event: NewEvent | undefined;
  /** Other keys written with the change; '' deletes the key. */
  extras: Record<string, Buffer | string>;
  /** -1: no limit. */
  maxRunningJobs: number;
  /** Added to the tenant's stored bytes (the weights written with the change). */
  storedBytes: number;
  /** The stored dataset the job needs (its hash's `dataset` field), or ''. */
  dataset: string;
  now: number;
}

/** How long the event logs grow, and finished jobs last: EVENT_LOG_MAX_PROGRESS, TENANT_EVENT_LOG_LENGTH, JOB_RETENTION_SECONDS. */
export interface LogLimits {
  /** Progress events a job's log keeps (the newest); other events are all kept. */
  maxProgressEvents: number;
  /** About this many entries of a tenant's stream are kept. */
  tenantLogLength: number;
  /** A finished job's hash, log and weights expire this long after it ends (0: kept; default 7 days). */
  jobRetentionSeconds?: number;
}

export const DEFAULT_JOB_RETENTION_SECONDS = 604_800;
export const DEFAULT_LOG_LIMITS: LogLimits = { maxProgressEvents: 5000, tenantLogLength: 100_000 };

/** The statuses of a job that counts against its tenant's active-jobs quota. */
const ACTIVE_STATUSES = ['queued', 'running', 'cancelling'] as const;

/** The stored dataset a job's spec names (uploaded, or its inline samples stored), or ''. */
export function neededDataset(spec: JobDocument['spec'] | undefined): string {
  const d = spec?.dataset;
  return d !== undefined && 'id' in d ? d.id : '';
}

export function createCall(k: Keys, doc: JobDocument, event: NewEvent | undefined, maxActiveJobs: number, logs: LogLimits) {
  const { spec, ...rest } = doc;
  const t = doc.tenant;
  const dataset = neededDataset(spec);
  const keys = [
    k.job(doc.id),
    k.events(doc.id),
    k.jobs(),
    k.jobsByStatus(doc.status),
    k.tenantJobs(t),
    k.tenantJobsByStatus(t, doc.status),
    ...ACTIVE_STATUSES.map((s) => k.tenantJobsByStatus(t, s)),
    k.jobsByStatus('queued'),
    k.fairShare(),
    k.tenants(),
    k.tenantEvents(t),
    k.dataset(dataset),
    k.datasetJobs(dataset),
  ];
  const argv = [
    JSON.stringify(rest),
    JSON.stringify(spec),
    doc.status,
    Date.parse(doc.createdAt),
    doc.id,
    t,
    event?.type ?? '',
    event ? JSON.stringify(event.data) : '',
    maxActiveJobs,
    logs.tenantLogLength,
    dataset,
  ];
  return { keys, argv };
}

export function commitCall(k: Keys, id: string, c: Commit, logs: LogLimits) {
  const extraKeys = Object.keys(c.extras);
  const t = c.doc.tenant;
  const status = c.doc.status;
  const keys = [
    k.job(id),
    k.events(id),
    k.jobsByStatus(c.oldStatus),
    k.jobsByStatus(status),
    k.tenantJobsByStatus(t, c.oldStatus),
    k.tenantJobsByStatus(t, status),
    k.tenantJobsByStatus(t, 'running'),
    k.fairShare(),
    k.tenantUsage(t),
    k.tenantEvents(t),
    k.progressIds(id),
    k.webhookOutbox(),
    k.datasetJobs(c.dataset),
    k.datasetsUsed(),
    k.jobsExpiry(),
    k.jobsExpiryInfo(),
    k.weights(id),
    ...extraKeys,
  ];
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
    c.maxRunningJobs,
    c.storedBytes,
    logs.maxProgressEvents,
    logs.tenantLogLength,
    c.now,
    c.dataset,
    logs.jobRetentionSeconds ?? DEFAULT_JOB_RETENTION_SECONDS,
    t,
    ...extraKeys.map((key) => c.extras[key]!),
  ];
  return { keys, argv };
}
