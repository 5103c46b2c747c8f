// Which training jobs share this worker process, and which must have it to themselves.
//
// A job recovering from a crash runs alone (workers/crash-account.ts: only then can a second crash
// be blamed on it). When one arrives, the jobs already here are evicted (they checkpoint at their
// next step and go back to the queue, losing nothing) and it starts once they have left. A job that
// reaches this process while it runs alone waits here (at most WORKER_CONCURRENCY - 1 of them) and
// starts once the recovering job is past the point where it crashed (admission.ts: its step hook
// relaxes the seat) or has left; a second recovering job is turned away (null: back to the queue
// for a moment).

import type { AttemptRun } from '../src/store/index.js';

export class Seat {
  /** Another job ran in this process at some point while this seat was held. */
  shared = false;
  /** Runs alone: no other job may start in this process meanwhile. */
  exclusive: boolean;
  /** Asked to leave: hand the job back at its next step. */
  evicted = false;
  /** Persists how this seat's attempt runs (set once the attempt is claimed). */
  mark: ((run: AttemptRun) => void) | undefined;
  /** Resolves when the job may start. */
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

  /** No longer needs the process to itself: the jobs waiting here start now. */
  relax(): void {
    this.placement.relax(this);
  }

  /** Called by Placement. */
  open(): void {
    this.resolveReady();
  }

  /** Called by Placement when a second job starts here. */
  share(): void {
    if (this.shared) return;
    this.shared = true;
    this.mark?.('shared');
  }
}

export class Placement {
  /** Seats whose jobs run (or, evicted, are about to leave; or, exclusive, wait for them). */
  private readonly seats = new Set<Seat>();
  /** Seats waiting for an exclusive job to relax or leave. */
  private readonly waiting: Seat[] = [];

  /** A seat for a job (exclusive: it must run alone), or null when it cannot run here now. */
  take(exclusive: boolean): Seat | null {
    const seat = new Seat(exclusive, this);
    if (this.exclusiveSeat()) {
      if (exclusive) return null; // one recovering job at a time
      this.waiting.push(seat);
      return seat;
    }
    if (exclusive) {
      for (const other of this.seats) other.evicted = true;
      this.seats.add(seat);
      if (this.seats.size === 1) seat.open();
    } else {
      this.admit(seat);
    }
    return seat;
  }

  /** Jobs running here (evicted ones until they have left), and jobs waiting to start. */
  get size(): { running: number; waiting: number } {
    return { running: this.seats.size, waiting: this.waiting.length };
  }

  /** Called by Seat.leave. */
  release(seat: Seat): void {
    const w = this.waiting.indexOf(seat);
    if (w >= 0) this.waiting.splice(w, 1);
    if (!this.seats.delete(seat)) return;
    const holder = this.exclusiveSeat();
    if (holder && this.seats.size === 1) holder.open();
    if (!holder) this.admitWaiting();
  }

  /** Called by Seat.relax. */
  relax(seat: Seat): void {
    if (!this.seats.has(seat) || !seat.exclusive) return;
    seat.exclusive = false;
    this.admitWaiting();
  }

  private exclusiveSeat(): Seat | undefined {
    return [...this.seats].find((s) => s.exclusive);
  }

  private admit(seat: Seat): void {
    if (this.seats.size > 0) {
      seat.share();
      for (const other of this.seats) other.share();
    }
    this.seats.add(seat);
    seat.open();
  }

  private admitWaiting(): void {
    for (const seat of this.waiting.splice(0)) this.admit(seat);
  }
}
