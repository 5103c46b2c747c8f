// Which training jobs share this worker process, and which must have it to themselves.
//
// A job recovering from a crash runs alone (workers/crash-account.ts: only then can a second crash
// be blamed on it). When one arrives, the jobs already here are evicted (they checkpoint at their
// next step and go back to the queue, losing nothing) and it starts once they have left; while it
// runs alone, any other job that reaches this process is turned away (it waits in the queue a
// moment), and `onExclusive` lowers the process's BullMQ concurrency so it stops fetching jobs it
// would only turn away. Once the job is past the point where it crashed (train.ts), it shares the
// process again (relax), so one recovering job never keeps the others waiting for its whole run.

import type { AttemptRun } from '../src/store/index.js';

export class Seat {
  /** Another job ran in this process at some point while this seat was held. */
  shared = false;
  /** Runs alone: no other job may take a seat in this process. */
  exclusive: boolean;
  /** Asked to leave: hand the job back at its next step. */
  evicted = false;
  /** Persists how this seat's attempt runs (set once the attempt is claimed). */
  mark: ((run: AttemptRun) => void) | undefined;
  /** Resolves when the job may start: at once, or for an exclusive seat once the others left. */
  readonly ready: Promise<void>;
  private resolveReady!: () => void;

  constructor(
    exclusive: boolean,
    private readonly placement: { release(seat: Seat): void; relax(seat: Seat): void },
  ) {
    this.exclusive = exclusive;
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
  }

  leave(): void {
    this.placement.release(this);
  }

  /** No longer needs the process to itself: other jobs may join from now on. */
  relax(): void {
    this.placement.relax(this);
  }

  /** Called by Placement. */
  open(): void {
    this.resolveReady();
  }

  /** Called by Placement when a second job arrives. */
  share(): void {
    if (this.shared) return;
    this.shared = true;
    this.mark?.('shared');
  }
}

export class Placement {
  private readonly seats = new Set<Seat>();

  constructor(private readonly onExclusive: (exclusive: boolean) => void = () => {}) {}

  /** A seat for a job (exclusive: it must run alone), or null when an exclusive job runs here (the caller defers the job). */
  take(exclusive: boolean): Seat | null {
    if ([...this.seats].some((s) => s.exclusive)) return null;
    const seat = new Seat(exclusive, this);
    if (exclusive) {
      for (const other of this.seats) other.evicted = true;
      this.onExclusive(true);
    } else if (this.seats.size > 0) {
      seat.share();
      for (const other of this.seats) other.share();
    }
    this.seats.add(seat);
    if (!exclusive || this.seats.size === 1) seat.open();
    return seat;
  }

  /** Jobs holding a seat (evicted ones until they have left). */
  get size(): number {
    return this.seats.size;
  }

  /** Called by Seat.leave. */
  release(seat: Seat): void {
    if (!this.seats.delete(seat)) return;
    if (seat.exclusive) this.onExclusive(false);
    for (const s of this.seats) if (s.exclusive && this.seats.size === 1) s.open();
  }

  /** Called by Seat.relax. */
  relax(seat: Seat): void {
    if (!this.seats.has(seat) || !seat.exclusive) return;
    seat.exclusive = false;
    this.onExclusive(false);
  }
}
