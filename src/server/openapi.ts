// Post-processing of the document @fastify/swagger collects from the route schemas:
// 1. OpenAPI 3.1 is JSON Schema 2020-12: TypeBox's draft-07 tuples (`items: [...]`,
//    `additionalItems: false`) become `prefixItems` + `items: false`.
// 2. The contract schemas are written inline in the routes; every copy of a named one
//    (src/contracts, see NAMED) is replaced by a `$ref` to `components/schemas`, so the document
//    reads like the contracts instead of repeating them.
// 3. Each form of a discriminated union (layers, schedules, job events) is its own component, and
//    the discriminator maps every `type` value to it (openapi-unions.ts).
// 4. Problem answers are served as application/problem+json only, whatever the route produces.
// 5. A contract schema with an `$id` (LayerSpec: recursive, residual blocks hold layers) is lifted
//    into components/schemas/<$id> by @fastify/swagger in the routes (app.ts, refResolver); the
//    contract copies get the same treatment (liftIds), so both still compare equal.
import * as contracts from '../contracts/index.js';
import { describeJobEvents, mapDiscriminators } from './openapi-unions.js';

/** The contract schemas given a name in the document, largest first. */
const NAMED: Record<string, unknown> = {
  JobDocument: contracts.JobDocumentSchema,
  JobSubmission: contracts.JobSubmissionSchema,
  JobSpec: contracts.JobSpecSchema,
  JobSummary: contracts.JobSummarySchema,
  ValidationReport: contracts.ValidationReportSchema,
  ModelSpec: contracts.ModelSpecSchema,
  LayerSpec: contracts.LayerSpecSchema,
  DatasetRef: contracts.DatasetRefSchema,
  InlineDataset: contracts.InlineDatasetSchema,
  Training: contracts.TrainingSchema,
  Optimizer: contracts.OptimizerSchema,
  Schedule: contracts.ScheduleSchema,
  Stopping: contracts.StoppingSchema,
  InitialWeights: contracts.InitialWeightsSchema,
  TensorInput: contracts.TensorInputSchema,
  TensorOutput: contracts.TensorOutputSchema,
  EventLog: contracts.EventLogSchema,
  Progress: contracts.ProgressSchema,
  Metrics: contracts.MetricsSchema,
  EpochMetrics: contracts.EpochMetricsSchema,
  Transition: contracts.TransitionSchema,
  JobError: contracts.JobErrorSchema,
  JobLinks: contracts.JobLinksSchema,
  DatasetInfo: contracts.DatasetInfoSchema,
  PredictRequest: contracts.PredictRequestSchema,
  PredictResponse: contracts.PredictResponseSchema,
  Problem: contracts.ProblemSchema,
  Webhook: contracts.WebhookSchema,
  Delivery: contracts.DeliverySchema,
  TenantWebhook: contracts.TenantWebhookSchema,
  ...contracts.LAYER_FORMS,
  ...contracts.SCHEDULE_FORMS,
  // Job events: not a route body (the routes send stored entries as they are); EventLog and the
  // event stream's x-itemSchema name them (openapi-unions.ts), so clients get their types.
  JobEvent: contracts.JobEventSchema,
  ...contracts.JOB_EVENT_FORMS,
  StatusEvent: contracts.StatusEventSchema,
  ProgressEvent: contracts.ProgressEventSchema,
  EpochEvent: contracts.EpochEventSchema,
  CompletedEvent: contracts.CompletedEventSchema,
  FailedEvent: contracts.FailedEventSchema,
  CancelledEvent: contracts.CancelledEventSchema,
  WebhookPayload: contracts.WebhookPayloadSchema,
};

const header = (name: string, description: string) => ({ name, in: 'header', required: true, schema: { type: 'string' }, description });

/** OpenAPI 3.1 `webhooks`: what Convoy POSTs when a job ends (src/server/webhooks/, docs/clients.md). */
const WEBHOOKS = {
  jobEnded: {
    post: {
      operationId: 'jobEnded',
      summary: 'A job ended: succeeded, failed or was cancelled',
      description:
        "Sent to the job's webhook.url, else its tenant's default URL (PUT /v1/tenants/{tenant}/webhook), signed the Standard Webhooks way " +
        "with the tenant's secret. Retried with exponential backoff until a 2xx answer, up to WEBHOOK_ATTEMPTS tries.",
      parameters: [
        header('webhook-id', 'the same on every attempt of one message: dedupe on it'),
        header('webhook-timestamp', "seconds since the epoch, this attempt's"),
        header(
          'webhook-signature',
          'v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">, keyed with the base64 bytes after whsec_',
        ),
      ],
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/WebhookPayload' } } } },
      responses: { '200': { description: 'accepted (any 2xx); any other answer, or none, is retried' } },
    },
  },
};

