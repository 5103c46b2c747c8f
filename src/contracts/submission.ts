// The POST /v1/jobs body (JobSubmission: a preset or a model spec) and the resolved JobSpec the
// worker trains: dataset, training settings, stopping rules, warm-start weights.
import Type, { type Static } from 'typebox';
import { LIMITS } from './limits.js';
import { ModelInputSchema, ModelSpecSchema, discriminated } from './model.js';
import { IdSchema, ImageShapeSchema } from './common.js';
import { AugmentSchema } from './augment.js';
import { MetadataSchema } from './metadata.js';

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

/** What a stored job's spec shows of the inline dataset it was submitted with. */
export const InlineDatasetSummarySchema = Type.Object({
  samples: Type.Integer({ minimum: 1 }),
  shape: ImageShapeSchema,
  classes: Type.Integer({ minimum: 1 }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'of the stored dataset bytes (the same samples give the same hash)' }),
  bytes: Type.Integer({ minimum: 0, description: 'stored size' }),
});
export type InlineDatasetSummary = Static<typeof InlineDatasetSummarySchema>;

/** An inline dataset once submitted: stored as the dataset `id` (format `inline`); the spec keeps a summary. */
export const StoredInlineDatasetRefSchema = Type.Object(
  { id: IdSchema, summary: InlineDatasetSummarySchema },
  { additionalProperties: false, description: 'the inline dataset of the submission, stored as dataset `id`' },
);
export type StoredInlineDatasetRef = Static<typeof StoredInlineDatasetRefSchema>;

/** A stored job's dataset: inline samples are replaced by a reference (jobs stored before that keep them). */
export const JobDatasetRefSchema = Type.Union(
  [BuiltinDatasetRefSchema, UploadedDatasetRefSchema, StoredInlineDatasetRefSchema, InlineDatasetRefSchema],
  { description: 'the submitted dataset; an inline one shows as {id, summary}' },
);
export type JobDatasetRef = Static<typeof JobDatasetRefSchema>;

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

const ConstantScheduleSchema = Type.Object({ type: Type.Literal('constant'), warmupSteps: WarmupSteps }, { additionalProperties: false });
const StepScheduleSchema = Type.Object(
  {
    type: Type.Literal('step'),
    stepEpochs: Type.Integer({ minimum: 1, maximum: LIMITS.epochs, description: 'multiply by gamma every this many epochs' }),
    gamma: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
    warmupSteps: WarmupSteps,
  },
  { additionalProperties: false },
);
const CosineScheduleSchema = Type.Object(
  {
    type: Type.Literal('cosine'),
    minLearningRate: Type.Optional(Type.Number({ minimum: 0, maximum: LIMITS.learningRate })),
    warmupSteps: WarmupSteps,
  },
  { additionalProperties: false },
);
const OneCycleScheduleSchema = Type.Object(
  {
    type: Type.Literal('oneCycle', {
      description: "PyTorch's OneCycleLR (cosine): up from learningRate / divFactor to learningRate, then down; its own warm-up",
    }),
    pctStart: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'share of the run spent rising; default 0.3' }),
    ),
    divFactor: Type.Optional(Type.Number({ minimum: 1, maximum: 1e6, description: 'first rate = learningRate / divFactor; default 25' })),
    finalDivFactor: Type.Optional(
      Type.Number({ minimum: 1, maximum: 1e9, description: 'last rate = first rate / finalDivFactor; default 1e4' }),
    ),
  },
  { additionalProperties: false },
);
/** The schedule forms by name: openapi.yaml makes each a component the discriminator's mapping names. */
export const SCHEDULE_FORMS = {
  ConstantSchedule: ConstantScheduleSchema,
  StepSchedule: StepScheduleSchema,
  CosineSchedule: CosineScheduleSchema,
  OneCycleSchedule: OneCycleScheduleSchema,
} as const;
const scheduleUnion = Type.Union([ConstantScheduleSchema, StepScheduleSchema, CosineScheduleSchema, OneCycleScheduleSchema]);
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
    labelSmoothing: Type.Optional(
      Type.Number({
        minimum: 0,
        exclusiveMaximum: 1,
        description: 'cross-entropy against (1 - e) one-hot + e / classes (PyTorch label_smoothing); default 0',
      }),
    ),
    augment: Type.Optional(AugmentSchema),
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
    name: Type.String({
      pattern: '^layers\\.[0-9]+(\\.(layers\\.[0-9]+|shortcut))*\\.(weight|bias|running_mean|running_var)$',
      description:
        'layers.{i}.weight, .bias, .running_mean, .running_var; inside a residual block layers.{i}.layers.{j}.weight, layers.{i}.shortcut.weight, ...',
    }),
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

/** Where the job's end (succeeded, failed, cancelled) is POSTed: src/contracts/webhooks.ts, docs/clients.md. */
export const WebhookSchema = Type.Object(
  {
    url: Type.String({
      format: 'uri',
      pattern: '^https?://',
      maxLength: 2048,
      description: 'http(s) URL whose host is in WEBHOOK_ALLOWED_HOSTS; POSTed when the job succeeds, fails or is cancelled',
    }),
  },
  { additionalProperties: false },
);
export type Webhook = Static<typeof WebhookSchema>;

const submissionFields = {
  dataset: DatasetRefSchema,
  training: TrainingSchema,
  stopping: Type.Optional(StoppingSchema),
  initialWeights: Type.Optional(InitialWeightsSchema),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.nameLength, description: 'GET /v1/jobs?name= finds it by prefix' })),
  metadata: Type.Optional(MetadataSchema),
  priority: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.priority, description: 'lower runs first; default 1000' })),
  webhook: Type.Optional(WebhookSchema),
};

/** The POST /v1/jobs (and /v1/jobs/validate) body. */
export const JobSubmissionSchema = Type.Object({ model: ModelInputSchema, ...submissionFields }, { additionalProperties: false });
export type JobSubmission = Static<typeof JobSubmissionSchema>;

/** A validated submission with the preset resolved: what the worker trains. Stored with the job. */
export const JobSpecSchema = Type.Object(
  { model: ModelSpecSchema, ...submissionFields, dataset: JobDatasetRefSchema },
  { additionalProperties: false },
);
export type JobSpec = Static<typeof JobSpecSchema>;

export const DEFAULT_PRIORITY = 1000;
