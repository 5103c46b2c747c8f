// Job events: the entries of the per-job event log (Redis stream `convoy:job:{id}:events`, fields
// `type` and `data` = JSON of the payload below). SSE frames carry `event: <type>`, `id: <stream id>`,
// `data: <payload JSON>`. `snapshot` is not stored: the API sends it first on every connection.
import Type, { type Static, type TSchema } from 'typebox';
import { discriminated } from './model.js';
import {
  EpochMetricsSchema,
  JobDocumentSchema,
  JobErrorSchema,
  JobStageSchema,
  JobStatusSchema,
  JobSummarySchema,
  MetricsSchema,
} from './jobs.js';
import { NullableNumber as NullableNumberSchema, TimestampSchema } from './common.js';
import { TenantSchema } from './auth.js';

export const JOB_EVENT_TYPES = ['snapshot', 'status', 'progress', 'epoch', 'completed', 'failed', 'cancelled'] as const;
export type JobEventType = (typeof JOB_EVENT_TYPES)[number];
export const TERMINAL_EVENT_TYPES: readonly JobEventType[] = ['completed', 'failed', 'cancelled'];
export const isTerminalEvent = (type: string): boolean => (TERMINAL_EVENT_TYPES as readonly string[]).includes(type);

export const SnapshotEventSchema = JobDocumentSchema;

export const StatusEventSchema = Type.Object({
  status: JobStatusSchema,
  stage: JobStageSchema,
  attempt: Type.Integer({ minimum: 0 }),
  at: TimestampSchema,
  message: Type.Optional(Type.String()),
});
export type StatusEvent = Static<typeof StatusEventSchema>;

/** Per parameter tensor, at the end of each epoch and now and then during one: watch backprop happen. */
export const TensorNormSchema = Type.Object({
  name: Type.String({ description: 'layers.{i}.weight or layers.{i}.bias' }),
  weightNorm: Type.Number(),
  gradNorm: Type.Number({ description: 'L2 norm of the last step gradient' }),
});
export type TensorNorm = Static<typeof TensorNormSchema>;

/** Throttled (at most ~4 per second per job). */
export const ProgressEventSchema = Type.Object({
  epoch: Type.Integer({ minimum: 0 }),
  epochs: Type.Integer({ minimum: 0 }),
  step: Type.Integer({ minimum: 0 }),
  stepsPerEpoch: Type.Integer({ minimum: 0 }),
  percent: Type.Number({ minimum: 0, maximum: 100 }),
  etaSeconds: NullableNumberSchema,
  samplesPerSecond: NullableNumberSchema,
  loss: Type.Optional(NullableNumberSchema),
  accuracy: Type.Optional(NullableNumberSchema),
  norms: Type.Optional(
    Type.Array(TensorNormSchema, {
      description: "each tensor's weight and last-step gradient norm: on the first progress event and then at most every 2 s",
    }),
  ),
});
export type ProgressEvent = Static<typeof ProgressEventSchema>;

/** A test sample the model got wrong with the most confidence. */
export const ConfusedSampleSchema = Type.Object({
  index: Type.Integer({ minimum: 0, description: "the sample's index in its split" }),
  label: Type.Integer({ minimum: 0 }),
  predicted: Type.Integer({ minimum: 0 }),
  probability: Type.Number({ description: 'softmax probability of the predicted class' }),
  pixels: Type.Optional(
    Type.String({
      contentEncoding: 'base64',
      description: 'the image as stored, c*h*w uint8 values in C, H, W order (datasets of 0-255 pixels only): a valid predict input',
    }),
  ),
});
export type ConfusedSampleEvent = Static<typeof ConfusedSampleSchema>;

/** The predictions on the test split (the validation split when there is no test split). */
export const EvaluationSchema = Type.Object({
  split: Type.Enum(['test', 'validation']),
  confusion: Type.Array(Type.Array(Type.Integer({ minimum: 0 })), {
    description: 'confusion[label][predicted]: how many samples of each true label got each predicted class',
  }),
  confused: Type.Array(ConfusedSampleSchema, { description: 'the most confidently wrong samples, surest first (at most 12)' }),
});
export type Evaluation = Static<typeof EvaluationSchema>;

export const EpochEventSchema = Type.Object({
  epoch: Type.Integer({ minimum: 1 }),
  epochs: Type.Integer({ minimum: 1 }),
  metrics: EpochMetricsSchema,
  norms: Type.Array(TensorNormSchema),
  evaluation: Type.Optional(EvaluationSchema),
});
export type EpochEvent = Static<typeof EpochEventSchema>;

export const TensorOutputSchema = Type.Object({
  name: Type.String(),
  shape: Type.Array(Type.Integer({ minimum: 0 })),
  dtype: Type.Literal('float32'),
  data: Type.String({ contentEncoding: 'base64', description: 'little-endian float32, base64' }),
});
export type TensorOutput = Static<typeof TensorOutputSchema>;

/**
 * The final (or partial) weights. `tensors` is present when the safetensors bytes are at most
 * WEIGHTS_INLINE_MAX_BYTES (src/config.ts); otherwise fetch `href` and check `sha256`.
 */
export const WeightsRefSchema = Type.Object({
  href: Type.String(),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  bytes: Type.Integer({ minimum: 0 }),
  tensors: Type.Optional(Type.Array(TensorOutputSchema)),
});
export type WeightsRef = Static<typeof WeightsRefSchema>;

export const CompletedEventSchema = Type.Object({
  metrics: MetricsSchema,
  history: Type.Array(EpochMetricsSchema),
  weights: WeightsRefSchema,
  reason: Type.Optional(Type.Enum(['epochs', 'target-accuracy', 'patience', 'max-runtime'], { description: 'why training stopped' })),
});
export type CompletedEvent = Static<typeof CompletedEventSchema>;

