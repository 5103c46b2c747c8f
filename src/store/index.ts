// src/store: every Redis key and call of Convoy but BullMQ's own: job documents and their event
// logs, weights, checkpoints, datasets, idempotency keys, worker heartbeats.
export * from './keys.js';
export * from './errors.js';
export * from './event-log.js';
export * from './events.js';
export * from './jobs.js';
export { MAX_SCANNED } from './page.js';
export type { JobFilter } from './job-filter.js';
export * from './redis.js';
export * from './new-job.js';
export * from './workers.js';
export * from './idempotency.js';
export * from './api-keys.js';
export * from './stream-tokens.js';
export * from './stream-slots.js';
export * from './tenants.js';
export * from './predict-requests.js';
export * from './lease.js';
export * from './webhooks.js';
export * from './retention.js';
export * from './redis-memory.js';
