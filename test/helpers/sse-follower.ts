// A real `eventsource` (v4) client following one job's stream for the whole run, for chaos tests.
// Its fetch is ours: each (re)connection goes to the next API base URL in turn, so a reconnect is
// served by another API process, and drop() ends the current connection cleanly, which makes the
// client reconnect with Last-Event-ID exactly as after a network cut. Every event with an id is
// recorded in arrival order; the snapshot each connection starts with is counted, not recorded.
import { EventSource, type EventSourceFetchInit } from 'eventsource';
import { ADMIN_AUTH } from './auth.js';

export interface FollowedEvent {
  id: string;
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: event payloads differ by type; tests read the fields they expect
  data: any;
}

const TYPES = ['status', 'progress', 'epoch', 'completed', 'failed', 'cancelled'];
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export class JobFollower {
  readonly events: FollowedEvent[] = [];
  /** The Last-Event-ID header each connection was opened with (undefined for the first). */
  readonly connections: { base: string; lastEventId: string | undefined }[] = [];
  snapshots = 0;
  readonly done: Promise<FollowedEvent[]>;
  private readonly es: EventSource;
  private endCurrent: (() => void) | undefined;
  private listeners: ((e: FollowedEvent) => void)[] = [];

  constructor(bases: string[], jobId: string, timeoutMs = 60_000) {
    let resolve!: (v: FollowedEvent[]) => void;
    let reject!: (e: Error) => void;
    this.done = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const timer = setTimeout(() => {
      this.close();
      reject(new Error(`stream of ${jobId} did not end within ${timeoutMs} ms: ${this.events.map((e) => e.type).join(',')}`));
    }, timeoutMs);
    this.es = new EventSource(`${bases[0]}/v1/jobs/${jobId}/events?after=0-0`, {
      fetch: async (_url: string | URL, init?: EventSourceFetchInit) => {
        const base = bases[this.connections.length % bases.length]!;
        const headers = (init?.headers ?? {}) as Record<string, string>;
        this.connections.push({ base, lastEventId: headers['Last-Event-ID'] });
        const ac = new AbortController();
        init?.signal?.addEventListener('abort', () => ac.abort());
        const res = await fetch(`${base}/v1/jobs/${jobId}/events?after=0-0`, { headers: { ...headers, ...ADMIN_AUTH }, signal: ac.signal });
        if (!res.body) return res;
        const reader = res.body.getReader();
        let ctrl!: ReadableStreamDefaultController<Uint8Array>;
        const body = new ReadableStream<Uint8Array>({
          start: (c) => {
            ctrl = c;
          },
          pull: async (c) => {
            try {
              const { done, value } = await reader.read();
              if (done) c.close();
              else c.enqueue(value);
            } catch (err) {
              try {
                c.error(err);
              } catch {
                // already closed by drop()
              }
            }
          },
          cancel: () => ac.abort(),
        });
        this.endCurrent = () => {
          try {
            ctrl.close();
          } catch {
            // already closed
          }
          ac.abort();
        };
        return new Response(body, { status: res.status, headers: res.headers });
      },
    });
    this.es.addEventListener('snapshot', () => this.snapshots++);
    for (const type of TYPES) {
      this.es.addEventListener(type, (ev) => {
        const e: FollowedEvent = { id: ev.lastEventId, type, data: JSON.parse(ev.data) };
        this.events.push(e);
        for (const l of this.listeners) l(e);
        if (TERMINAL.has(type)) {
          clearTimeout(timer);
          this.close();
          resolve(this.events);
        }
      });
    }
  }

  /** Resolves with the first event (already seen or future) that matches. */
  waitFor(match: (e: FollowedEvent) => boolean): Promise<FollowedEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const l = (e: FollowedEvent) => {
        if (!match(e)) return;
        this.listeners = this.listeners.filter((x) => x !== l);
        resolve(e);
      };
      this.listeners.push(l);
    });
  }

  /** Ends the current connection as a network cut would; the client reconnects with Last-Event-ID. */
  drop(): void {
    this.endCurrent?.();
  }

  close(): void {
    this.es.close();
  }
}
