// Jobs: the status vocabulary, the JobDocument (GET /v1/jobs/{id}), lists, the validation report
// and predict bodies. The submission body is submission.ts.
import Type, { type Static } from 'typebox';
import { LIMITS } from './limits.js';
import { IdSchema, NullableNumber, NullableTimestampSchema, TimestampSchema } from './common.js';
import { JobSpecSchema } from './submission.js';
import { TenantSchema } from './auth.js';
import { MetadataSchema, TagQuerySchema } from './metadata.js';

// ---- status vocabulary -------------------------------------------------------------------------

export const JOB_STATUSES = ['queued', 'running', 'cancelling', 'succeeded', 'failed', 'cancelled'] as const;
export const JobStatusSchema = Type.Enum([...JOB_STATUSES]);
export type JobStatus = Static<typeof JobStatusSchema>;
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];
export const isTerminalStatus = (s: JobStatus): boolean => TERMINAL_STATUSES.includes(s);

export const JOB_STAGES = ['queued', 'loading-data', 'training', 'evaluating', 'recovering', 'saving', 'done'] as const;
export const JobStageSchema = Type.Enum([...JOB_STAGES]);
export type JobStage = Static<typeof JobStageSchema>;

// ---- the job document --------------------------------------------------------------------------

export const ProgressSchema = Type.Object({
  epoch: Type.Integer({ minimum: 0, description: '1-based epoch in progress; 0 before training starts' }),
  epochs: Type.Integer({ minimum: 0 }),
  step: Type.Integer({ minimum: 0, description: 'steps done in this epoch' }),
  stepsPerEpoch: Type.Integer({ minimum: 0 }),
  percent: Type.Number({ minimum: 0, maximum: 100 }),
  etaSeconds: NullableNumber,
  samplesPerSecond: NullableNumber,
});
export type Progress = Static<typeof ProgressSchema>;

export const MetricsSchema = Type.Object({
  loss: NullableNumber,
  accuracy: NullableNumber,
  valLoss: Type.Optional(NullableNumber),
  valAccuracy: Type.Optional(NullableNumber),
  testLoss: Type.Optional(NullableNumber),
  testAccuracy: Type.Optional(NullableNumber),
});
export type Metrics = Static<typeof MetricsSchema>;

export const EpochMetricsSchema = Type.Object({
  epoch: Type.Integer({ minimum: 1 }),
  loss: NullableNumber,
  accuracy: NullableNumber,
  valLoss: Type.Optional(NullableNumber),
  valAccuracy: Type.Optional(NullableNumber),
  testLoss: Type.Optional(NullableNumber),
  testAccuracy: Type.Optional(NullableNumber),
  learningRate: Type.Optional(Type.Number()),
  seconds: Type.Optional(Type.Number({ minimum: 0, description: 'wall time of the epoch' })),
});
export type EpochMetrics = Static<typeof EpochMetricsSchema>;

