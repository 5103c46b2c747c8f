// This process's open event streams, each holding a slot of its tenant's SSE_MAX_STREAMS_PER_TENANT
// (src/store/stream-slots.ts). Slots expire unless refreshed, so the process refreshes the ones it
// holds every REFRESH_MS; a crashed process's slots free themselves within SLOT_TTL_MS.
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { StreamSlots } from '../store/index.js';

const REFRESH_MS = 20_000;
const SLOT_TTL_MS = 3 * REFRESH_MS;

export class OpenStreams {
  private readonly process = randomUUID().slice(0, 8);
  private readonly held = new Map<string, string>(); // slot -> tenant
  private next = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly slots: StreamSlots,
    private readonly max: number,
    log: FastifyBaseLogger,
  ) {
    this.timer = setInterval(() => {
      const held = [...this.held].map(([slot, tenant]) => ({ slot, tenant }));
      this.slots.refresh(held, SLOT_TTL_MS).catch((err: Error) => log.warn({ err: err.message }, 'stream slots: refresh failed'));
    }, REFRESH_MS).unref();
  }

  /** A slot for one more stream of `tenant`, or null when the tenant holds `max` already. */
  async open(tenant: string): Promise<{ release(): void } | null> {
    const slot = `${this.process}:${this.next++}`;
    if (!(await this.slots.acquire(tenant, slot, this.max, SLOT_TTL_MS))) return null;
    this.held.set(slot, tenant);
    return {
      release: () => {
        if (!this.held.delete(slot)) return;
        this.slots.release(tenant, slot).catch(() => undefined); // it expires anyway
      },
    };
  }

  close(): void {
    clearInterval(this.timer);
  }
}
