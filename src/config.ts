// Configuration from environment variables, with defaults. Every variable is listed in the README.
// loadConfig() throws a ConfigError naming the variable when a value does not parse.
//
// API variables are here; the worker's (pool size, concurrency, checkpoints) are in the `worker`
// section, added by workers/.
import { availableParallelism } from 'node:os';

export interface ApiConfig {
  /** PORT (3000) */
  port: number;
  /** HOST (127.0.0.1; docker-compose sets 0.0.0.0) */
  host: string;
  /** BODY_LIMIT_BYTES (16 MiB): JSON bodies, including inline datasets and weights */
  bodyLimitBytes: number;
  /** DATASET_MAX_BYTES (256 MiB): one uploaded dataset file (after gunzip) */
  datasetMaxBytes: number;
  /** SSE_HEARTBEAT_MS (15000): comment line sent on idle event streams */
  sseHeartbeatMs: number;
  /** SSE_RETRY_MS (2000): `retry:` sent to event-stream clients */
  sseRetryMs: number;
  /** SSE_BLOCK_MS (5000): how long the shared XREAD BLOCK waits before looping */
  sseBlockMs: number;
  /** PREDICT_TIMEOUT_MS (30000): how long POST /v1/jobs/{id}/predict waits for a worker */
  predictTimeoutMs: number;
  /** READY_WORKER_WITHIN_MS (30000): /readyz needs a worker heartbeat this recent */
  readyWorkerWithinMs: number;
  /** IDEMPOTENCY_TTL_SECONDS (86400): how long an Idempotency-Key is remembered */
  idempotencyTtlSeconds: number;
  /** REQUEST_TIMEOUT_MS (120000; 0 = none): the whole request (headers and body) must arrive within this, else 408 */
  requestTimeoutMs: number;
  /** CONNECTION_TIMEOUT_MS (60000; 0 = none): a connection with no bytes either way for this long is closed (event streams send heartbeats) */
  connectionTimeoutMs: number;
  /** KEEP_ALIVE_TIMEOUT_MS (72000): how long an idle keep-alive connection waits for its next request */
  keepAliveTimeoutMs: number;
  /** PUBLIC_URL (unset): absolute base for links; unset = relative links */
  publicUrl: string | undefined;
  /** RECONCILE_INTERVAL_MS (5000; 0 = off): how often the leading API process reconciles job documents with the queue */
  reconcileIntervalMs: number;
  /** DATASET_RETENTION_SECONDS (2592000; 0 keeps): a dataset no unfinished job needs is deleted this long after its last use */
  datasetRetentionSeconds: number;
  /** REDIS_HIGH_WATER_RATIO (0.9): above this share of Redis's maxmemory, submit and upload answer 503 storage-full */
  redisHighWaterRatio: number;
  /** SWEEP_INTERVAL_MS (60000; 0 = off): how often the leading API process deletes expired jobs and datasets (src/server/janitor.ts) */
  sweepIntervalMs: number;
}

/** Per-job quotas checked on submit and reported by /v1/jobs/validate. */
export interface Quotas {
  /** QUOTA_MAX_PARAMS (20,000,000) */
  maxParams: number;
  /** QUOTA_MAX_FLOPS_PER_SAMPLE (2e9): forward FLOPs per sample */
  maxFlopsPerSample: number;
  /** QUOTA_MAX_TRAINING_FLOPS (1e16): 3 x forward FLOPs x samples x epochs */
  maxTrainingFlops: number;
  /** QUOTA_MAX_INLINE_SAMPLES (10,000) */
  maxInlineSamples: number;
  /** QUOTA_MAX_EPOCHS (1000) */
  maxEpochs: number;
  /** QUOTA_MAX_RUNTIME_SECONDS (86400): cap on stopping.maxRuntimeSeconds, and a job's limit when it sets none */
  maxRuntimeSeconds: number;
  /** QUOTA_MAX_TRAINING_BYTES (1 GiB): the memory a worker needs to train the job (src/engine/memory.ts) */
  maxTrainingBytes: number;
  /** QUOTA_MAX_PREDICT_FLOPS (1e11): inputs x forward FLOPs per sample of one predict request */
  maxPredictFlops: number;
}

