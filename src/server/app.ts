// buildApp(): the Fastify app (plugins, routes, error handler) without listening.
// main.ts configures, listens and shuts down; tests build the app and use inject or a real port.
//
// Validation: bodies are checked as sent (no coercion, no removal of unknown fields: they are
// rejected, as are NaN and Infinity); querystrings, params and headers may coerce ("20" -> 20).
// Ajv stops at the first error; the error handler turns it into one problem+json naming the field.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv, type Options as AjvOptions } from 'ajv';
import addFormatsImport from 'ajv-formats';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { fastifySSE as sse } from '@fastify/sse';
import cors from '@fastify/cors';
import type { Config } from '../config.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { checkBodyDepth } from './body-depth.js';
import { UploadParser } from './upload-parser.js';
import { toOpenApi31 } from './openapi.js';
import redisPlugin from './plugins/redis.js';
import queuesPlugin from './plugins/queues.js';
import eventsPlugin from './plugins/events.js';
import metricsPlugin from './plugins/metrics.js';
import authPlugin from './plugins/auth.js';
import rateLimitPlugin from './plugins/rate-limit.js';
import jobsRoutes from './routes/jobs.js';
import eventsRoutes from './routes/events.js';
import weightsRoutes from './routes/weights.js';
import datasetsRoutes from './routes/datasets.js';
import healthRoutes from './routes/health.js';
import keysRoutes from './routes/keys.js';
import tenantsRoutes from './routes/tenants.js';
import streamTokensRoutes from './routes/stream-tokens.js';
import tenantEventsRoutes from './routes/tenant-events.js';
import webhooksRoutes from './routes/webhooks.js';
import dashboardRoutes from './routes/dashboard.js';

const addFormats = addFormatsImport as unknown as typeof addFormatsImport.default;

export interface ServerContext {
  config: Config;
}

export interface BuildAppOptions {
  config: Config;
  /** Fastify logger option; default: pino at config.logLevel. */
  logger?: FastifyServerOptions['logger'];
  /** Redis URL; default config.redisUrl, else redis://127.0.0.1:6379. */
  redisUrl?: string;
}

export const API_VERSION = '0.1.0';

/** A URL with its stream token (?token=) hidden, for logs. */
export function redactToken(url: string): string {
  return url.replace(/([?&]token=)[^&]*/g, '$1[redacted]');
}

function makeAjv(options: AjvOptions): Ajv {
  const ajv = new Ajv({
    allErrors: false,
    discriminator: true,
    strict: true,
    verbose: true, // errors carry their schema: unions list their forms, discriminators their tags
    strictTypes: false, // upload bodies declare properties without `type`: they are not JSON
    ...options,
  });
  addFormats(ajv);
  ajv.addFormat('binary', true);
  return ajv;
}

/** Node's own http options that go with REQUEST_TIMEOUT_MS (headers may not take longer than the request). */
function requestCheck(timeoutMs: number) {
  if (timeoutMs <= 0) return {};
  return {
    headersTimeout: Math.min(60_000, timeoutMs),
    connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(timeoutMs / 4))),
  };
}

