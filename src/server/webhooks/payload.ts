// What a webhook says: the job's terminal event in the Standard Webhooks envelope
// (`type`, `timestamp`, `data`). Pure: the same document and event give the same bytes on every
// attempt, so a receiver that dedupes on webhook-id sees one message.
import type { JobDocument, WebhookPayload } from '../../contracts/index.js';

const TYPES = {
  completed: ['job.succeeded', 'succeeded'],
  failed: ['job.failed', 'failed'],
  cancelled: ['job.cancelled', 'cancelled'],
} as const;

/** The event's data without inline weight tensors (up to WEIGHTS_INLINE_MAX_BYTES): the receiver fetches `href`. */
function withoutTensors(data: unknown): unknown {
  if (typeof data !== 'object' || data === null || !('weights' in data)) return data;
  const { weights } = data as { weights: unknown };
  if (typeof weights !== 'object' || weights === null) return data;
  const { tensors: _inline, ...ref } = weights as Record<string, unknown>;
  return { ...data, weights: ref };
}

/** The body POSTed for a terminal event; null for an event that is not one. */
export function webhookPayload(
  doc: Pick<JobDocument, 'id' | 'tenant' | 'name'>,
  event: { id: string; type: string; data: unknown },
): WebhookPayload | null {
  const types = TYPES[event.type as keyof typeof TYPES];
  if (!types) return null;
  const [type, status] = types;
  return {
    type,
    // the event's own time (a stream id starts with its ms), not the attempt's
    timestamp: new Date(Number(event.id.split('-')[0])).toISOString(),
    data: {
      jobId: doc.id,
      tenant: doc.tenant,
      name: doc.name,
      status,
      event: {
        id: event.id,
        type: event.type as keyof typeof TYPES,
        data: withoutTensors(event.data) as WebhookPayload['data']['event']['data'],
      },
    },
  };
}
