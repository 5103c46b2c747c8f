// One open event stream: its tenant's stream slot (SSE_MAX_STREAMS_PER_TENANT), headers flushed at
// once, writes in order, an end that flushes what is queued, and the process's list of open
// streams, ended on shutdown so their clients reconnect (Last-Event-ID) to another API process.
// The per-job stream (routes/events.ts) and the tenant's stream (routes/tenant-events.ts) share it.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PROBLEM_TYPES } from '../contracts/index.js';
import { ProblemError } from './errors.js';
import { OpenStreams } from './open-streams.js';

export interface SseMessage {
  id?: string;
  event: string;
  /** A string is sent as is (a stored event's JSON); anything else is serialized. */
  data: unknown;
  retry?: number;
}

/** The route option that goes with SseSession: strings pass through, objects become JSON. */
export const SSE_OPTIONS = {
  kind: 'manual' as const,
  serializer: (data: unknown) => (typeof data === 'string' ? data : JSON.stringify(data)),
};

const tooManyStreams = (max: number) =>
  new ProblemError(429, `this tenant has ${max} event streams open (SSE_MAX_STREAMS_PER_TENANT); close one first`, {
    type: PROBLEM_TYPES.rateLimited,
    code: 'too-many-streams',
    extra: { limit: max },
    headers: { 'retry-after': '5' },
  });

export class SseSessions {
  private readonly open = new Set<SseSession>();
  private readonly slots: OpenStreams;

  constructor(
    private readonly app: FastifyInstance,
    private readonly maxPerTenant: number,
  ) {
    this.slots = new OpenStreams(app.streamSlots, maxPerTenant, app.log);
  }

  /** Opens the stream (headers sent) in one of the tenant's slots; 429 when it has none left. */
  async start(reply: FastifyReply, tenant: string): Promise<SseSession> {
    const slot = await this.slots.open(tenant);
    if (!slot) throw tooManyStreams(this.maxPerTenant);
    const session = new SseSession(reply, () => {
      slot.release();
      this.open.delete(session);
      this.app.metrics.sseClients.dec();
    });
    this.open.add(session);
    this.app.metrics.sseClients.inc();
    return session;
  }

  /** Ends every open stream (shutdown). */
  closeAll(): void {
    this.slots.close();
    for (const s of this.open) s.end();
  }
}

/** One SSE frame, as @fastify/sse formats it (data split into lines, a blank line after). */
export function frame(msg: SseMessage): string {
  let out = msg.id ? `id: ${msg.id}\n` : '';
  out += `event: ${msg.event}\n`;
  const data = SSE_OPTIONS.serializer(msg.data);
  for (const line of data.split('\n')) out += `data: ${line}\n`;
  if (msg.retry) out += `retry: ${msg.retry}\n`;
  return `${out}\n`;
}

/** Each event's frame, built once however many clients it goes to (the hub hands all of them the same object). */
export class FrameCache<E extends object> {
  private readonly frames = new WeakMap<E, string>();

  constructor(private readonly message: (e: E) => SseMessage) {}

  get(e: E): string {
    let text = this.frames.get(e);
    if (text === undefined) {
      text = frame(this.message(e));
      this.frames.set(e, text);
    }
    return text;
  }
}

export class SseSession {
  private chain: Promise<void> = Promise.resolve();
  /** Frames written since the last flush: one socket write carries all of them. */
  private pending = '';
  private done = false;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly reply: FastifyReply,
    onClose: () => void,
  ) {
    const sse = reply.sse!;
    sse.keepAlive();
    sse.sendHeaders();
    reply.raw.flushHeaders(); // @fastify/sse 0.6.0 does not flush: without this clients wait for the first event.
    sse.onClose(() => {
      this.done = true;
      this.cleanUp();
      onClose();
    });
  }

  get ended(): boolean {
    return this.done;
  }

  /** Runs `fn` once the stream is over, whoever ended it. */
  onEnd(fn: () => void): void {
    this.cleanups.push(fn);
  }

  /**
   * Queues a frame. Frames queued in the same tick (a batch the hub read) or while the socket was
   * draining go out in one write: with a thousand clients on one process, a write per frame per client
   * was what capped the delivery rate.
   */
  write(msg: SseMessage): void {
    this.writeFrame(frame(msg));
  }

  /** Queues a frame already formatted (one event's frame, built once for all its clients). */
  writeFrame(text: string): void {
    const first = this.pending === '';
    this.pending += text;
    if (first) this.chain = this.chain.then(() => this.flush()).catch(() => undefined);
  }

  private async flush(): Promise<void> {
    const text = this.pending;
    this.pending = '';
    const raw = this.reply.raw;
    if (!this.reply.sse!.isConnected || raw.destroyed || raw.write(text)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        raw.off('drain', done);
        raw.off('close', done);
        resolve();
      };
      raw.once('drain', done);
      raw.once('close', done);
    });
  }

  /** Ends the stream once everything written so far has gone out. */
  end(): void {
    if (this.done) return;
    this.done = true;
    this.cleanUp();
    const sse = this.reply.sse!;
    this.chain = this.chain.then(() => {
      if (sse.isConnected) sse.close();
    });
  }

  private cleanUp(): void {
    for (const c of this.cleanups.splice(0)) c();
  }

  /** Resolves when every write so far has gone out (the route handler awaits it before returning). */
  flushed(): Promise<void> {
    return this.chain;
  }
}