/** Who may call what (src/server/auth): keys, tokens, rate limits, CORS. */
export interface AuthConfig {
  /** CONVOY_ADMIN_KEY (unset): the bootstrap admin key (cvy_...); unset = read or create CONVOY_ADMIN_KEY_FILE */
  adminKey: string | undefined;
  /** CONVOY_ADMIN_KEY_FILE (.convoy/admin.key): where the API keeps the admin key it created (mode 0600) */
  adminKeyFile: string;
  /** METRICS_TOKEN (unset): a bearer token that may read /metrics (besides admin keys) */
  metricsToken: string | undefined;
  /** STREAM_TOKEN_TTL_SECONDS (300): lifetime of a stream token (POST /v1/stream-tokens) */
  streamTokenTtlSeconds: number;
  /** CORS_ORIGINS (unset = none): comma-separated origins allowed to call the API from a browser */
  corsOrigins: string[];
  /** RATE_LIMIT_READS_PER_MINUTE (1200): GET requests per key per minute, shared by every API process */
  readsPerMinute: number;
  /** RATE_LIMIT_WRITES_PER_MINUTE (120): POST, PUT, DELETE requests per key per minute */
  writesPerMinute: number;
  /** SSE_MAX_STREAMS_PER_TENANT (100): open event streams per tenant, across API processes */
  maxStreamsPerTenant: number;
  /** MEMBER_LOWEST_PRIORITY (10000): members may set priority from 1000 (the default) down to this; admins any */
  memberLowestPriority: number;
}

/** Per-tenant quotas (defaults; an admin overrides them per tenant with PUT /v1/tenants/{tenant}). */
export interface TenantQuotas {
  /** TENANT_MAX_ACTIVE_JOBS (100): queued + running jobs */
  maxActiveJobs: number;
  /** TENANT_MAX_RUNNING_JOBS (4): jobs training at once */
  maxRunningJobs: number;
  /** TENANT_MAX_STORED_BYTES (1 GiB): uploaded datasets + job weights */
  maxStoredBytes: number;
  /** TENANT_MAX_DATASETS (100): uploaded datasets */
  maxDatasets: number;
}

/** The worker process (workers/): pool, concurrency, checkpoints, shutdown. */
export interface WorkerConfig {
  /** POOL_THREADS (number of cores): Piscina threads per worker process */
  threads: number;
  /** WORKER_CONCURRENCY (2): training jobs one worker process runs at once, sharing its pool */
  concurrency: number;
  /** PREDICT_CONCURRENCY (4): predict requests one worker process answers at once */
  predictConcurrency: number;
  /** CHECKPOINT_EVERY_STEPS (0 = only at epoch ends): checkpoint every N optimizer steps */
  checkpointEverySteps: number;
  /** CHECKPOINT_EVERY_SECONDS (60; 0 = off): checkpoint when this long passed since the last one */
  checkpointEverySeconds: number;
  /** PROGRESS_INTERVAL_MS (250): at most one progress event per job per interval */
  progressIntervalMs: number;
  /** MAX_CRASHES (3): a job whose worker died this many times while running it alone (or twice this many in all) fails with code crash-loop */
  maxCrashes: number;
  /** LOCK_DURATION_MS (30000): BullMQ job lock; a dead worker's job is handed on after about this long */
  lockDurationMs: number;
  /** STALLED_INTERVAL_MS (30000): how often workers look for stalled jobs */
  stalledIntervalMs: number;
  /** HEARTBEAT_MS (5000): worker heartbeat period (seen by /readyz) */
  heartbeatMs: number;
  /** SHUTDOWN_GRACE_MS (30000): on SIGTERM, time for running jobs to checkpoint and hand back */
  shutdownGraceMs: number;
  /** WORKER_ID (host-pid): the name in heartbeats and logs */
  id: string | undefined;
  /** FINAL_WRITE_RETRY_MS (120000): how long a job's last write (its result) waits out a full or unreachable Redis, with backoff */
  finalWriteRetryMs: number;
  /** POOL_RECYCLE_BYTES (256 MiB): finished jobs' thread memory (src/engine/memory.ts) after which the pool's threads are replaced */
  poolRecycleBytes: number;
}

/** Webhooks (src/server/webhooks/): where they may go, how often they are retried. */
export interface WebhookConfig {
  /** WEBHOOK_ALLOWED_HOSTS (unset = webhooks off): comma-separated hosts a webhook may name: `hooks.example.com` (that host, whatever it resolves to), `*.example.com` (its subdomains) or `*` (any host); hosts matched by a wildcard must resolve to public addresses only */
  allowedHosts: string[];
  /** WEBHOOK_ATTEMPTS (8): tries per delivery, the first included */
  attempts: number;
  /** WEBHOOK_BACKOFF_MS (1000): the wait before the first retry; doubled before each next one */
  backoffMs: number;
  /** WEBHOOK_TIMEOUT_MS (10000): one attempt's limit, connection to answer */
  timeoutMs: number;
  /** WEBHOOK_OUTBOX_POLL_MS (500): how often each API process moves owed webhooks into the delivery queue */
  outboxPollMs: number;
}

