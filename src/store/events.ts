// Builders of the events the API and the workers both append, so each payload is written once.
import type { JobDocument, JobError, StatusEvent } from '../contracts/index.js';
import type { NewEvent } from './event-log.js';

/** A `status` event for the document as it now is (status, stage, attempt), with an optional message. */
export function statusEvent(doc: Pick<JobDocument, 'status' | 'stage' | 'attempt'>, message?: string): NewEvent {
  const data: StatusEvent = {
    status: doc.status,
    stage: doc.stage,
    attempt: doc.attempt,
    at: new Date().toISOString(),
    ...(message ? { message } : {}),
  };
  return { type: 'status', data };
}

/** A `failed` event: the job's public error and the attempt that failed it. */
export function failedEvent(error: JobError, attempt: number): NewEvent {
  return { type: 'failed', data: { error, attempt } };
}
