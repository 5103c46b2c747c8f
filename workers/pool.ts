// The process's one Piscina pool. Its threads run workers/thread.ts (compiled: dist/workers/thread.js);
// every job on this process shares it, so several jobs interleave task by task (Piscina's queue is FIFO
// and a job enqueues one batch's tasks at a time: no job starves another).
//
// Giving memory back: a thread keeps the models of its last few jobs (thread.ts) and its WebAssembly
// memory only grows, so a big job's buffers would outlive it. Each finished job reports what it held
// per thread (src/engine/memory.ts); once that adds up to `recycleBytes`, fresh threads take the next
// tasks and the old ones exit as soon as their tasks in flight are done, handing their memory back to
// the system. Nothing a thread keeps between tasks affects a result (every task rebuilds what it needs
// from the job's shared buffers), so a step on new threads computes the same bits.
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

/**
 * Why memory a finished job gave back may stay with this process, or undefined. glibc raises its
 * mmap threshold as large blocks are freed, after which the buffers of the next big job come from
 * malloc's arenas, which keep freed memory; MALLOC_MMAP_THRESHOLD_ pins the threshold (it must be
 * in the environment when the process starts: `npm start`, `npm run start:worker` and the Docker
 * image set it).
 */
export function memoryReturnWarning(): string | undefined {
  if (process.platform !== 'linux' || process.env.MALLOC_MMAP_THRESHOLD_) return undefined;
  return 'MALLOC_MMAP_THRESHOLD_ is not set: memory of finished jobs may stay with this process (docs/operations.md, "Memory")';
}

export function defaultThreads(): number {
  return availableParallelism();
}

interface Threads {
  piscina: Piscina<Task, TaskResult>;
  /** Tasks posted to these threads and not yet settled. */
  inFlight: number;
}

export class Pool {
  private current: Threads;
  /** Threads replaced by newer ones, exiting once their tasks in flight are done. */
  private readonly retiring = new Set<Threads>();
  private retained = 0;
  /** Times the threads were replaced (logs, tests). */
  recycled = 0;

  constructor(
    readonly threads: number = defaultThreads(),
    /** Finished jobs' per-thread bytes after which the threads are replaced (Infinity: never). */
    private readonly recycleBytes = Number.POSITIVE_INFINITY,
  ) {
    this.current = this.spawn();
  }

  private spawn(): Threads {
    const piscina = new Piscina<Task, TaskResult>({
      filename: threadFile(),
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: 60_000,
      concurrentTasksPerWorker: 1,
      name: 'default',
    });
    return { piscina, inFlight: 0 };
  }

  run<R extends TaskResult>(task: Task): Promise<R> {
    const t = this.current;
    t.inFlight++;
    return (t.piscina.run(task) as Promise<R>).finally(() => {
      t.inFlight--;
      if (t.inFlight === 0 && this.retiring.has(t)) this.retire(t);
    });
  }

  /**
   * A job finished: its threads held about `bytesPerThread` for it (its model's buffers, cached, and
   * kernel memory that never shrinks). Replaces the threads once finished jobs add up to recycleBytes.
   * True when it did.
   */
  release(bytesPerThread: number): boolean {
    this.retained += bytesPerThread;
    if (this.retained < this.recycleBytes) return false;
    this.recycle();
    return true;
  }

  /** New threads for the next tasks; the current ones exit once their tasks in flight are done. */
  recycle(): void {
    const old = this.current;
    this.current = this.spawn();
    this.retained = 0;
    this.recycled++;
    this.retiring.add(old);
    if (old.inFlight === 0) this.retire(old);
  }

  private retire(t: Threads): void {
    this.retiring.delete(t);
    t.piscina.close().catch(() => undefined);
  }

  /** Tasks waiting for a thread (for /metrics and the heartbeat). */
  get queued(): number {
    return this.current.piscina.queueSize;
  }

  async close(): Promise<void> {
    const all = [this.current, ...this.retiring];
    this.retiring.clear();
    await Promise.all(all.map((t) => t.piscina.close()));
  }
}