export const FailedEventSchema = Type.Object({
  error: JobErrorSchema,
  attempt: Type.Integer({ minimum: 0 }),
});
export type FailedEvent = Static<typeof FailedEventSchema>;

export const CancelledEventSchema = Type.Object({
  metrics: MetricsSchema,
  weights: Type.Union([WeightsRefSchema, Type.Null()], { description: 'partial weights, null if none were trained' }),
});
export type CancelledEvent = Static<typeof CancelledEventSchema>;

/** Payload type by event type. */
export interface JobEventPayloads {
  snapshot: Static<typeof SnapshotEventSchema>;
  status: StatusEvent;
  progress: ProgressEvent;
  epoch: EpochEvent;
  completed: CompletedEvent;
  failed: FailedEvent;
  cancelled: CancelledEvent;
}

/** One entry of the log. `id` is the Redis stream id (`1732700000000-0`); a snapshot has none. */
export type JobEvent = {
  [K in JobEventType]: { id: string; type: K; data: JobEventPayloads[K] };
}[JobEventType];

/** A stored event as written to the stream (no snapshot). */
export type StoredJobEvent = Exclude<JobEvent, { type: 'snapshot' }>;

export const EVENT_PAYLOAD_SCHEMAS = {
  snapshot: SnapshotEventSchema,
  status: StatusEventSchema,
  progress: ProgressEventSchema,
  epoch: EpochEventSchema,
  completed: CompletedEventSchema,
  failed: FailedEventSchema,
  cancelled: CancelledEventSchema,
} as const;

/** One entry of a job's log: the SSE frame's `event:` is `type`, `id:` is `id`, `data:` the JSON of `data`. */
const entry = (type: JobEventType, data: TSchema) =>
  Type.Object({
    id:
      type === 'snapshot'
        ? Type.Optional(Type.String({ description: 'none: the snapshot is not logged' }))
        : Type.String({ description: 'the Redis stream id (Last-Event-ID)' }),
    type: Type.Literal(type),
    data,
  });

/** The entry forms by name: openapi.yaml's JobEvent is their `oneOf`, keyed on `type` (docs/api.md). */
export const JOB_EVENT_FORMS = {
  SnapshotJobEvent: entry('snapshot', SnapshotEventSchema),
  StatusJobEvent: entry('status', StatusEventSchema),
  ProgressJobEvent: entry('progress', ProgressEventSchema),
  EpochJobEvent: entry('epoch', EpochEventSchema),
  CompletedJobEvent: entry('completed', CompletedEventSchema),
  FailedJobEvent: entry('failed', FailedEventSchema),
  CancelledJobEvent: entry('cancelled', CancelledEventSchema),
} as const;

/** A job event as the stream and the JSON pages carry it (documentation: the routes send stored entries as they are). */
export const JobEventSchema = discriminated(
  Type.Union(Object.values(JOB_EVENT_FORMS)),
  'type',
  "one entry of a job's event log; `type` picks the payload",
);

/** GET /v1/jobs/{id}/events with Accept: application/json. */
export const EventLogSchema = Type.Object({
  events: Type.Array(
    Type.Object({
      id: Type.String(),
      type: Type.Enum([...JOB_EVENT_TYPES]),
      data: Type.Unknown(),
    }),
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as ?after= to get what follows' }),
  done: Type.Boolean({ description: 'true when the log holds a terminal event: nothing will follow' }),
});
export type EventLog = Static<typeof EventLogSchema>;

export const EventsQuerySchema = Type.Object(
  {
    after: Type.Optional(
      Type.String({ pattern: '^[0-9]+-[0-9]+$', description: 'a stream id: return events after it (like Last-Event-ID)' }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'JSON only; default 1000' })),
    token: Type.Optional(
      Type.String({ maxLength: 200, description: 'a stream token (POST /v1/stream-tokens), for clients that cannot send Authorization' }),
    ),
  },
  { additionalProperties: false },
);

// ---- GET /v1/events: every job of a tenant on one stream --------------------------------------

export const TenantEventsQuerySchema = Type.Object(
  {
    status: Type.Optional({ ...JobStatusSchema, description: 'only jobs with this status (joining and leaving as it changes)' }),
    jobs: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9_-]{1,64}(,[A-Za-z0-9_-]{1,64}){0,99}$',
        description: 'only these jobs: comma-separated ids (at most 100)',
      }),
    ),
    tenant: Type.Optional({ ...TenantSchema, description: "admin only: another tenant's stream" }),
    after: EventsQuerySchema.properties.after,
    limit: EventsQuerySchema.properties.limit,
    token: EventsQuerySchema.properties.token,
  },
  { additionalProperties: false },
);

/** The first SSE event of GET /v1/events: the tenant's jobs as they are (the newest, at most 200). */
export const TenantSnapshotSchema = Type.Object({
  tenant: Type.String(),
  jobs: Type.Array(JobSummarySchema),
});
export type TenantSnapshot = Static<typeof TenantSnapshotSchema>;

/** Every other event of GET /v1/events: a job's event, with the job and the event's id in the job's own log. */
export const TenantEventSchema = Type.Object({
  jobId: Type.String(),
  jobEventId: Type.String({ description: "the event's id in GET /v1/jobs/{id}/events" }),
  data: Type.Unknown({ description: 'the payload of the job event of this type (status, progress, epoch, completed, ...)' }),
});

/** GET /v1/events with Accept: application/json. */
export const TenantEventLogSchema = Type.Object({
  events: Type.Array(
    Type.Object({
      id: Type.String(),
      type: Type.Enum([...JOB_EVENT_TYPES]),
      jobId: Type.String(),
      jobEventId: Type.String(),
      data: Type.Unknown(),
    }),
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as ?after= to get what follows' }),
});
