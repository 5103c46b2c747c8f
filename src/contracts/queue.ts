// The BullMQ contract: queue names, job data and results. Producer (src/server) and consumer
// (workers/) import these; nothing else describes what crosses the queue.
import Type, { type Static } from 'typebox';
import { IdSchema } from './common.js';
import { PredictRequestSchema, PredictResponseSchema } from './jobs.js';

/** Training jobs. BullMQ job name `train`, jobId = our job id, priority from the submission. */
export const TRAIN_QUEUE = 'convoy-train';
export const TRAIN_JOB_NAME = 'train';

/** Predictions with a finished job's weights. The API never runs the engine: it waits for the result. */
export const PREDICT_QUEUE = 'convoy-predict';
export const PREDICT_JOB_NAME = 'predict';

/** The spec is not copied into the queue: the worker reads it from the job document. */
export const TrainJobDataSchema = Type.Object({ id: IdSchema }, { additionalProperties: false });
export type TrainJobData = Static<typeof TrainJobDataSchema>;

export const PredictJobDataSchema = Type.Object(
  {
    jobId: IdSchema,
    inputs: PredictRequestSchema.properties.inputs,
    deadline: Type.Optional(Type.Integer({ description: 'ms since the epoch: past it the caller is gone; the worker stops' })),
  },
  { additionalProperties: false },
);
export type PredictJobData = Static<typeof PredictJobDataSchema>;

/**
 * What the predict processor returns: the predictions, or why the request cannot be answered
 * (wrong input length, no weights), which the API turns into a 422 problem, or that it stopped
 * because its caller was gone (past the deadline: the API's 504). A processor that throws is a
 * worker fault (500).
 */
export const PredictResultSchema = Type.Union([
  PredictResponseSchema,
  Type.Object({ refused: Type.String({ description: 'why the prediction cannot be made' }) }),
  Type.Object({ abandoned: Type.Literal(true, { description: 'the caller was gone (deadline passed, or disconnected): stopped' }) }),
]);
export type PredictResult = Static<typeof PredictResultSchema>;
