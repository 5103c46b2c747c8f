// Predict requests whose caller is gone (the API's deadline passed, or the client disconnected): the
// API marks them, the worker computing one checks between chunks and stops. The mark expires on its
// own, after the request could still be running.
import type { Redis } from 'ioredis';
import { createKeys, type Keys } from './keys.js';

export class PredictRequests {
  private readonly keys: Keys;

  constructor(
    private readonly redis: Redis,
    prefix = 'convoy',
  ) {
    this.keys = createKeys(prefix);
  }

  /** The caller of request `requestId` (the BullMQ job id) is gone; remembered for `ttlMs`. */
  async abandon(requestId: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.keys.predictAbandoned(requestId), '1', 'PX', Math.max(1, Math.round(ttlMs)));
  }

  async isAbandoned(requestId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.predictAbandoned(requestId))) === 1;
  }
}