/** Tuples to 2020-12, and (for the contract originals) what @fastify/swagger does to route schemas. */
function fixTuples(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(fixTuples);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (k === 'contentEncoding' && (v === 'base64' || v === 'binary')) out.format = v === 'base64' ? 'byte' : 'binary';
    else out[k] = fixTuples(v);
  }
  if (Array.isArray(out.items)) {
    out.prefixItems = out.items;
    if (out.additionalItems === false) out.items = false;
    else delete out.items;
    delete out.additionalItems;
  }
  return out;
}

/** Subschemas with an `$id` (not the root's own) become `$ref`s to components/schemas/<$id>; bare `$ref: <$id>` too. */
function liftIds(node: unknown, root = true): unknown {
  if (Array.isArray(node)) return node.map((n) => liftIds(n, false));
  if (node === null || typeof node !== 'object') return node;
  const { $id, $ref, ...rest } = node as Record<string, unknown>;
  if (typeof $id === 'string' && !root) return { $ref: `#/components/schemas/${$id}` };
  const out: Record<string, unknown> = {};
  if (typeof $ref === 'string') out.$ref = $ref.startsWith('#') ? $ref : `#/components/schemas/${$ref}`;
  for (const [k, v] of Object.entries(rest)) out[k] = liftIds(v, false);
  return out;
}

function canonical(node: unknown): string {
  if (node === null || typeof node !== 'object') return JSON.stringify(node);
  if (Array.isArray(node)) return `[${node.map(canonical).join(',')}]`;
  const keys = Object.keys(node as object).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((node as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** Replace every subtree equal to a named schema by a $ref (not the root itself when `self` is given). */
function refify(node: unknown, byShape: Map<string, string>, self?: string): unknown {
  if (node === null || typeof node !== 'object') return node;
  if (!Array.isArray(node)) {
    const name = byShape.get(canonical(node));
    if (name !== undefined && name !== self) return { $ref: `#/components/schemas/${name}` };
  }
  if (Array.isArray(node)) return node.map((n) => refify(n, byShape));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) out[k] = refify(v, byShape);
  return out;
}

const DESCRIPTIONS: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '202': 'Accepted',
  '204': 'No Content',
  '304': 'Not Modified',
  '400': 'Invalid request: the problem names the field',
  '401': 'No valid API key (or stream token)',
  '403': 'This key may not do that',
  '404': 'Not found',
  '409': 'Conflict with the current state',
  '413': 'Too large',
  '415': 'Unsupported media type',
  '422': 'Well-formed but not acceptable (quota, idempotency key reuse, prediction error)',
  '429': 'Too many requests, or a tenant quota reached',
  '503': 'Service unavailable',
  '504': 'Timed out',
};

/** Problems are served as application/problem+json; give responses real descriptions. */
function fixResponses(paths: Record<string, Record<string, { responses?: Record<string, Record<string, unknown>> }>>): void {
  for (const methods of Object.values(paths)) {
    for (const op of Object.values(methods)) {
      for (const [code, res] of Object.entries(op.responses ?? {})) {
        if (res.description === 'Default Response') res.description = DESCRIPTIONS[code] ?? 'Response';
        const content = res.content as Record<string, { schema?: { $ref?: string } }> | undefined;
        const problem = Object.values(content ?? {}).find((media) => media.schema?.$ref === '#/components/schemas/Problem');
        if (problem) res.content = { 'application/problem+json': problem };
      }
    }
  }
}

export function toOpenApi31<T>(doc: T): T {
  const fixed = fixTuples(doc) as Record<string, unknown>;
  const named = Object.entries(NAMED).map(([name, schema]) => [name, liftIds(fixTuples(JSON.parse(JSON.stringify(schema))))] as const);
  const byShape = new Map<string, string>();
  for (const [name, schema] of named) byShape.set(canonical(schema), name);
  const schemas: Record<string, unknown> = {};
  for (const [name, schema] of named) schemas[name] = refify(schema, byShape, name);
  mapDiscriminators(schemas);
  const paths = refify(fixed.paths, byShape) as Parameters<typeof fixResponses>[0];
  fixResponses(paths);
  describeJobEvents(schemas, paths);
  const components = { ...((fixed.components as Record<string, unknown>) ?? {}), schemas };
  return { ...fixed, paths, webhooks: WEBHOOKS, components } as T;
}
