// RFC 9457 problem details: the one error shape every route returns (Content-Type application/problem+json).
import Type, { type Static } from 'typebox';

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'a URI naming the problem kind; about:blank for plain HTTP errors' }),
    title: Type.String(),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    detail: Type.Optional(Type.String({ description: 'for validation errors: `/training/batchSize must be <= 4096`' })),
    instance: Type.Optional(Type.String()),
    field: Type.Optional(Type.String({ description: 'JSON pointer into the request body (or query) that is wrong' })),
    code: Type.Optional(Type.String({ description: 'a stable machine-readable code' })),
    errorId: Type.Optional(Type.String({ description: 'on 5xx answers: the id under which the log has what happened' })),
  },
  { additionalProperties: true },
);
export type Problem = Static<typeof ProblemSchema>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * A short id for an error whose details are for the operators only (a 5xx answer, a job's `internal`
 * error): the public message shows it, the log line with what happened carries it too.
 */
export const newErrorId = (): string => `err_${globalThis.crypto.randomUUID().replace(/-/g, '').slice(0, 16)}`;

/** Problem `type` URIs (relative to the API; documented in docs/api.md). */
export const PROBLEM_TYPES = {
  validation: '/problems/validation',
  invalidSpec: '/problems/invalid-spec',
  quota: '/problems/quota-exceeded',
  idempotency: '/problems/idempotency-key-reuse',
  notFound: '/problems/not-found',
  conflict: '/problems/conflict',
  notReady: '/problems/not-ready',
  dataset: '/problems/invalid-dataset',
  predict: '/problems/predict-failed',
  unsupportedMedia: '/problems/unsupported-media-type',
  unauthorized: '/problems/unauthorized',
  forbidden: '/problems/forbidden',
  rateLimited: '/problems/rate-limited',
  storageFull: '/problems/storage-full',
  internal: 'about:blank',
} as const;