export interface Config {
  /** REDIS_URL (unset: `npm start` finds or starts one; start:api/start:worker use redis://127.0.0.1:6379) */
  redisUrl: string | undefined;
  /** REDIS_PREFIX (convoy): prefix of every key, BullMQ's included */
  redisPrefix: string;
  /** LOG_LEVEL (info) */
  logLevel: string;
  /** WEIGHTS_INLINE_MAX_BYTES (256 KiB): completed events carry the weights inline up to this size; beyond, a link and the sha256 */
  weightsInlineMaxBytes: number;
  eventLog: {
    /** EVENT_LOG_MAX_PROGRESS (5000): progress events a job's log keeps, the newest (status, epoch and terminal events are all kept) */
    maxProgressEvents: number;
    /** TENANT_EVENT_LOG_LENGTH (100000): about this many events of a tenant's jobs GET /v1/events can replay */
    tenantLogLength: number;
    /** JOB_RETENTION_SECONDS (604800; 0 keeps): a finished job's document, events and weights expire this long after it ends */
    jobRetentionSeconds: number;
  };
  api: ApiConfig;
  auth: AuthConfig;
  quotas: Quotas;
  tenantQuotas: TenantQuotas;
  worker: WorkerConfig;
  webhooks: WebhookConfig;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback: string): string {
  const v = env[name];
  return v === undefined || v === '' ? fallback : v;
}

