// Tenant isolation: a member sees only its tenant's jobs and datasets; an admin sees every tenant's.
// Another tenant's object is answered as absent (404), never as forbidden, so its existence does
// not leak. Every route that takes a job or dataset id loads it through here.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PROBLEM_TYPES, type DatasetInfo, type JobDocument } from '../contracts/index.js';
import { JobNotFoundError } from '../store/index.js';
import { ProblemError, notFound } from './errors.js';
import { principalOf, type Principal } from './plugins/auth.js';

const sees = (p: Principal, tenant: string) => p.role === 'admin' || p.tenant === tenant;

/** The job if the caller may see it; else JobNotFoundError (404). */
export async function loadJob(app: FastifyInstance, request: FastifyRequest, id: string): Promise<JobDocument> {
  const doc = await app.store.get(id);
  if (!doc || !sees(principalOf(request), doc.tenant)) throw new JobNotFoundError(id);
  return doc;
}

/** Those of `ids` the caller may see: an admin's job may use a member's dataset, and names no id to the member. */
export async function visibleJobIds(app: FastifyInstance, request: FastifyRequest, ids: readonly string[]): Promise<string[]> {
  const p = principalOf(request);
  const docs = await Promise.all(ids.map((id) => app.store.get(id)));
  return ids.filter((_, i) => {
    const doc = docs[i];
    return doc != null && sees(p, doc.tenant);
  });
}

/** The dataset's metadata if the caller may see it; else 404. */
export async function loadDataset(app: FastifyInstance, request: FastifyRequest, id: string): Promise<DatasetInfo> {
  const info = await app.datasets.info(id);
  if (!info || !sees(principalOf(request), info.tenant)) throw notFound('dataset', id);
  return info;
}

/**
 * Which tenant a listing shows: a member's own; for an admin, `?tenant=` or (undefined) every
 * tenant. A member naming another tenant is refused rather than silently shown its own.
 */
export function listedTenant(request: FastifyRequest, asked: string | undefined, field = 'querystring/tenant'): string | undefined {
  const p = principalOf(request);
  if (p.role === 'admin') return asked;
  if (asked !== undefined && asked !== p.tenant) {
    throw new ProblemError(403, `${field}: only admin keys may see another tenant`, {
      type: PROBLEM_TYPES.forbidden,
      field,
      code: 'forbidden',
    });
  }
  return p.tenant;
}
