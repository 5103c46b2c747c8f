// Putting a job on the training queue, and putting back any the API accepted but never queued.
//
// Submission writes the job document first (the worker skips a BullMQ job without one), then
// queue.add. An API process that dies between the two leaves a `queued` document with no BullMQ
// job; requeueOrphans() (run by main.ts at start-up) finds those and adds them, so an accepted job
// is never lost. Re-adding is safe: BullMQ ignores an add whose jobId exists.
import type { FastifyInstance } from 'fastify';
import { LIMITS, TRAIN_JOB_NAME, type JobDocument, type JobSpec } from '../contracts/index.js';
import { failedEvent, QuotaExceededError, queuedJobDocument, statusEvent } from '../store/index.js';
import { datasetFromArrays } from '../datasets/index.js';
import { ProblemError } from './errors.js';

export function trainJobOptions(id: string, priority: number) {
  return { jobId: id, priority, removeOnComplete: true, removeOnFail: { count: 1000 } };
}

/**
 * The BullMQ priority (lower runs first) of a job with this `priority` and fair-share tag: the
 * tag counts the tenant's place among every tenant's queued jobs (src/store/scripts.ts CREATE),
 * the priority shifts it. Clamped to BullMQ's range.
 */
export function queuePriority(priority: number, tag: number): number {
  return Math.min(LIMITS.priority, Math.max(1, priority + tag - 1));
}

export async function enqueueTraining(app: FastifyInstance, id: string, priority: number): Promise<void> {
  await app.queues.train.add(TRAIN_JOB_NAME, { id }, trainJobOptions(id, priority));
}

/**
 * Creates the job's document for its tenant (status queued, its first event) and queues it.
 * QuotaExceededError when the tenant is at its active-jobs or stored-bytes quota.
 */
export async function submitJob(app: FastifyInstance, id: string, spec: JobSpec, stepsPerEpoch: number, tenant: string): Promise<void> {
  const [{ quotas }, usage] = await Promise.all([app.tenants.quotas(tenant), app.tenants.usage(tenant)]);
  // A job stores its weights when it ends: no room, no job.
  if (usage.storedBytes >= quotas.maxStoredBytes) throw new QuotaExceededError('maxStoredBytes', quotas.maxStoredBytes, usage.storedBytes);
  const stored = await storeInlineDataset(app, spec, tenant, quotas.maxStoredBytes);
  const doc = queuedJobDocument(id, stored.spec, stepsPerEpoch, tenant);
  let tag: number;
  try {
    ({ tag } = await app.store.create(doc, statusEvent(doc), { maxActiveJobs: quotas.maxActiveJobs }));
  } catch (err) {
    // A refused job leaves nothing behind: not the inline samples it alone had stored either.
    if (stored.created) await app.datasets.delete(stored.created).catch(() => false);
    throw err;
  }
  try {
    await enqueueTraining(app, id, queuePriority(doc.priority, tag));
  } catch (err) {
    // Never lose a job silently: the document says why it will not run.
    app.log.error({ err, jobId: id }, 'queue.add failed; job marked failed');
    const error = { code: 'enqueue-failed', message: 'the job could not be queued' };
    await app.store.update(id, { status: 'failed', stage: 'done', error }, { event: failedEvent(error, 0) }).catch(() => undefined);
    throw new ProblemError(503, 'the queue is unavailable; try again', { code: 'queue-unavailable' });
  }
}

/**
 * A spec's inline samples stored once as a dataset of the tenant (content-addressed: a resubmission
 * shares it); the stored spec names it and keeps a summary, so reads of the job stay small and the
 * worker loads the samples by id.
 */
async function storeInlineDataset(
  app: FastifyInstance,
  spec: JobSpec,
  tenant: string,
  maxStoredBytes: number,
): Promise<{ spec: JobSpec; created: string | undefined }> {
  if (!('inline' in spec.dataset)) return { spec, created: undefined };
  const { info, summary, created } = await app.datasets.putInline(datasetFromArrays(spec.dataset.inline), tenant, { maxStoredBytes });
  return { spec: { ...spec, dataset: { id: info.id, summary } }, created: created ? info.id : undefined };
}

/** Puts a job (back) on the training queue at its fair-share place. */
export async function requeueJob(app: FastifyInstance, doc: Pick<JobDocument, 'id' | 'priority'>): Promise<void> {
  await enqueueTraining(app, doc.id, queuePriority(doc.priority, (await app.store.queueTag(doc.id)) ?? 1));
}

/** Re-adds queued, never-started jobs that have no BullMQ job. Returns how many. */
export async function requeueOrphans(app: FastifyInstance): Promise<number> {
  let requeued = 0;
  for (const id of await app.store.idsByStatus('queued')) {
    if (await app.queues.train.getJob(id)) continue;
    const doc = await app.store.get(id);
    if (doc?.status !== 'queued' || doc.attempt !== 0) continue;
    await requeueJob(app, doc);
    app.log.warn({ jobId: id }, 'requeued a job that was accepted but never queued');
    requeued++;
  }
  return requeued;
}