export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = opts;
  const app = Fastify({
    logger: opts.logger ?? {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      serializers: { req: (req) => ({ method: req.method, url: redactToken(req.url), remoteAddress: req.ip }) },
    },
    bodyLimit: config.api.bodyLimitBytes,
    // A slow client (a 1 byte/s upload) must not hold a connection forever; Node checks for
    // expired requests every connectionsCheckingInterval, so that follows the timeout.
    requestTimeout: config.api.requestTimeoutMs,
    connectionTimeout: config.api.connectionTimeoutMs,
    keepAliveTimeout: config.api.keepAliveTimeoutMs,
    http: requestCheck(config.api.requestTimeoutMs),
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const bodyAjv = makeAjv({ coerceTypes: false, removeAdditional: false, useDefaults: false });
  const otherAjv = makeAjv({ coerceTypes: 'array', removeAdditional: false, useDefaults: true });
  app.setValidatorCompiler(
    ({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : otherAjv).compile(schema as object) as ReturnType<Ajv['compile']>,
  );
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.addHook('preValidation', checkBodyDepth);

  await app.register(swagger, {
    convertConstToEnum: false, // OpenAPI 3.1 has const
    // A schema with an `$id` (the recursive LayerSpec) becomes components/schemas/<$id>, not def-N
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Convoy',
        version: API_VERSION,
        description:
          'Train convolutional neural networks over HTTP. Submit a job, follow its events (SSE), fetch the weights, predict. ' +
          'Errors are RFC 9457 problem details (application/problem+json).',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      // The committed document names the local default; a deployment's served copy names PUBLIC_URL.
      servers: [{ url: config.api.publicUrl ?? 'http://127.0.0.1:3000', description: 'the Convoy API' }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'an API key (cvy_...): the admin key, or one from POST /v1/keys' },
          streamToken: {
            type: 'apiKey',
            in: 'query',
            name: 'token',
            description: 'a stream token (POST /v1/stream-tokens), for EventSource; event routes only',
          },
        },
      },
      security: [{ bearer: [] }],
      tags: [
        { name: 'jobs', description: 'training jobs' },
        { name: 'events', description: "event logs: one job's, or every job of a tenant's (SSE or JSON)" },
        { name: 'datasets', description: 'uploaded datasets' },
        { name: 'health', description: 'liveness, readiness, metrics' },
        { name: 'keys', description: 'API keys (admin)' },
        { name: 'tenants', description: 'tenants: quotas and usage' },
        { name: 'webhooks', description: "signed POSTs when a job ends: a job's deliveries, a tenant's default URL and secret" },
      ],
    },
    transformObject: (doc) => toOpenApi31(('openapiObject' in doc ? doc.openapiObject : doc.swaggerObject) as Record<string, unknown>),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(sse, { heartbeatInterval: config.api.sseHeartbeatMs });

  const redisUrl = opts.redisUrl ?? config.redisUrl ?? 'redis://127.0.0.1:6379';
  await app.register(cors, {
    origin: config.auth.corsOrigins.length ? config.auth.corsOrigins : false,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'last-event-id', 'if-none-match'],
    exposedHeaders: ['location', 'etag', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'idempotent-replayed'],
    maxAge: 600,
  });
  await app.register(redisPlugin, {
    url: redisUrl,
    prefix: config.redisPrefix,
    tenantQuotas: config.tenantQuotas,
    eventLog: config.eventLog,
  });
  await app.register(authPlugin, { adminKey: config.auth.adminKey, metricsToken: config.auth.metricsToken });
  await app.register(rateLimitPlugin, { prefix: config.redisPrefix, ...config.auth });
  await app.register(queuesPlugin, { prefix: config.redisPrefix });
  await app.register(eventsPlugin, { blockMs: config.api.sseBlockMs, maxStreamsPerTenant: config.auth.maxStreamsPerTenant });
  await app.register(metricsPlugin, { readyWithinMs: config.api.readyWorkerWithinMs });

  app.decorate('uploadParser', new UploadParser());
  app.addHook('onClose', () => app.uploadParser.close());

  const ctx: ServerContext = { config };
  await app.register(jobsRoutes, ctx);
  await app.register(eventsRoutes, ctx);
  await app.register(weightsRoutes, ctx);
  await app.register(datasetsRoutes, ctx);
  await app.register(healthRoutes, ctx);
  await app.register(keysRoutes, ctx);
  await app.register(tenantsRoutes, ctx);
  await app.register(streamTokensRoutes, ctx);
  await app.register(tenantEventsRoutes, ctx);
  await app.register(webhooksRoutes, ctx);
  await app.register(dashboardRoutes);

  app.get('/openapi.yaml', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('application/yaml').send(app.swagger({ yaml: true })),
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  return app as unknown as FastifyInstance;
}
