// Asking a worker for predictions: within the request's compute budget (QUOTA_MAX_PREDICT_FLOPS:
// inputs x forward FLOPs per sample, checked before anything is queued), and only for as long as
// somebody waits. When PREDICT_TIMEOUT_MS passes or the client disconnects, the request is marked
// abandoned (src/store/predict-requests.ts) and taken off the queue if no worker has it yet; a
// worker computing it stops at its next chunk (workers/predict.ts), and the job data's deadline
// stops it even if the mark is never written.
import type { FastifyInstance } from 'fastify';
import { PREDICT_JOB_NAME, type PredictResult } from '../contracts/index.js';
import type { ResolvedSpec } from '../engine/describe.js';
import { quotaProblem, quotaUse } from './quotas.js';

/** How long an abandoned mark outlives the request's deadline (a worker may check it late). */
const ABANDONED_TTL_MS = 60_000;

/** Throws the 422 quota problem when `inputs` forward passes of the model exceed `maxFlops`. */
export function checkPredictBudget(model: ResolvedSpec, inputs: number, maxFlops: number): void {
  const flops = model.layers.reduce((sum, l) => sum + l.flops, 0);
  const use = quotaUse('predictFlops', inputs * flops, maxFlops);
  if (use.exceeded) throw quotaProblem([use]);
}

export type PredictOutcome = PredictResult | 'timeout' | 'gone';

/** Queues the request and waits for its result, the deadline, or `gone` (the client left). */
export async function requestPrediction(
  app: FastifyInstance,
  r: { jobId: string; inputs: number[][]; timeoutMs: number; gone: Promise<void> },
): Promise<PredictOutcome> {
  const events = app.queues.predictEvents;
  await events.waitUntilReady();
  const job = await app.queues.predict.add(
    PREDICT_JOB_NAME,
    { jobId: r.jobId, inputs: r.inputs, deadline: Date.now() + r.timeoutMs },
    { removeOnComplete: { age: 60 }, removeOnFail: { age: 60 } },
  );
  let timer: NodeJS.Timeout | undefined;
  // Our own deadline; BullMQ's (a little later) only cleans up its listener.
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(resolve, r.timeoutMs, 'timeout');
  });
  const outcome = await Promise.race([
    job.waitUntilFinished(events, r.timeoutMs + 1000) as Promise<PredictResult>,
    deadline,
    r.gone.then(() => 'gone' as const),
  ]).finally(() => clearTimeout(timer));
  if (outcome === 'timeout' || outcome === 'gone') {
    await app.predictRequests.abandon(job.id!, r.timeoutMs + ABANDONED_TTL_MS).catch(() => undefined);
    await app.queues.predict.remove(job.id!).catch(() => undefined);
  }
  return outcome;
}
