// GET /v1/jobs's filters, from the querystring (already checked against JobListQuerySchema) to the
// store's JobFilter: `tag=key=value` pairs, a name prefix, a creation time range.
import { parseTag } from '../contracts/index.js';
import type { JobFilter } from '../store/index.js';
import { ProblemError } from './errors.js';

export interface JobListFilterQuery {
  tag?: string[];
  name?: string;
  createdAfter?: string;
  createdBefore?: string;
}

export function jobFilterOf(query: JobListFilterQuery): JobFilter {
  const filter: JobFilter = {};
  if (query.tag?.length) filter.metadata = Object.fromEntries(query.tag.map(parseTag));
  if (query.name !== undefined) filter.namePrefix = query.name;
  if (query.createdAfter !== undefined) filter.createdFrom = time('createdAfter', query.createdAfter);
  if (query.createdBefore !== undefined) filter.createdBefore = time('createdBefore', query.createdBefore);
  if (filter.createdFrom !== undefined && filter.createdBefore !== undefined && filter.createdBefore <= filter.createdFrom) {
    throw new ProblemError(400, 'querystring/createdBefore must be later than createdAfter', {
      field: 'querystring/createdBefore',
      code: 'invalid',
    });
  }
  return filter;
}

/** Milliseconds of an ISO date-time; one the schema passes but Date cannot read (a leap second) is a 400 too. */
function time(name: string, value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new ProblemError(400, `querystring/${name} is not a time this API can read`, { field: `querystring/${name}`, code: 'invalid' });
  return ms;
}
