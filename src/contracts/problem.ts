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
  },
  { additionalProperties: true },
);
export type Problem = Static<typeof ProblemSchema>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

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
  internal: 'about:blank',
} as const;
