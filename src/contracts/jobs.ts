// Jobs: the POST /v1/jobs body, the resolved JobSpec, the JobDocument (GET /v1/jobs/{id}).
import Type, { type Static } from 'typebox';
import { LIMITS } from './limits.js';
import { ModelInputSchema, ModelSpecSchema, discriminated } from './model.js';
import { IdSchema, ImageShapeSchema, NullableNumber, NullableTimestampSchema, TimestampSchema } from './common.js';

// ---- status vocabulary -------------------------------------------------------------------------

export const JOB_STATUSES = ['queued', 'running', 'cancelling', 'succeeded', 'failed', 'cancelled'] as const;
export const JobStatusSchema = Type.Enum([...JOB_STATUSES]);
export type JobStatus = Static<typeof JobStatusSchema>;
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];
export const isTerminalStatus = (s: JobStatus): boolean => TERMINAL_STATUSES.includes(s);

export const JOB_STAGES = ['queued', 'loading-data', 'training', 'evaluating', 'recovering', 'saving', 'done'] as const;
export const JobStageSchema = Type.Enum([...JOB_STAGES]);
export type JobStage = Static<typeof JobStageSchema>;

// ---- the submission body -----------------------------------------------------------------------

export const BUILTIN_DATASETS = ['fashion-mnist', 'mnist'] as const;

export const BuiltinDatasetRefSchema = Type.Object(
  {
    builtin: Type.Enum([...BUILTIN_DATASETS]),
    trainSize: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.datasetSize, description: 'first N training samples' })),
    testSize: Type.Optional(Type.Integer({ minimum: 0, maximum: LIMITS.datasetSize, description: 'first N test samples' })),
    validationSplit: Type.Optional(
      Type.Number({ minimum: 0, exclusiveMaximum: 1, description: 'fraction of the training samples held out' }),
    ),
  },
  { additionalProperties: false },
);

export const UploadedDatasetRefSchema = Type.Object({ id: IdSchema }, { additionalProperties: false });

export const InlineDatasetSchema = Type.Object(
  {
    shape: ImageShapeSchema,
    samples: Type.Array(Type.Array(Type.Number({ minimum: -LIMITS.pixel, maximum: LIMITS.pixel }), { minItems: 1 }), {
      minItems: 1,
      maxItems: LIMITS.inlineSamples,
      description: 'one flat array of c*h*w numbers per sample, in C, H, W order',
    }),
    labels: Type.Array(Type.Integer({ minimum: 0, maximum: LIMITS.classes - 1 }), {
      minItems: 1,
      maxItems: LIMITS.inlineSamples,
    }),
  },
  { additionalProperties: false },
);
export type InlineDataset = Static<typeof InlineDatasetSchema>;

export const InlineDatasetRefSchema = Type.Object({ inline: InlineDatasetSchema }, { additionalProperties: false });

export const DatasetRefSchema = Type.Union([BuiltinDatasetRefSchema, UploadedDatasetRefSchema, InlineDatasetRefSchema], {
  description: 'exactly one of {builtin}, {id} (an uploaded dataset) or {inline}',
});
export type DatasetRef = Static<typeof DatasetRefSchema>;

export const OptimizerSchema = Type.Object(
  {
    type: Type.Enum(['sgd', 'adam', 'adamw']),
    learningRate: Type.Number({ exclusiveMinimum: 0, maximum: LIMITS.learningRate }),
    momentum: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1, description: 'sgd only' })),
    nesterov: Type.Optional(Type.Boolean({ description: 'sgd only; needs momentum > 0' })),
    beta1: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1, description: 'adam/adamw, default 0.9' })),
    beta2: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1, description: 'adam/adamw, default 0.999' })),
    weightDecay: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);
export type Optimizer = Static<typeof OptimizerSchema>;

const WarmupSteps = Type.Optional(
  Type.Integer({ minimum: 0, maximum: 10_000_000, description: 'linear warm-up from 0 over this many steps' }),
);

