// Putting a job on the training queue, and putting back any the API accepted but never queued.
//
// Submission writes the job document first (the worker skips a BullMQ job without one), then
// queue.add. An API process that dies between the two leaves a `queued` document with no BullMQ
// job; requeueOrphans() (run by main.ts at start-up) finds those and adds them, so an accepted job
// is never lost. Re-adding is safe: BullMQ ignores an add whose jobId exists.
import type { FastifyInstance } from 'fastify';
import { TRAIN_JOB_NAME } from '../contracts/index.js';

export function trainJobOptions(id: string, priority: number) {
  return { jobId: id, priority, removeOnComplete: true, removeOnFail: { count: 1000 } };
}

export async function enqueueTraining(app: FastifyInstance, id: string, priority: number): Promise<void> {
  await app.queues.train.add(TRAIN_JOB_NAME, { id }, trainJobOptions(id, priority));
}

/** Re-adds queued, never-started jobs that have no BullMQ job. Returns how many. */
export async function requeueOrphans(app: FastifyInstance): Promise<number> {
  const ids = await app.redis.zrange(app.store.keys.jobsByStatus('queued'), 0, -1);
  let requeued = 0;
  for (const id of ids) {
    if (await app.queues.train.getJob(id)) continue;
    const doc = await app.store.get(id);
    if (doc?.status !== 'queued' || doc.attempt !== 0) continue;
    await enqueueTraining(app, id, doc.priority);
    app.log.warn({ jobId: id }, 'requeued a job that was accepted but never queued');
    requeued++;
  }
  return requeued;
}
