// The process's one Piscina pool. Its threads run workers/thread.ts (compiled: dist/workers/thread.js);
// every job on this process shares it, so several jobs interleave task by task (Piscina's queue is FIFO
// and a job enqueues one batch's tasks at a time: no job starves another).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Task, TaskResult } from './protocol.js';

/** The compiled thread file, next to this module when running from dist; dist's copy when running from source. */
export function threadFile(): string {
  const here = new URL('./thread.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here.href;
  const dist = new URL('../dist/workers/thread.js', import.meta.url);
  if (existsSync(fileURLToPath(dist))) return dist.href;
  throw new Error(`pool thread file not found: ${fileURLToPath(here)} (run \`npm run build\`)`);
}

export function defaultThreads(): number {
  return availableParallelism();
}

export class Pool {
  readonly piscina: Piscina<Task, TaskResult>;

  constructor(readonly threads: number = defaultThreads()) {
    this.piscina = new Piscina({
      filename: threadFile(),
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
      concurrentTasksPerWorker: 1,
      name: 'default',
    });
  }

  run<R extends TaskResult>(task: Task): Promise<R> {
    return this.piscina.run(task) as Promise<R>;
  }

  /** Tasks waiting for a thread (for /metrics and the heartbeat). */
  get queued(): number {
    return this.piscina.queueSize;
  }

  async close(): Promise<void> {
    await this.piscina.close();
  }
}
