// One shared XREAD BLOCK loop per API process, fanning job events out to SSE clients.
//
//   client A (job 1, after x) ─┐                       ┌─ XRANGE (after, +]   (each client's own replay)
//   client B (job 1, after y) ─┼─ EventHub.subscribe ──┤
//   client C (job 2, after z) ─┘                       └─ XREAD BLOCK STREAMS {p}:job:1:events {p}:job:2:events ...
//                                                           one dedicated connection, one cursor per job
//
// A subscriber first replays what it missed with XRANGE, then receives live events from the shared
// loop. Events are delivered by stream id, so an id at or before the subscriber's last one is
// dropped: no gap and no duplicate however the replay and the loop interleave. When a new job joins
// while the loop is blocked, CLIENT UNBLOCK wakes it so the new stream is read at once.
import type { Redis } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';
import type { JobStore, StoredEvent } from '../store/index.js';

/** Compares Redis stream ids (`ms-seq`). */
export function compareStreamIds(a: string, b: string): number {
  const [am, as = '0'] = a.split('-');
  const [bm, bs = '0'] = b.split('-');
  const d = BigInt(am!) - BigInt(bm!);
  if (d !== 0n) return d < 0n ? -1 : 1;
  const e = BigInt(as) - BigInt(bs);
  return e === 0n ? 0 : e < 0n ? -1 : 1;
}

export interface Subscription {
  /** Stop receiving events. */
  close(): void;
}

interface Subscriber {
  lastId: string;
  onEvent: (event: StoredEvent) => void;
  /** Events that arrived from the loop while the replay was running. */
  buffer: StoredEvent[] | null;
}

export class EventHub {
  private readonly jobs = new Map<string, { cursor: string; subs: Set<Subscriber> }>();
  private connection: Redis | undefined;
  private connectionId: number | undefined;
  private running: Promise<void> | undefined;
  private blocked = false;
  /** Jobs in the XREAD now in flight. */
  private reading = new Set<string>();
  private closed = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly store: JobStore,
    private readonly log: FastifyBaseLogger,
    private readonly blockMs = 5000,
  ) {}

  /** Number of live subscribers (the SSE clients gauge). */
  get size(): number {
    let n = 0;
    for (const j of this.jobs.values()) n += j.subs.size;
    return n;
  }

  /**
   * Deliver every event of `jobId` after `afterId` (exclusive; '0-0' = from the start), first the
   * stored ones, then live ones, in order, each once. `onEvent` must not throw.
   */
  async subscribe(jobId: string, afterId: string, onEvent: (event: StoredEvent) => void): Promise<Subscription> {
    if (this.closed) throw new Error('event hub closed');
    const sub: Subscriber = { lastId: afterId, onEvent, buffer: [] };
    // Join the loop first (buffering), then replay: whatever the loop reads meanwhile is kept.
    let entry = this.jobs.get(jobId);
    const isNew = !entry;
    if (!entry) {
      entry = { cursor: afterId, subs: new Set() };
      this.jobs.set(jobId, entry);
    }
    entry.subs.add(sub);
    const close = () => this.unsubscribe(jobId, sub);
    try {
      const replay = await this.store.events(jobId, afterId === '0-0' ? {} : { after: afterId });
      for (const e of replay) this.deliver(sub, e);
      if (isNew && replay.length > 0) {
        // The loop need not read again what the replay just read.
        const last = replay[replay.length - 1]!.id;
        if (compareStreamIds(last, entry.cursor) > 0) entry.cursor = last;
      }
      const pending = sub.buffer ?? [];
      sub.buffer = null;
      for (const e of pending) this.deliver(sub, e);
    } catch (err) {
      close();
      throw err;
    }
    if (isNew) this.kick(jobId);
    return { close };
  }

  private deliver(sub: Subscriber, event: StoredEvent): void {
    if (compareStreamIds(event.id, sub.lastId) <= 0) return;
    sub.lastId = event.id;
    sub.onEvent(event);
  }

  private unsubscribe(jobId: string, sub: Subscriber): void {
    const entry = this.jobs.get(jobId);
    if (!entry) return;
    entry.subs.delete(sub);
    if (entry.subs.size === 0) this.jobs.delete(jobId);
  }

  /** Start the loop, or wake it so it reads the streams of newly joined jobs. */
  private kick(jobId: string): void {
    if (!this.running) {
      this.running = this.loop().finally(() => {
        this.running = undefined;
      });
      return;
    }
    if (this.wake) {
      const w = this.wake;
      this.wake = undefined;
      w();
      return;
    }
    this.unblockFor(jobId).catch((err: unknown) => this.log.warn({ err }, 'event hub: unblock failed'));
  }

  /**
   * Wake the blocked XREAD so its next round includes `jobId`. CLIENT UNBLOCK goes over another
   * connection, so it can overtake the XREAD it means to interrupt: retry briefly until it lands.
   */
  private async unblockFor(jobId: string): Promise<void> {
    for (let tries = 0; tries < 200; tries++) {
      if (this.closed || !this.jobs.has(jobId) || this.reading.has(jobId)) return;
      if (this.blocked && this.connectionId !== undefined) {
        const unblocked = await this.store.redis.client('UNBLOCK', this.connectionId);
        if (unblocked === 1) return;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private async loop(): Promise<void> {
    if (!this.connection) {
      this.connection = this.store.redis.duplicate({ connectionName: 'convoy-api-events' });
      this.connectionId = Number(await this.connection.client('ID'));
    }
    while (!this.closed) {
      if (this.jobs.size === 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        continue;
      }
      const cursors = new Map<string, string>();
      for (const [id, j] of this.jobs) cursors.set(id, j.cursor);
      let batch: Map<string, StoredEvent[]>;
      this.reading = new Set(cursors.keys());
      try {
        this.blocked = true;
        batch = await this.store.readEvents(this.connection, cursors, this.blockMs);
      } catch (err) {
        if (this.closed) return;
        this.log.warn({ err }, 'event hub: XREAD failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
        continue;
      } finally {
        this.blocked = false;
        this.reading = new Set();
      }
      for (const [jobId, events] of batch) {
        const entry = this.jobs.get(jobId);
        if (!entry || events.length === 0) continue;
        entry.cursor = events[events.length - 1]!.id;
        for (const sub of entry.subs) {
          for (const e of events) {
            if (sub.buffer) sub.buffer.push(e);
            else this.deliver(sub, e);
          }
        }
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.jobs.clear();
    this.wake?.();
    if (this.connection) {
      this.connection.disconnect();
      this.connection = undefined;
    }
    await this.running?.catch(() => undefined);
  }
}
