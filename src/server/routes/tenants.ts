// /v1/tenants: quotas and usage. Admins list every tenant and set overrides; a member reads its own.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { QuotaOverridesSchema, TenantInfoSchema, TenantListSchema, TenantParamsSchema } from '../../contracts/index.js';
import { listedTenant } from '../access.js';
import { problems } from '../errors.js';
import type { ServerContext } from '../app.js';

const tenantsRoutes: FastifyPluginAsyncTypebox<ServerContext> = async (app) => {
  app.get(
    '/v1/tenants',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Every tenant with its quotas and usage (admin)',
        operationId: 'listTenants',
        description: 'Every tenant with its effective quotas and current usage.',
        tags: ['tenants'],
        response: { 200: TenantListSchema, ...problems(401, 403) },
      },
    },
    async () => ({ items: await Promise.all((await app.tenants.list()).map((t) => app.tenants.info(t))) }),
  );

  app.get(
    '/v1/tenants/:tenant',
    {
      schema: {
        summary: "A tenant's quotas and usage (admins: any tenant; members: their own)",
        operationId: 'getTenant',
        description: "A tenant's effective quotas (defaults with its overrides) and current usage. A member may read only its own tenant.",
        tags: ['tenants'],
        params: TenantParamsSchema,
        response: { 200: TenantInfoSchema, ...problems(401, 403) },
      },
    },
    async (request) => app.tenants.info(listedTenant(request, request.params.tenant, 'params/tenant')!),
  );

  app.put(
    '/v1/tenants/:tenant',
    {
      config: { access: 'admin' },
      schema: {
        summary: "Override a tenant's quotas (admin); null restores the default",
        operationId: 'updateTenant',
        description:
          "Sets quota overrides for the tenant; a null value restores that quota's default. Answers the tenant's new quotas and usage.",
        tags: ['tenants'],
        params: TenantParamsSchema,
        body: QuotaOverridesSchema,
        response: { 200: TenantInfoSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      await app.tenants.setOverrides(request.params.tenant, request.body);
      request.log.info({ tenant: request.params.tenant, overrides: request.body }, 'tenant quotas set');
      return app.tenants.info(request.params.tenant);
    },
  );
};

export default tenantsRoutes;
