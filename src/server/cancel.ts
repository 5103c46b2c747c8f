// Cancelling a job. A job that never started is taken out of the queue and ends at once; one
// that runs (or is being picked up) gets the cancel flag, which its worker reads between batches,
// and moves to `cancelling` until the worker records `cancelled` with its partial weights.
import type { FastifyInstance } from 'fastify';
import { isTerminalStatus, type CancelledEvent, type JobDocument, type JobStatus } from '../contracts/index.js';
import { JobFinishedError, statusEvent } from '../store/index.js';

export async function cancelJob(app: FastifyInstance, doc: JobDocument): Promise<{ id: string; status: JobStatus }> {
  const { id } = doc;
  if (isTerminalStatus(doc.status)) throw new JobFinishedError(id, doc.status);
  // Never started: 1 means it left the queue; 0 means a worker has it (or is taking it now). A job
  // that ran before (handed back on a worker's SIGTERM) goes through the flag, so the worker that
  // resumes it saves its partial weights.
  if (doc.status === 'queued' && doc.attempt === 0 && (await app.queues.train.remove(id).catch(() => 0)) === 1) {
    const data: CancelledEvent = { metrics: doc.metrics, weights: null };
    const res = await app.store.update(id, (d) => (isTerminalStatus(d.status) ? null : { status: 'cancelled', stage: 'done' }), {
      event: { type: 'cancelled', data },
    });
    return { id, status: res?.doc.status ?? 'cancelled' };
  }
  await app.store.requestCancel(id);
  const res = await app.store.update(
    id,
    (d) => (d.status === 'cancelling' || isTerminalStatus(d.status) ? null : { status: 'cancelling' }),
    {
      event: (d) => statusEvent(d, 'cancel requested'),
    },
  );
  return { id, status: res?.doc.status ?? (await app.store.get(id))?.status ?? 'cancelling' };
}
