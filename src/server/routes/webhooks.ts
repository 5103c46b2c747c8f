// Webhooks: a job's delivery attempts, and a tenant's webhook settings (default URL, signing
// secret). Members see their own tenant's, admins any; another tenant's job is a 404 (access.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  DeliveryListSchema,
  IdParamsSchema,
  TenantParamsSchema,
  TenantWebhookSchema,
  TenantWebhookUpdateSchema,
} from '../../contracts/index.js';
import { listedTenant, loadJob } from '../access.js';
import { problems } from '../errors.js';
import { checkWebhookUrl } from '../webhooks/destination.js';
import type { ServerContext } from '../app.js';

const webhooksRoutes: FastifyPluginAsyncTypebox<ServerContext> = async (app, { config }) => {
  const settings = async (tenant: string) => ({
    tenant,
    url: await app.webhooks.defaultUrl(tenant),
    secret: await app.webhooks.secret(tenant),
  });

  app.get(
    '/v1/jobs/:id/deliveries',
    {
      schema: {
        summary: "The job's webhook delivery attempts, oldest first",
        operationId: 'listJobDeliveries',
        description:
          "Every attempt to POST the job's end to its webhook: the webhook-id, URL, the receiver's status (or the error), and whether another attempt is scheduled.",
        tags: ['webhooks'],
        params: IdParamsSchema,
        response: { 200: DeliveryListSchema, ...problems(401, 404) },
      },
    },
    async (request) => ({ items: await app.webhooks.deliveries((await loadJob(app, request, request.params.id)).id) }),
  );

  app.get(
    '/v1/tenants/:tenant/webhook',
    {
      schema: {
        summary: "A tenant's default webhook URL and signing secret (created on first read)",
        operationId: 'getTenantWebhook',
        description:
          "The URL used for the tenant's jobs that name no webhook, and the secret that signs every delivery (created on first read). Admins: any tenant; members: their own.",
        tags: ['webhooks'],
        params: TenantParamsSchema,
        response: { 200: TenantWebhookSchema, ...problems(401, 403) },
      },
    },
    async (request) => settings(listedTenant(request, request.params.tenant, 'params/tenant')!),
  );

  app.put(
    '/v1/tenants/:tenant/webhook',
    {
      schema: {
        summary: "Set (or, with null, remove) the tenant's default webhook URL",
        operationId: 'updateTenantWebhook',
        description:
          "Sets the tenant's default webhook URL (checked against WEBHOOK_ALLOWED_HOSTS) or, with null, removes it; answers the settings.",
        tags: ['webhooks'],
        params: TenantParamsSchema,
        body: TenantWebhookUpdateSchema,
        response: { 200: TenantWebhookSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const tenant = listedTenant(request, request.params.tenant, 'params/tenant')!;
      const { url } = request.body;
      if (url !== null) await checkWebhookUrl(url, config.webhooks.allowedHosts, '/url');
      await app.webhooks.setDefaultUrl(tenant, url);
      request.log.info({ tenant, set: url !== null }, 'tenant webhook URL set');
      return settings(tenant);
    },
  );

  app.post(
    '/v1/tenants/:tenant/webhook/secret',
    {
      schema: {
        summary: "Rotate the tenant's signing secret: deliveries from now on (retries included) use the new one",
        operationId: 'rotateTenantWebhookSecret',
        description:
          "Replaces the tenant's signing secret; every delivery from now on, retries of earlier events included, is signed with the new one. Answers the settings with the new secret.",
        tags: ['webhooks'],
        params: TenantParamsSchema,
        response: { 200: TenantWebhookSchema, ...problems(401, 403) },
      },
    },
    async (request) => {
      const tenant = listedTenant(request, request.params.tenant, 'params/tenant')!;
      await app.webhooks.rotateSecret(tenant);
      request.log.info({ tenant }, 'tenant webhook secret rotated'); // never the secret itself
      return settings(tenant);
    },
  );
};

export default webhooksRoutes;