const scheduleUnion = Type.Union([
  Type.Object({ type: Type.Literal('constant'), warmupSteps: WarmupSteps }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('step'),
      stepEpochs: Type.Integer({ minimum: 1, maximum: LIMITS.epochs, description: 'multiply by gamma every this many epochs' }),
      gamma: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
      warmupSteps: WarmupSteps,
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('cosine'),
      minLearningRate: Type.Optional(Type.Number({ minimum: 0, maximum: LIMITS.learningRate })),
      warmupSteps: WarmupSteps,
    },
    { additionalProperties: false },
  ),
]);
export const ScheduleSchema = discriminated(scheduleUnion, 'type', 'learning-rate schedule over the whole run');
export type Schedule = Static<typeof ScheduleSchema>;

/** Samples per micro-shard when a job does not say (the job, never the worker, decides). */
export const DEFAULT_MICRO_SHARD_SIZE = 32;

export const TrainingSchema = Type.Object(
  {
    epochs: Type.Integer({ minimum: 1, maximum: LIMITS.epochs }),
    batchSize: Type.Integer({ minimum: 1, maximum: LIMITS.batchSize }),
    optimizer: OptimizerSchema,
    loss: Type.Optional(Type.Enum(['cross-entropy', 'mse'], { default: 'cross-entropy' })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: LIMITS.seed })),
    shuffle: Type.Optional(Type.Boolean({ default: true })),
    schedule: Type.Optional(ScheduleSchema),
    clipNorm: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1e6, description: 'clip gradients by global norm' })),
    microShardSize: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: LIMITS.batchSize,
        default: DEFAULT_MICRO_SHARD_SIZE,
        description:
          'samples per micro-shard: each batch is split into shards of this size, computed in parallel and summed in a fixed order. Part of the arithmetic, so the same value gives bit-identical weights on any pool size or worker',
      }),
    ),
  },
  { additionalProperties: false },
);
export type Training = Static<typeof TrainingSchema>;

export const StoppingSchema = Type.Object(
  {
    maxRuntimeSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.maxRuntimeSeconds })),
    targetAccuracy: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
    patience: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.patience, description: 'epochs without validation improvement' })),
  },
  { additionalProperties: false },
);
export type Stopping = Static<typeof StoppingSchema>;

export const TensorInputSchema = Type.Object(
  {
    name: Type.String({ pattern: '^layers\\.[0-9]+\\.(weight|bias)$', description: 'layers.{i}.weight or layers.{i}.bias' }),
    shape: Type.Array(Type.Integer({ minimum: 1, maximum: 1 << 24 }), { minItems: 1, maxItems: 4 }),
    data: Type.Union([
      Type.String({ contentEncoding: 'base64', description: 'little-endian float32, base64' }),
      Type.Array(Type.Number({ minimum: -1e30, maximum: 1e30 })),
    ]),
  },
  { additionalProperties: false },
);
export type TensorInput = Static<typeof TensorInputSchema>;

export const InitialWeightsSchema = Type.Union([
  Type.Object({ fromJob: IdSchema }, { additionalProperties: false }),
  Type.Object({ tensors: Type.Array(TensorInputSchema, { minItems: 1, maxItems: LIMITS.tensors }) }, { additionalProperties: false }),
]);
export type InitialWeights = Static<typeof InitialWeightsSchema>;

const submissionFields = {
  dataset: DatasetRefSchema,
  training: TrainingSchema,
  stopping: Type.Optional(StoppingSchema),
  initialWeights: Type.Optional(InitialWeightsSchema),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.nameLength })),
  priority: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.priority, description: 'lower runs first; default 1000' })),
};

/** The POST /v1/jobs (and /v1/jobs/validate) body. */
export const JobSubmissionSchema = Type.Object({ model: ModelInputSchema, ...submissionFields }, { additionalProperties: false });
export type JobSubmission = Static<typeof JobSubmissionSchema>;

/** A validated submission with the preset resolved: what the worker trains. Stored with the job. */
export const JobSpecSchema = Type.Object({ model: ModelSpecSchema, ...submissionFields }, { additionalProperties: false });
export type JobSpec = Static<typeof JobSpecSchema>;

export const DEFAULT_PRIORITY = 1000;

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
    description: 'diverged, invalid-dataset, invalid-weights, crash-loop (its worker kept dying: MAX_CRASHES), internal',
  }),
  message: Type.String(),
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
  name: Type.Union([Type.String(), Type.Null()]),
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
  name: Type.Union([Type.String(), Type.Null()]),
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
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
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
});
export type QuotaUse = Static<typeof QuotaUseSchema>;

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
