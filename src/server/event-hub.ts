// One shared XREAD BLOCK loop per API process, fanning event-log entries out to SSE clients.
//
//   client A (job 1 log, after x) ─┐                       ┌─ XRANGE (x, +]    (each client's own replay)
//   client B (job 1 log, after y) ─┼─ EventHub.subscribe ──┤
//   client C (tenant t log, ...)  ─┘                       └─ XREAD BLOCK STREAMS {p}:job:1:events {p}:tenant:t:events ...
//                                                               one dedicated connection, one cursor per log
//
// A log's shared cursor starts at the log's newest entry when its first subscriber joins, and moves
// only with what the loop reads: a client's own cursor (Last-Event-ID, ?after=) selects what that
// client is sent, never what the others are. A subscriber first replays what it missed with XRANGE,
// then receives live entries from the loop; entries are delivered by stream id, so an id at or
// before the subscriber's last one is dropped: no gap and no duplicate however the replay and the
// loop interleave. When a new log joins while the loop is blocked, CLIENT UNBLOCK wakes it.
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
  /** Entries that arrived from the loop while the replay was running. */
  buffer: StoredEvent[] | null;
}

interface Watched {
  /** The loop's read position in this log. */
  cursor: string;
  subs: Set<Subscriber>;
  /** Resolves once `cursor` holds the log's position (the first subscriber's join). */
  ready: Promise<void>;
}

export class EventHub {
  private readonly logs = new Map<string, Watched>();
  private connection: Redis | undefined;
  private connectionId: number | undefined;
  private running: Promise<void> | undefined;
  private blocked = false;
  /** Logs in the XREAD now in flight. */
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
    for (const w of this.logs.values()) n += w.subs.size;
    return n;
  }

  /**
   * Deliver every entry of the log at `key` after `afterId` (exclusive; '0-0' = from the start),
   * first the stored ones, then live ones, in order, each once. `onEvent` must not throw.
   */
  async subscribe(key: string, afterId: string, onEvent: (event: StoredEvent) => void): Promise<Subscription> {
    if (this.closed) throw new Error('event hub closed');
    const sub: Subscriber = { lastId: afterId, onEvent, buffer: [] };
    // Join the loop first (buffering), then replay: whatever the loop reads meanwhile is kept.
    let watched = this.logs.get(key);
    if (!watched) {
      const w: Watched = { cursor: '$', subs: new Set(), ready: Promise.resolve() };
      w.ready = this.store.logs.newestId(key).then((newest) => {
        w.cursor = newest;
        this.kick(key);
      });
      this.logs.set(key, w);
      watched = w;
    }
    watched.subs.add(sub);
    const close = () => this.unsubscribe(key, sub);
    try {
      await watched.ready;
      for (const e of await this.store.logs.range(key, { after: afterId })) this.deliver(sub, e);
      const pending = sub.buffer ?? [];
      sub.buffer = null;
      for (const e of pending) this.deliver(sub, e);
    } catch (err) {
      close();
      throw err;
    }
    return { close };
  }

  private deliver(sub: Subscriber, event: StoredEvent): void {
    if (compareStreamIds(event.id, sub.lastId) <= 0) return;
    sub.lastId = event.id;
    sub.onEvent(event);
  }

  private unsubscribe(key: string, sub: Subscriber): void {
    const watched = this.logs.get(key);
    if (!watched) return;
    watched.subs.delete(sub);
    if (watched.subs.size === 0) this.logs.delete(key);
  }

  /** Start the loop, or wake it so it reads a newly joined log. */
  private kick(key: string): void {
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
    this.unblockFor(key).catch((err: unknown) => this.log.warn({ err }, 'event hub: unblock failed'));
  }

  /**
   * Wake the blocked XREAD so its next round includes `key`. CLIENT UNBLOCK goes over another
   * connection, so it can overtake the XREAD it means to interrupt: retry briefly until it lands.
   */
  private async unblockFor(key: string): Promise<void> {
    for (let tries = 0; tries < 200; tries++) {
      if (this.closed || !this.logs.has(key) || this.reading.has(key)) return;
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
      const cursors = new Map<string, string>();
      for (const [key, w] of this.logs) if (w.cursor !== '$') cursors.set(key, w.cursor);
      if (cursors.size === 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        continue;
      }
      let batch: Map<string, StoredEvent[]>;
      this.reading = new Set(cursors.keys());
      try {
        this.blocked = true;
        batch = await this.store.logs.read(this.connection, cursors, this.blockMs);
      } catch (err) {
        if (this.closed) return;
        this.log.warn({ err }, 'event hub: XREAD failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
        continue;
      } finally {
        this.blocked = false;
        this.reading = new Set();
      }
      for (const [key, events] of batch) {
        const watched = this.logs.get(key);
        if (!watched || events.length === 0) continue;
        watched.cursor = events[events.length - 1]!.id;
        for (const sub of watched.subs) {
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
    this.logs.clear();
    this.wake?.();
    if (this.connection) {
      this.connection.disconnect();
      this.connection = undefined;
    }
    await this.running?.catch(() => undefined);
  }
}
