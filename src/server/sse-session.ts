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

export class SseSession {
  private chain: Promise<void> = Promise.resolve();
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

  write(msg: SseMessage): void {
    const sse = this.reply.sse!;
    this.chain = this.chain.then(() => (sse.isConnected ? sse.send(msg) : undefined)).catch(() => undefined);
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
