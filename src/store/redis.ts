// Redis connections. BullMQ needs `maxRetriesPerRequest: null` on the connections it blocks on;
// we use the same settings everywhere so a connection can be shared with a Queue or Worker.
import { Redis, type RedisOptions } from 'ioredis';

export function connectRedis(url: string, name: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, connectionName: name, ...options });
}
