// What GET /v1/jobs may ask of a job beyond its tenant and status (which pick the sorted set):
// metadata pairs and a name prefix, tested on each stored document while a page is scanned
// (page.ts bounds how many), and a creation time range, which bounds the scan itself.
import type { Redis } from 'ioredis';
import type { JobDocument } from '../contracts/index.js';
import type { Keys } from './keys.js';
import type { PageFilter } from './page.js';

export interface JobFilter {
  /** Every pair must be in the job's metadata. */
  metadata?: Record<string, string>;
  /** The job's name starts with this. */
  namePrefix?: string;
  /** Created at or after (ms since the epoch). */
  createdFrom?: number;
  /** Created before (ms since the epoch). */
  createdBefore?: number;
}

export function matchesJob(doc: Pick<JobDocument, 'name' | 'metadata'>, filter: JobFilter): boolean {
  if (filter.namePrefix !== undefined && !(doc.name ?? '').startsWith(filter.namePrefix)) return false;
  const metadata = doc.metadata ?? {};
  return Object.entries(filter.metadata ?? {}).every(([k, v]) => Object.hasOwn(metadata, k) && metadata[k] === v);
}

/** The page filter for `filter`: score bounds from the time range, and a document test if it needs one. */
export function jobPageFilter(redis: Redis, keys: Keys, filter: JobFilter): PageFilter {
  const page: PageFilter = {
    ...(filter.createdFrom !== undefined ? { minScore: filter.createdFrom } : {}),
    ...(filter.createdBefore !== undefined ? { belowScore: filter.createdBefore } : {}),
  };
  if (filter.namePrefix === undefined && Object.keys(filter.metadata ?? {}).length === 0) return page;
  page.keep = async (ids) => {
    const pipe = redis.pipeline();
    for (const id of ids) pipe.hget(keys.job(id), 'doc');
    const rows = (await pipe.exec()) ?? [];
    return rows.map(([, raw]) => typeof raw === 'string' && matchesJob(JSON.parse(raw) as JobDocument, filter));
  };
  return page;
}
