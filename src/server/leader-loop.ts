// A round every `intervalMs` that one API process at a time runs: each round first holds (or takes)
// a Redis lease for three intervals (src/store/lease.ts), rounds never overlap, and stop() waits for
// the round in flight and frees the lease so another process takes over at once. The reconciler and
// the janitor are both such loops.
import type { FastifyBaseLogger } from 'fastify';
import type { Lease } from '../store/index.js';

export interface LeaderLoopDeps {
  lease: Lease;
  log: FastifyBaseLogger;
  intervalMs: number;
}

export abstract class LeaderLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  /** `what` names the loop in the warning a failed round logs. */
  constructor(
    private readonly loop: LeaderLoopDeps,
    private readonly what: string,
  ) {}

  /** One round (the timer calls it; tests call it directly). */
  abstract tick(): Promise<unknown>;

  start(): void {
    this.timer = setInterval(() => {
      this.running = this.running
        .then(() => this.tick())
        .catch((err: Error) => this.loop.log.warn({ err: err.message }, `${this.what} failed`));
    }, this.loop.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await this.loop.lease.release().catch(() => undefined);
  }

  /** Whether this process leads this round: not stopped, and holding the lease. */
  protected async leading(): Promise<boolean> {
    return !this.stopped && (await this.loop.lease.hold(3 * this.loop.intervalMs));
  }
}
