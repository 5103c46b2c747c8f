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
  { jobId: IdSchema, inputs: PredictRequestSchema.properties.inputs },
  { additionalProperties: false },
);
export type PredictJobData = Static<typeof PredictJobDataSchema>;

/**
 * What the predict processor returns. On a bad request (wrong input length, no weights) it throws
 * an Error whose message starts with `PredictError: ` so the API can answer 422 instead of 500.
 */
export const PredictResultSchema = PredictResponseSchema;
export type PredictResult = Static<typeof PredictResultSchema>;
export const PREDICT_ERROR_PREFIX = 'PredictError: ';