function num(env: Env, name: string, fallback: number, opts: { min?: number; max?: number; integer?: boolean } = {}): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw.replace(/_/g, ''));
  const { min = 0, max = Number.MAX_SAFE_INTEGER, integer = true } = opts;
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
    throw new ConfigError(name, `expected ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  }
  return v;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env = process.env): Config {
  const logLevel = str(env, 'LOG_LEVEL', 'info');
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `one of ${LOG_LEVELS.join(', ')}`);
  const redisPrefix = str(env, 'REDIS_PREFIX', 'convoy');
  if (!/^[A-Za-z0-9_.-]+$/.test(redisPrefix)) throw new ConfigError('REDIS_PREFIX', 'letters, digits, _ . - only');
  return {
    redisUrl: env.REDIS_URL || undefined,
    redisPrefix,
    logLevel,
    weightsInlineMaxBytes: num(env, 'WEIGHTS_INLINE_MAX_BYTES', 256 * 1024),
    eventLog: {
      maxProgressEvents: num(env, 'EVENT_LOG_MAX_PROGRESS', 5000, { min: 1 }),
      tenantLogLength: num(env, 'TENANT_EVENT_LOG_LENGTH', 100_000, { min: 100 }),
      jobRetentionSeconds: num(env, 'JOB_RETENTION_SECONDS', 604_800),
    },
    api: {
      port: num(env, 'PORT', 3000, { max: 65_535 }),
      host: str(env, 'HOST', '127.0.0.1'),
      bodyLimitBytes: num(env, 'BODY_LIMIT_BYTES', 16 * 1024 * 1024, { min: 1024 }),
      datasetMaxBytes: num(env, 'DATASET_MAX_BYTES', 256 * 1024 * 1024, { min: 1024 }),
      sseHeartbeatMs: num(env, 'SSE_HEARTBEAT_MS', 15_000, { min: 10 }),
      sseRetryMs: num(env, 'SSE_RETRY_MS', 2000, { min: 0 }),
      sseBlockMs: num(env, 'SSE_BLOCK_MS', 5000, { min: 10 }),
      predictTimeoutMs: num(env, 'PREDICT_TIMEOUT_MS', 30_000, { min: 10 }),
      readyWorkerWithinMs: num(env, 'READY_WORKER_WITHIN_MS', 30_000, { min: 10 }),
      idempotencyTtlSeconds: num(env, 'IDEMPOTENCY_TTL_SECONDS', 86_400, { min: 1 }),
      requestTimeoutMs: num(env, 'REQUEST_TIMEOUT_MS', 120_000),
      connectionTimeoutMs: num(env, 'CONNECTION_TIMEOUT_MS', 60_000),
      keepAliveTimeoutMs: num(env, 'KEEP_ALIVE_TIMEOUT_MS', 72_000, { min: 1 }),
      publicUrl: env.PUBLIC_URL ? env.PUBLIC_URL.replace(/\/+$/, '') : undefined,
      reconcileIntervalMs: num(env, 'RECONCILE_INTERVAL_MS', 5000),
      datasetRetentionSeconds: num(env, 'DATASET_RETENTION_SECONDS', 2_592_000),
      sweepIntervalMs: num(env, 'SWEEP_INTERVAL_MS', 60_000),
      redisHighWaterRatio: num(env, 'REDIS_HIGH_WATER_RATIO', 0.9, { min: 0.01, max: 1, integer: false }),
    },
    auth: {
      adminKey: env.CONVOY_ADMIN_KEY || undefined,
      adminKeyFile: str(env, 'CONVOY_ADMIN_KEY_FILE', '.convoy/admin.key'),
      metricsToken: env.METRICS_TOKEN || undefined,
      streamTokenTtlSeconds: num(env, 'STREAM_TOKEN_TTL_SECONDS', 300, { min: 1, max: 86_400 }),
      corsOrigins: str(env, 'CORS_ORIGINS', '')
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
      readsPerMinute: num(env, 'RATE_LIMIT_READS_PER_MINUTE', 1200, { min: 1 }),
      writesPerMinute: num(env, 'RATE_LIMIT_WRITES_PER_MINUTE', 120, { min: 1 }),
      maxStreamsPerTenant: num(env, 'SSE_MAX_STREAMS_PER_TENANT', 100, { min: 1 }),
      memberLowestPriority: num(env, 'MEMBER_LOWEST_PRIORITY', 10_000, { min: 1000, max: 2_097_152 }),
    },
    tenantQuotas: {
      maxActiveJobs: num(env, 'TENANT_MAX_ACTIVE_JOBS', 100),
      maxRunningJobs: num(env, 'TENANT_MAX_RUNNING_JOBS', 4),
      maxStoredBytes: num(env, 'TENANT_MAX_STORED_BYTES', 1024 ** 3),
      maxDatasets: num(env, 'TENANT_MAX_DATASETS', 100),
    },
    worker: {
      threads: num(env, 'POOL_THREADS', availableParallelism(), { min: 1, max: 256 }),
      concurrency: num(env, 'WORKER_CONCURRENCY', 2, { min: 1, max: 64 }),
      predictConcurrency: num(env, 'PREDICT_CONCURRENCY', 4, { min: 1, max: 256 }),
      checkpointEverySteps: num(env, 'CHECKPOINT_EVERY_STEPS', 0),
      checkpointEverySeconds: num(env, 'CHECKPOINT_EVERY_SECONDS', 60),
      progressIntervalMs: num(env, 'PROGRESS_INTERVAL_MS', 250),
      maxCrashes: num(env, 'MAX_CRASHES', 3, { min: 1 }),
      lockDurationMs: num(env, 'LOCK_DURATION_MS', 30_000, { min: 100 }),
      stalledIntervalMs: num(env, 'STALLED_INTERVAL_MS', 30_000, { min: 100 }),
      heartbeatMs: num(env, 'HEARTBEAT_MS', 5000, { min: 50 }),
      shutdownGraceMs: num(env, 'SHUTDOWN_GRACE_MS', 30_000, { min: 0 }),
      id: env.WORKER_ID || undefined,
      poolRecycleBytes: num(env, 'POOL_RECYCLE_BYTES', 256 * 1024 * 1024),
      finalWriteRetryMs: num(env, 'FINAL_WRITE_RETRY_MS', 120_000),
    },
    webhooks: {
      allowedHosts: str(env, 'WEBHOOK_ALLOWED_HOSTS', '')
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
      attempts: num(env, 'WEBHOOK_ATTEMPTS', 8, { min: 1, max: 100 }),
      backoffMs: num(env, 'WEBHOOK_BACKOFF_MS', 1000, { min: 1 }),
      timeoutMs: num(env, 'WEBHOOK_TIMEOUT_MS', 10_000, { min: 10 }),
      outboxPollMs: num(env, 'WEBHOOK_OUTBOX_POLL_MS', 500, { min: 10 }),
    },
    quotas: {
      maxParams: num(env, 'QUOTA_MAX_PARAMS', 20_000_000, { min: 1 }),
      maxFlopsPerSample: num(env, 'QUOTA_MAX_FLOPS_PER_SAMPLE', 2e9, { min: 1 }),
      maxTrainingFlops: num(env, 'QUOTA_MAX_TRAINING_FLOPS', 1e16, { min: 1, max: Number.MAX_VALUE, integer: false }),
      maxInlineSamples: num(env, 'QUOTA_MAX_INLINE_SAMPLES', 10_000, { min: 1 }),
      maxEpochs: num(env, 'QUOTA_MAX_EPOCHS', 1000, { min: 1 }),
      maxRuntimeSeconds: num(env, 'QUOTA_MAX_RUNTIME_SECONDS', 86_400, { min: 1 }),
      maxTrainingBytes: num(env, 'QUOTA_MAX_TRAINING_BYTES', 1024 ** 3, { min: 1 }),
      maxPredictFlops: num(env, 'QUOTA_MAX_PREDICT_FLOPS', 1e11, { min: 1, max: Number.MAX_VALUE, integer: false }),
    },
  };
}
