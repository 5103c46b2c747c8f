// /v1/keys: API keys (admin only). The secret is returned once, by POST; lists never show it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ApiKeyCreateSchema, ApiKeyCreatedSchema, ApiKeyIdParamsSchema, ApiKeyListSchema, TenantSchema } from '../../contracts/index.js';
import { notFound, problems } from '../errors.js';
import type { ServerContext } from '../app.js';

const keysRoutes: FastifyPluginAsyncTypebox<ServerContext> = async (app) => {
  const admin = { access: 'admin' as const };

  app.post(
    '/v1/keys',
    {
      config: admin,
      schema: {
        summary: 'Create an API key for a tenant (admin); the key is in this answer only',
        operationId: 'createKey',
        description:
          'Creates a member or admin key for a tenant (creating the tenant if new). The secret is in this answer only; the store keeps its hash.',
        tags: ['keys'],
        body: ApiKeyCreateSchema,
        response: { 201: ApiKeyCreatedSchema, ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const created = await app.apiKeys.create(request.body);
      await app.tenants.add(created.tenant);
      request.log.info({ keyId: created.id, tenant: created.tenant, role: created.role }, 'api key created');
      return reply.code(201).header('location', `/v1/keys/${created.id}`).send(created);
    },
  );

  app.get(
    '/v1/keys',
    {
      config: admin,
      schema: {
        summary: 'List API keys (admin); never their secrets',
        operationId: 'listKeys',
        description: "Every key (or one tenant's with `?tenant=`): id, tenant, role, name and last use, never the secret.",
        tags: ['keys'],
        querystring: Type.Object({ tenant: Type.Optional(TenantSchema) }, { additionalProperties: false }),
        response: { 200: ApiKeyListSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => ({ items: await app.apiKeys.list(request.query.tenant) }),
  );

  app.delete(
    '/v1/keys/:id',
    {
      config: admin,
      schema: {
        summary: 'Revoke an API key (admin): refused at once by every API process',
        operationId: 'revokeKey',
        description: 'Revokes the key: every API process refuses it from the next request on.',
        tags: ['keys'],
        params: ApiKeyIdParamsSchema,
        response: { 204: Type.Null(), ...problems(401, 403, 404) },
      },
    },
    async (request, reply) => {
      if (!(await app.apiKeys.revoke(request.params.id))) throw notFound('key', request.params.id);
      request.log.info({ keyId: request.params.id }, 'api key revoked');
      return reply.code(204).send(null);
    },
  );
};

export default keysRoutes;
