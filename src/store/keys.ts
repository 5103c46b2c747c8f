// Every Redis key Convoy uses, built in one place. docs/architecture.md has the table; keep both in step.
//
// The prefix (default `convoy`, env REDIS_PREFIX) lets several deployments or test files share one
// Redis. BullMQ's queues use the same prefix, so `redis-cli --scan --pattern 'convoy:*'` shows it all.

export interface Keys {
  readonly prefix: string;
  /** hash: doc (JSON, JobDocument without spec), spec (JSON), rev, attempt, status */
  job(id: string): string;
  /** stream: fields type, data (JSON); the durable per-job event log */
  events(id: string): string;
  /** list: ids of the job's progress events still in its log, oldest first (the log keeps the last EVENT_LOG_MAX_PROGRESS) */
  progressIds(id: string): string;
  /** stream: fields job, eid (the per-job event id), type, data: every event of the tenant's jobs (GET /v1/events) */
  tenantEvents(tenant: string): string;
  /** string: safetensors bytes of the final (or partial, when cancelled) weights */
  weights(id: string): string;
  /** string: checkpoint bytes (workers/checkpoint.ts) */
  checkpoint(id: string): string;
  /** string "1": cancel requested */
  cancel(id: string): string;
  /** hash: attempt number -> how it ran, alone | shared | handed-back (crash accounting) */
  runs(id: string): string;
  /** list: JSON delivery records of the job's webhook (src/store/webhooks.ts), oldest first */
  deliveries(id: string): string;
  /** hash: job id -> id of its terminal event; written by COMMIT with the terminal event, drained into the webhook queue */
  webhookOutbox(): string;
  /** hash: a tenant's webhook settings: `url` (its default), `secret` (whsec_..., signs deliveries) */
  tenantWebhook(tenant: string): string;
  /** sorted set: every job, score = createdAt ms */
  jobs(): string;
  /** sorted set: jobs with this status, score = createdAt ms */
  jobsByStatus(status: string): string;
  /** hash: meta (JSON DatasetInfo); data (encodeDataset bytes) only in datasets stored before datasetData */
  dataset(id: string): string;
  /** string: the dataset's encodeDataset bytes (src/datasets/codec.ts) */
  datasetData(id: string): string;
  /** string: a large dataset's bytes while they are written in pieces, renamed to datasetData on commit; expires */
  datasetStaging(id: string, token: string): string;
  /** sorted set: uploaded dataset ids, score = createdAt ms */
  datasets(): string;
  /** set: ids of the unfinished jobs that need the dataset (it cannot be deleted or expire while any do) */
  datasetJobs(id: string): string;
  /** sorted set: dataset ids, score = last use ms (stored, submitted with, a job needing it finished): DATASET_RETENTION_SECONDS */
  datasetsUsed(): string;
  /** sorted set: finished jobs, score = when they expire (ms): JOB_RETENTION_SECONDS */
  jobsExpiry(): string;
  /** hash: finished job id -> "tenant status weightBytes", what the sweep needs once the job's keys have expired */
  jobsExpiryInfo(): string;
  /** string with TTL: an Idempotency-Key's record (JSON: body hash, job id, at); `hash` = sha256 of the key */
  idempotency(hash: string): string;
  /** string: JSON ApiKeyInfo of the API key whose sha256 is `hash` */
  apiKey(hash: string): string;
  /** hash: API key id -> sha256 of the key */
  apiKeys(): string;
  /** string with TTL: JSON { tenant, keyId } of the stream token whose sha256 is `hash` */
  streamToken(hash: string): string;
  /** hash: a tenant's quota overrides (field = quota name, value = limit) */
  tenantQuotas(tenant: string): string;
  /** hash: a tenant's stored usage: `bytes` (datasets + weights), `datasets` */
  tenantUsage(tenant: string): string;
  /** sorted set: the tenant's jobs, score = createdAt ms */
  tenantJobs(tenant: string): string;
  /** sorted set: the tenant's jobs with this status, score = createdAt ms */
  tenantJobsByStatus(tenant: string, status: string): string;
  /** sorted set: the tenant's uploaded datasets, score = createdAt ms */
  tenantDatasets(tenant: string): string;
  /** sorted set: open event streams of the tenant (member = process:stream, score = expiry ms) */
  tenantStreams(tenant: string): string;
  /** set: every tenant that has a key, a job or a dataset */
  tenants(): string;
  /** hash: fair-share tags: `v` (the virtual time) and `t:{tenant}` (the tenant's last tag) */
  fairShare(): string;
  /** string "1" with TTL: the caller of a predict request (BullMQ job id) is gone; its worker stops */
  predictAbandoned(requestId: string): string;
  /** string with TTL: which process leads a singleton duty (e.g. `reconciler`); value = its token */
  lease(name: string): string;
  /** string with TTL: a worker process's heartbeat (JSON) */
  worker(id: string): string;
  /** sorted set: worker ids, score = last heartbeat ms */
  workers(): string;
}

