// One error shape: RFC 9457 problem details (application/problem+json), naming the field at fault.
// Validation errors read `/training/batchSize must be <= 4096`; 5xx answers carry no detail and
// no stack trace (the log has them).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorObject } from 'ajv';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, ProblemSchema, newErrorId, type Problem } from '../contracts/index.js';
import { DatasetError } from '../datasets/index.js';
import {
  DatasetGoneError,
  DatasetInUseError,
  InvalidCursorError,
  JobFinishedError,
  JobNotFoundError,
  QuotaExceededError,
  isStorageFullError,
} from '../store/index.js';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Throw from a handler to answer with a problem. */
export class ProblemError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly field: string | undefined;
  readonly code: string | undefined;
  readonly extra: Record<string, unknown>;
  /** Response headers that go with the problem (WWW-Authenticate, Retry-After). */
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    detail: string,
    opts: {
      type?: string;
      title?: string;
      field?: string;
      code?: string;
      extra?: Record<string, unknown>;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
    this.status = status;
    this.type = opts.type ?? 'about:blank';
    this.title = opts.title ?? TITLES[status] ?? 'Error';
    this.field = opts.field;
    this.code = opts.code;
    this.extra = opts.extra ?? {};
    this.headers = opts.headers ?? {};
  }

  toProblem(instance?: string): Problem {
    return {
      type: this.type,
      title: this.title,
      detail: this.message,
      ...(instance ? { instance } : {}),
      ...(this.field !== undefined ? { field: this.field } : {}),
      ...(this.code !== undefined ? { code: this.code } : {}),
      ...this.extra,
      status: this.status,
    };
  }
}

/** Response schemas for a route's problem statuses: `response: { 200: X, ...problems(400, 404) }`. */
export const problems = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ProblemSchema]));

export const notFound = (what: string, id: string) =>
  new ProblemError(404, `${what} ${id} not found`, { type: PROBLEM_TYPES.notFound, code: 'not-found' });

/** A field-level validation problem (400) on the body. */
export const invalidField = (field: string, message: string, type: string = PROBLEM_TYPES.validation) =>
  new ProblemError(400, `${field} ${message}`, { type, field, code: 'invalid' });

// ---- domain errors -> problems ----------------------------------------------------------------

/** The one mapping from the store's and the datasets' errors to problems; routes just throw. */
export function domainProblem(err: unknown): ProblemError | undefined {
  if (err instanceof JobNotFoundError) return notFound('job', err.jobId);
  if (err instanceof JobFinishedError) return jobFinished(err.jobId, err.status);
  if (err instanceof InvalidCursorError) {
    return new ProblemError(400, 'querystring/cursor is not a cursor this API returned', { field: 'querystring/cursor', code: 'invalid' });
  }
  if (err instanceof QuotaExceededError) return quotaExceeded(err.quota, err.limit, err.used);
  if (err instanceof DatasetGoneError) return invalidField('/dataset/id', `names no dataset (${err.datasetId}): deleted meanwhile?`);
  if (err instanceof DatasetInUseError) {
    return new ProblemError(409, `${err.message}; cancel them or wait for them to finish`, {
      type: PROBLEM_TYPES.conflict,
      code: 'dataset-in-use',
      extra: { jobs: err.jobIds },
    });
  }
  if (err instanceof DatasetError) {
    return new ProblemError(400, err.message, {
      type: PROBLEM_TYPES.dataset,
      field: err.field,
      code: err.code,
      extra: err.line !== undefined ? { line: err.line, ...(err.column !== undefined ? { column: err.column } : {}) } : {},
    });
  }
  return undefined;
}

/** 429: a tenant quota is reached; the problem names it, its limit and the current use. */
export const quotaExceeded = (quota: string, limit: number, used: number) =>
  new ProblemError(429, `quota ${quota} reached: ${used} of ${limit}`, {
    type: PROBLEM_TYPES.quota,
    code: 'quota-exceeded',
    extra: { quota, limit, used },
  });

/** Seconds a client is told to wait when storage is full. */
export const STORAGE_RETRY_AFTER_SECONDS = 30;

/** 503: Redis is full, or above REDIS_HIGH_WATER_RATIO (src/server/storage-guard.ts). */
export const storageFull = (detail: string, errorId?: string) =>
  new ProblemError(503, detail, {
    type: PROBLEM_TYPES.storageFull,
    code: 'storage-full',
    extra: errorId ? { errorId } : {},
    headers: { 'retry-after': String(STORAGE_RETRY_AFTER_SECONDS) },
  });

/** 409: the job has finished (succeeded, failed or cancelled) and cannot take this request. */
export const jobFinished = (id: string, status: string) =>
  new ProblemError(409, `job ${id} has already finished (${status})`, {
    type: PROBLEM_TYPES.conflict,
    code: 'finished',
    extra: { jobStatus: status },
  });

// ---- Ajv errors -> one sentence ----------------------------------------------------------------

function depth(path: string): number {
  return path === '' ? 0 : path.split('/').length - 1;
}

