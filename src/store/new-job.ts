// The document of a job that was just accepted: status `queued`, nothing run yet. The API writes it
// on submit (with its first `status` event); tests and benches that queue jobs directly use it too.
import { DEFAULT_PRIORITY, DEFAULT_TENANT, type JobDocument, type JobSpec } from '../contracts/index.js';

export function queuedJobDocument(
  id: string,
  spec: JobSpec,
  stepsPerEpoch: number,
  tenant: string = DEFAULT_TENANT,
  now = new Date().toISOString(),
): JobDocument {
  return {
    id,
    tenant,
    name: spec.name ?? null,
    metadata: spec.metadata ?? {},
    status: 'queued',
    stage: 'queued',
    attempt: 0,
    priority: spec.priority ?? DEFAULT_PRIORITY,
    progress: {
      epoch: 0,
      epochs: spec.training.epochs,
      step: 0,
      stepsPerEpoch,
      percent: 0,
      etaSeconds: null,
      samplesPerSecond: null,
    },
    metrics: { loss: null, accuracy: null },
    history: [],
    transitions: [{ status: 'queued', stage: 'queued', at: now, attempt: 0 }],
    weights: null,
    createdAt: now,
    startedAt: null,
    finishedAt: null,
    spec,
  };
}
