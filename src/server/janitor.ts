// The janitor: every SWEEP_INTERVAL_MS one API process (the holder of the `janitor` lease) deletes
// what has outlived its retention: finished jobs whose keys expired (JOB_RETENTION_SECONDS; taken out
// of the listings and their tenant's usage, src/store/retention.ts) and datasets no unfinished job
// needs, unused for DATASET_RETENTION_SECONDS (src/store/datasets.ts sweep). Jobs that finished
// before retention existed get their expiry a batch per round.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { JobRetention, Lease } from '../store/index.js';
import type { DatasetStore } from '../store/datasets.js';
import { LeaderLoop } from './leader-loop.js';

export interface JanitorDeps {
  jobs: JobRetention;
  datasets: DatasetStore;
  lease: Lease;
  log: FastifyBaseLogger;
  intervalMs: number;
  /** 0: finished jobs are kept. */
  jobRetentionSeconds: number;
  /** 0: datasets are kept. */
  datasetRetentionSeconds: number;
}

export interface Swept {
  jobs: string[];
  datasets: string[];
  /** finished jobs looked at for a missing expiry (those finished before retention existed) */
  checked: number;
}

export class Janitor extends LeaderLoop {
  constructor(private readonly d: JanitorDeps) {
    super(d, 'sweep');
  }

  /** One round if this process holds (or takes) the lease: what was deleted. */
  async tick(now = Date.now()): Promise<Swept> {
    const swept: Swept = { jobs: [], datasets: [], checked: 0 };
    if (!(await this.leading())) return swept;
    const { jobRetentionSeconds, datasetRetentionSeconds } = this.d;
    if (jobRetentionSeconds > 0) swept.checked = await this.d.jobs.adopt(jobRetentionSeconds);
    // Expiries already set are honoured even when retention is now 0.
    swept.jobs = await this.d.jobs.sweep(now);
    if (datasetRetentionSeconds > 0) swept.datasets = await this.d.datasets.sweep(now, datasetRetentionSeconds);
    if (swept.jobs.length + swept.datasets.length + swept.checked > 0) {
      this.d.log.info({ jobs: swept.jobs.length, datasets: swept.datasets.length, checked: swept.checked }, 'retention sweep');
    }
    return swept;
  }
}

/** Starts the app's janitor (SWEEP_INTERVAL_MS; 0: none). Stop it before closing the app. */
export function startJanitor(app: FastifyInstance, config: Config): Janitor | undefined {
  const intervalMs = config.api.sweepIntervalMs;
  if (intervalMs <= 0) return undefined;
  const janitor = new Janitor({
    jobs: new JobRetention(app.redis, app.store.keys),
    datasets: app.datasets,
    lease: new Lease(app.redis, config.redisPrefix, 'janitor'),
    log: app.log.child({ component: 'janitor' }),
    intervalMs,
    jobRetentionSeconds: config.eventLog.jobRetentionSeconds,
    datasetRetentionSeconds: config.api.datasetRetentionSeconds,
  });
  janitor.start();
  return janitor;
}
