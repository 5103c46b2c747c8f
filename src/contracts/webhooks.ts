// Webhooks: a tenant's default destination and secret (a submission's own `webhook` is in
// submission.ts), what is POSTed (the Standard Webhooks envelope around the terminal event), the
// delivery records of GET /v1/jobs/{id}/deliveries, and the BullMQ contract of the delivery queue.
import Type, { type Static } from 'typebox';
import { IdSchema, TimestampSchema } from './common.js';
import { TenantSchema } from './auth.js';
import { CancelledEventSchema, CompletedEventSchema, FailedEventSchema } from './events.js';
import { WebhookSchema } from './submission.js';

/** The statuses a webhook is sent for, and the envelope `type` of each. */
export const WEBHOOK_EVENT_TYPES = ['job.succeeded', 'job.failed', 'job.cancelled'] as const;

/** The POSTed body: `type`, `timestamp`, `data` as Standard Webhooks recommends. */
export const WebhookPayloadSchema = Type.Object({
  type: Type.Enum([...WEBHOOK_EVENT_TYPES]),
  timestamp: TimestampSchema,
  data: Type.Object({
    jobId: IdSchema,
    tenant: TenantSchema,
    name: Type.Union([Type.String(), Type.Null()]),
    status: Type.Enum(['succeeded', 'failed', 'cancelled']),
    event: Type.Object({
      id: Type.String({ description: "the terminal event's id in the job's log (its SSE id)" }),
      type: Type.Enum(['completed', 'failed', 'cancelled']),
      data: Type.Union([CompletedEventSchema, FailedEventSchema, CancelledEventSchema], {
        description: 'the event as GET /v1/jobs/{id}/events gives it (by `type`), without inline weight tensors',
      }),
    }),
  }),
});
export type WebhookPayload = Static<typeof WebhookPayloadSchema>;

export const DeliverySchema = Type.Object({
  webhookId: Type.String({ description: 'the webhook-id header: the same on every attempt (receivers dedupe on it)' }),
  attempt: Type.Integer({ minimum: 1 }),
  url: Type.String(),
  statusCode: Type.Union([Type.Integer(), Type.Null()], { description: "the receiver's HTTP status; null if none came" }),
  ok: Type.Boolean({ description: 'a 2xx answer: delivered, no more attempts' }),
  error: Type.Union([Type.String(), Type.Null()]),
  startedAt: TimestampSchema,
  finishedAt: TimestampSchema,
  willRetry: Type.Boolean({ description: 'failed and another attempt is scheduled (WEBHOOK_ATTEMPTS, exponential backoff)' }),
});
export type Delivery = Static<typeof DeliverySchema>;

export const DeliveryListSchema = Type.Object({ items: Type.Array(DeliverySchema, { description: 'oldest first' }) });

/** A tenant's webhook settings. The secret signs every delivery to any of its jobs' URLs. */
export const TenantWebhookSchema = Type.Object({
  tenant: TenantSchema,
  url: Type.Union([Type.String(), Type.Null()], { description: "default URL for the tenant's jobs that name none" }),
  secret: Type.String({ pattern: '^whsec_', description: 'whsec_ + base64 of the HMAC-SHA256 key' }),
});
export type TenantWebhook = Static<typeof TenantWebhookSchema>;

export const TenantWebhookUpdateSchema = Type.Object(
  { url: Type.Union([WebhookSchema.properties.url, Type.Null()], { description: 'null removes the default' }) },
  { additionalProperties: false },
);

/** Webhook deliveries: BullMQ job name `deliver`, jobId `wh-{jobId}` (one terminal event per job). */
export const WEBHOOK_QUEUE = 'convoy-webhooks';
export const WEBHOOK_JOB_NAME = 'deliver';

export const WebhookJobDataSchema = Type.Object(
  { jobId: IdSchema, eventId: Type.String(), url: Type.String() },
  { additionalProperties: false },
);
export type WebhookJobData = Static<typeof WebhookJobDataSchema>;
