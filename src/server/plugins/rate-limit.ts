// Rate limits per API key (per client address before authentication), counted in Redis so every
// API process shares one budget: reads (GET, HEAD) and writes (POST, PUT, DELETE) have their own.
// Answers 429 with Retry-After and the RateLimit-* headers (IETF draft) on /v1 routes.
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import { PROBLEM_TYPES } from '../../contracts/index.js';
import { ProblemError } from '../errors.js';

export interface RateLimitOptions {
  prefix: string;
  readsPerMinute: number;
  writesPerMinute: number;
}

const isWrite = (request: FastifyRequest) => !['GET', 'HEAD', 'OPTIONS'].includes(request.method);

export default fp<RateLimitOptions>(
  async (app, opts) => {
    await app.register(rateLimit, {
      hook: 'preHandler', // after authentication: the budget is the key's
      redis: app.redis,
      nameSpace: `${opts.prefix}:rate-limit:`,
      timeWindow: 60_000,
      enableDraftSpec: true,
      allowList: (request) => !request.url.startsWith('/v1/'),
      keyGenerator: (request) => `${request.principal?.keyId ?? `ip:${request.ip}`}:${isWrite(request) ? 'w' : 'r'}`,
      max: (_request, key) => (key.endsWith(':w') ? opts.writesPerMinute : opts.readsPerMinute),
      errorResponseBuilder: (_request, ctx) =>
        new ProblemError(429, `rate limit of ${ctx.max} requests a minute reached; retry in ${ctx.after}`, {
          type: PROBLEM_TYPES.rateLimited,
          code: 'rate-limited',
          extra: { limit: ctx.max },
        }),
    });
  },
  { name: 'convoy-rate-limit', dependencies: ['convoy-redis', 'convoy-auth'] },
);