export function createKeys(prefix = 'convoy'): Keys {
  const p = prefix;
  return {
    prefix: p,
    job: (id) => `${p}:job:${id}`,
    events: (id) => `${p}:job:${id}:events`,
    weights: (id) => `${p}:job:${id}:weights`,
    progressIds: (id) => `${p}:job:${id}:progress-ids`,
    tenantEvents: (t) => `${p}:tenant:${t}:events`,
    checkpoint: (id) => `${p}:job:${id}:checkpoint`,
    cancel: (id) => `${p}:job:${id}:cancel`,
    runs: (id) => `${p}:job:${id}:runs`,
    deliveries: (id) => `${p}:job:${id}:deliveries`,
    webhookOutbox: () => `${p}:webhook-outbox`,
    tenantWebhook: (t) => `${p}:tenant:${t}:webhook`,
    jobs: () => `${p}:jobs`,
    jobsByStatus: (status) => `${p}:jobs:status:${status}`,
    dataset: (id) => `${p}:dataset:${id}`,
    datasetData: (id) => `${p}:dataset:${id}:data`,
    datasetStaging: (id, token) => `${p}:dataset:${id}:staging:${token}`,
    datasets: () => `${p}:datasets`,
    datasetJobs: (id) => `${p}:dataset:${id}:jobs`,
    datasetsUsed: () => `${p}:datasets:used`,
    jobsExpiry: () => `${p}:jobs:expiry`,
    jobsExpiryInfo: () => `${p}:jobs:expiry:info`,
    idempotency: (hash) => `${p}:idempotency:${hash}`,
    apiKey: (hash) => `${p}:apikey:${hash}`,
    apiKeys: () => `${p}:apikeys`,
    streamToken: (hash) => `${p}:stream-token:${hash}`,
    tenantQuotas: (t) => `${p}:tenant:${t}:quotas`,
    tenantUsage: (t) => `${p}:tenant:${t}:usage`,
    tenantJobs: (t) => `${p}:tenant:${t}:jobs`,
    tenantJobsByStatus: (t, status) => `${p}:tenant:${t}:jobs:status:${status}`,
    tenantDatasets: (t) => `${p}:tenant:${t}:datasets`,
    tenantStreams: (t) => `${p}:tenant:${t}:streams`,
    tenants: () => `${p}:tenants`,
    fairShare: () => `${p}:fair-share`,
    predictAbandoned: (id) => `${p}:predict:${id}:abandoned`,
    lease: (name) => `${p}:lease:${name}`,
    worker: (id) => `${p}:worker:${id}`,
    workers: () => `${p}:workers`,
  };
}

/** A job's own keys: what deleting the job, or its expiry (retention.ts), removes. */
export function jobOwnedKeys(k: Keys, id: string): string[] {
  return [k.job(id), k.events(id), k.weights(id), k.checkpoint(id), k.cancel(id), k.runs(id), k.progressIds(id), k.deliveries(id)];
}