function describeError(e: ErrorObject): { path: string; message: string } {
  const path = e.instancePath;
  // A key refused by `propertyNames` (metadata): name the key, not just its object.
  const key = (e as { propertyName?: string }).propertyName ?? (e.params as { propertyName?: string }).propertyName;
  if (key !== undefined) return { path: `${path}/${key}`, message: `is not an allowed key: it ${e.message ?? 'is invalid'}` };
  switch (e.keyword) {
    case 'additionalProperties': {
      const prop = (e.params as { additionalProperty: string }).additionalProperty;
      return { path: `${path}/${prop}`, message: 'is not allowed (unknown field)' };
    }
    case 'required': {
      const prop = (e.params as { missingProperty: string }).missingProperty;
      return { path: `${path}/${prop}`, message: 'is required' };
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      return { path, message: `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}` };
    }
    case 'const':
      return { path, message: `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}` };
    case 'discriminator': {
      const p = e.params as { tag: string; tagValue: unknown; error: string };
      const branches = (e.parentSchema?.oneOf as { properties?: Record<string, { const?: string; enum?: string[] }> }[] | undefined) ?? [];
      const tags = branches.flatMap((b) => {
        const t = b.properties?.[p.tag];
        return t?.const !== undefined ? [t.const] : (t?.enum ?? []);
      });
      const list = tags.length ? `: one of ${tags.map((t) => JSON.stringify(t)).join(', ')}` : '';
      return {
        path: `${path}/${p.tag}`,
        message: p.error === 'tag' ? `must be a string${list}` : `${JSON.stringify(p.tagValue)} is not a known ${p.tag}${list}`,
      };
    }
    case 'anyOf':
    case 'oneOf': {
      const branches = (e.schema as { required?: string[]; type?: string; enum?: unknown[] }[] | undefined) ?? [];
      const forms = branches
        .map((b) =>
          b.required?.length ? `{${b.required.join(', ')}}` : b.enum ? b.enum.map((v) => JSON.stringify(v)).join(' | ') : b.type,
        )
        .filter(Boolean);
      return { path, message: forms.length ? `must match one of the forms ${forms.join(', ')}` : 'does not match any allowed form' };
    }
    default:
      return { path, message: e.message ?? 'is invalid' };
  }
}

/**
 * With `allErrors` off, Ajv stops at the first error, but a union (anyOf) reports one error per
 * branch before its own. The most useful one is the deepest: it comes from the branch that got
 * furthest (`/dataset/trainSize must be >= 1`, not "must match anyOf"). When no branch got past
 * the union's own level, the union error lists the accepted forms.
 */
export function pickValidationError(errors: ErrorObject[]): { path: string; message: string } {
  const union = errors.find((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const candidates = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf' && e.keyword !== 'if');
  let best: ErrorObject | undefined;
  for (const e of candidates) {
    // Branch-level "wrong type" or "unknown field" errors at the union's own path are noise.
    if (union && e.instancePath === union.instancePath && ['type', 'required', 'additionalProperties', 'enum', 'const'].includes(e.keyword))
      continue;
    if (!best || depth(e.instancePath) > depth(best.instancePath)) best = e;
  }
  if (best) return describeError(best);
  if (union) return describeError(union);
  return describeError(errors[0]!);
}

// ---- the handler -------------------------------------------------------------------------------

export function sendProblem(reply: FastifyReply, problem: Problem, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(problem.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(problem);
}

export function errorHandler(thrown: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (isStorageFullError(thrown)) {
    const errorId = newErrorId();
    request.log.error({ err: thrown, errorId }, 'redis refused a write: full');
    const problem = storageFull('storage is full (Redis refused the write); try again later', errorId);
    return sendProblem(reply, problem.toProblem(request.url), problem.headers);
  }
  const error = domainProblem(thrown) ?? thrown;
  if (error instanceof ProblemError) {
    if (error.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, error.toProblem(request.url), error.headers);
  }
  if (error.validation) {
    const { path, message } = pickValidationError(error.validation as ErrorObject[]);
    const context = error.validationContext ?? 'body';
    const field = context === 'body' ? path || '/' : `${context}${path || ''}`;
    const detail = context === 'body' ? `${path || '(body)'} ${message}` : `${field} ${message}`;
    return sendProblem(reply, {
      type: PROBLEM_TYPES.validation,
      title: 'Invalid request',
      status: 400,
      detail,
      field,
      code: 'invalid',
      instance: request.url,
    });
  }
  const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status >= 400 && status < 500) {
    return sendProblem(reply, {
      type: status === 415 ? PROBLEM_TYPES.unsupportedMedia : 'about:blank',
      title: TITLES[status] ?? 'Bad Request',
      status,
      detail: error.message,
      ...(error.code ? { code: error.code } : {}),
      instance: request.url,
    });
  }
  const errorId = newErrorId();
  request.log.error({ err: error, errorId }, 'request failed');
  return sendProblem(reply, {
    type: PROBLEM_TYPES.internal,
    title: TITLES[500]!,
    status: 500,
    detail: `An internal error occurred; it has been logged under ${errorId}.`,
    instance: request.url,
    errorId,
  });
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(reply, {
    type: PROBLEM_TYPES.notFound,
    title: 'Not Found',
    status: 404,
    detail: `no route for ${request.method} ${request.url.split('?')[0]}`,
    code: 'not-found',
    instance: request.url,
  });
}