export const TransitionSchema = Type.Object({
  status: JobStatusSchema,
  stage: JobStageSchema,
  at: TimestampSchema,
  attempt: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type Transition = Static<typeof TransitionSchema>;

export const JobErrorSchema = Type.Object({
  code: Type.String({
    description:
      'diverged, invalid-dataset, invalid-weights, crash-loop (its worker kept dying: MAX_CRASHES), lost (its worker lost it and no checkpoint was left: docs/operations.md), internal',
  }),
  message: Type.String({ description: 'for the caller: never internal text (an `internal` error names its errorId instead)' }),
  errorId: Type.Optional(Type.String({ description: 'internal: the id under which the worker log has what happened' })),
  epoch: Type.Optional(Type.Integer({ minimum: 0 })),
  step: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type JobError = Static<typeof JobErrorSchema>;

export const JobLinksSchema = Type.Object({
  self: Type.String(),
  events: Type.String(),
  weights: Type.String(),
  cancel: Type.String(),
  predict: Type.String(),
});
export type JobLinks = Static<typeof JobLinksSchema>;

/** Where the job's weights are: present once `convoy:job:{id}:weights` exists. */
export const WeightsInfoSchema = Type.Object({
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  bytes: Type.Integer({ minimum: 0 }),
  partial: Type.Optional(Type.Boolean({ description: 'true when saved by a cancelled job' })),
});
export type WeightsInfo = Static<typeof WeightsInfoSchema>;

export const JobDocumentSchema = Type.Object({
  id: IdSchema,
  tenant: TenantSchema,
  name: Type.Union([Type.String(), Type.Null()]),
  metadata: Type.Optional({ ...MetadataSchema, description: "the submission's metadata ({} when it gave none)" }),
  status: JobStatusSchema,
  stage: JobStageSchema,
  attempt: Type.Integer({ minimum: 0, description: '1 for the first run; goes up when a job is resumed' }),
  priority: Type.Integer({ minimum: 1 }),
  progress: ProgressSchema,
  metrics: MetricsSchema,
  history: Type.Array(EpochMetricsSchema),
  transitions: Type.Array(TransitionSchema),
  error: Type.Optional(JobErrorSchema),
  weights: Type.Optional(Type.Union([WeightsInfoSchema, Type.Null()])),
  createdAt: TimestampSchema,
  startedAt: NullableTimestampSchema,
  finishedAt: NullableTimestampSchema,
  spec: JobSpecSchema,
  links: Type.Optional(JobLinksSchema),
});
export type JobDocument = Static<typeof JobDocumentSchema>;

/** A row of GET /v1/jobs: the document without spec and history. */
export const JobSummarySchema = Type.Object({
  id: IdSchema,
  tenant: TenantSchema,
  name: Type.Union([Type.String(), Type.Null()]),
  metadata: Type.Optional(MetadataSchema),
  status: JobStatusSchema,
  stage: JobStageSchema,
  attempt: Type.Integer({ minimum: 0 }),
  progress: ProgressSchema,
  metrics: MetricsSchema,
  error: Type.Optional(JobErrorSchema),
  createdAt: TimestampSchema,
  startedAt: NullableTimestampSchema,
  finishedAt: NullableTimestampSchema,
  links: JobLinksSchema,
});
export type JobSummary = Static<typeof JobSummarySchema>;

export const JobListSchema = Type.Object({
  items: Type.Array(JobSummarySchema),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const JobListQuerySchema = Type.Object(
  {
    status: Type.Optional(JobStatusSchema),
    tenant: Type.Optional({ ...TenantSchema, description: "admin only: one tenant's jobs (default: every tenant's)" }),
    tag: Type.Optional(TagQuerySchema),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.nameLength, description: 'only jobs whose name starts with this' })),
    createdAfter: Type.Optional(Type.String({ format: 'date-time', description: 'only jobs created at or after this time (ISO 8601)' })),
    createdBefore: Type.Optional(Type.String({ format: 'date-time', description: 'only jobs created before this time (ISO 8601)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page (with the same filters)' })),
  },
  { additionalProperties: false },
);

export const JobAcceptedSchema = Type.Object({
  id: IdSchema,
  status: JobStatusSchema,
  links: JobLinksSchema,
});
export type JobAccepted = Static<typeof JobAcceptedSchema>;

/** POST /v1/jobs/validate -> 200. */
export const LayerSummarySchema = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  type: Type.String(),
  outputShape: Type.Array(Type.Integer({ minimum: 0 })),
  params: Type.Integer({ minimum: 0 }),
  flops: Type.Number({ minimum: 0, description: 'forward FLOPs per sample' }),
});

export const QuotaUseSchema = Type.Object({
  name: Type.String(),
  value: Type.Number(),
  limit: Type.Number(),
  exceeded: Type.Boolean(),
  variable: Type.String({ description: 'the environment variable that sets the limit, e.g. QUOTA_MAX_TRAINING_BYTES' }),
});
export type QuotaUse = Static<typeof QuotaUseSchema>;

const Bytes = (description: string) => Type.Integer({ minimum: 0, description });

/** What a worker holds to train the job (src/engine/memory.ts); `trainingBytes` meets QUOTA_MAX_TRAINING_BYTES. */
export const MemoryReportSchema = Type.Object(
  {
    threads: Type.Integer({ minimum: 1, description: "a worker's pool threads (POOL_THREADS); each holds perThreadBytes" }),
    perThreadBytes: Bytes('one thread: activations, their gradients, layer and kernel scratch for one micro-shard'),
    activationBytes: Bytes("one thread's activations (every layer's output for a micro-shard or an evaluation chunk)"),
    activationGradientBytes: Bytes("one thread's activation gradients"),
    scratchBytes: Bytes("one thread's dropout masks, pooling switches, inputs and WebAssembly kernel scratch"),
    parameterBytes: Bytes('the weights, held three times by the worker'),
    parameterGradientBytes: Bytes('the gradient sum and one slot per further micro-shard of a batch'),
    optimizerBytes: Bytes('the optimizer state (Adam: two vectors the size of the weights)'),
    datasetBytes: Bytes('the dataset as the worker holds it'),
    trainingBytes: Bytes('all of it: threads x perThreadBytes + the rest + the sample order and a checkpoint'),
    predictBytesPerInput: Bytes("one predict input's buffers in a thread"),
  },
  { description: 'the memory a worker needs to train the job (QUOTA_MAX_TRAINING_BYTES)' },
);
export type MemoryReport = Static<typeof MemoryReportSchema>;

export const ValidationReportSchema = Type.Object({
  valid: Type.Boolean({ description: 'true when the job would be accepted (no quota exceeded)' }),
  model: Type.Object({
    input: Type.Array(Type.Integer()),
    layers: Type.Array(LayerSummarySchema),
    outputShape: Type.Array(Type.Integer({ minimum: 0 })),
    params: Type.Integer({ minimum: 0 }),
    flops: Type.Number({ minimum: 0 }),
  }),
  dataset: Type.Object({
    shape: Type.Array(Type.Integer()),
    classes: Type.Integer({ minimum: 1 }),
    trainSamples: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  }),
  stepsPerEpoch: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  memory: MemoryReportSchema,
  quotas: Type.Array(QuotaUseSchema),
});
export type ValidationReport = Static<typeof ValidationReportSchema>;

export const CancelAcceptedSchema = Type.Object({ id: IdSchema, status: JobStatusSchema });

// ---- predict -----------------------------------------------------------------------------------

export const PredictRequestSchema = Type.Object(
  {
    inputs: Type.Array(Type.Array(Type.Number({ minimum: -LIMITS.pixel, maximum: LIMITS.pixel }), { minItems: 1 }), {
      minItems: 1,
      maxItems: LIMITS.predictInputs,
      description: 'one flat array of c*h*w numbers per input, in C, H, W order, same scale as the training data',
    }),
  },
  { additionalProperties: false },
);
export type PredictRequest = Static<typeof PredictRequestSchema>;

export const PredictionSchema = Type.Object({
  label: Type.Integer({ minimum: 0 }),
  probabilities: Type.Array(Type.Number()),
});
export const PredictResponseSchema = Type.Object({ predictions: Type.Array(PredictionSchema) });
export type PredictResponse = Static<typeof PredictResponseSchema>;
