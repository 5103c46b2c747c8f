// POST /v1/stream-tokens: a short-lived, read-only token for a browser's EventSource, which cannot
// send an Authorization header. Accepted only as ?token= on the event routes, only for the
// caller's tenant, and only while the key that asked for it is valid.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { StreamTokenSchema } from '../../contracts/index.js';
import { problems } from '../errors.js';
import { principalOf } from '../plugins/auth.js';
import type { ServerContext } from '../app.js';

const streamTokensRoutes: FastifyPluginAsyncTypebox<ServerContext> = async (app, { config }) => {
  app.post(
    '/v1/stream-tokens',
    {
      schema: {
        summary: 'A short-lived read-only token for EventSource (?token= on the event routes)',
        operationId: 'createStreamToken',
        description:
          "A browser's EventSource cannot send an Authorization header: this token, given as `?token=` on the event routes only, reads the caller's tenant's streams until it expires or the key that asked for it is revoked.",
        tags: ['events'],
        response: { 201: StreamTokenSchema, ...problems(401) },
      },
    },
    async (request, reply) => {
      const { tenant, keyId, via } = principalOf(request);
      if (via !== 'key') throw new Error('unreachable: stream tokens are accepted on the event routes only');
      const { token, expiresAt } = await app.streamTokens.create({ tenant, keyId }, config.auth.streamTokenTtlSeconds);
      return reply.code(201).header('cache-control', 'no-store').send({ token, tenant, expiresAt });
    },
  );
};

export default streamTokensRoutes;
