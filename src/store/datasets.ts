// Uploaded datasets in Redis, readable by every worker machine.
//
//   {p}:dataset:{id}   hash: meta (JSON DatasetInfo), data (encodeDataset bytes, src/datasets/codec.ts)
//   {p}:datasets       sorted set: dataset ids, score = createdAt ms (listing, newest first)
//
// Written by the API (POST /v1/datasets), read by the API (metadata) and the workers (data).
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { DatasetInfo } from '../contracts/index.js';
import { decodeDataset, encodeDataset, type Dataset } from '../datasets/index.js';
import { createKeys, type Keys } from './keys.js';
import { newestFirst } from './page.js';

export class DatasetStore {
  private readonly keys: Keys;

  constructor(
    readonly redis: Redis,
    prefix = 'convoy',
  ) {
    this.keys = createKeys(prefix);
  }

  /** Stores a parsed dataset; returns its metadata (with a new id). */
  async put(ds: Dataset, meta: { name?: string | undefined; format: DatasetInfo['format'] }): Promise<DatasetInfo> {
    const bytes = encodeDataset(ds);
    const createdAt = new Date();
    const info: DatasetInfo = {
      id: `ds_${randomUUID().replace(/-/g, '')}`,
      name: meta.name ?? null,
      format: meta.format,
      count: ds.count,
      shape: [ds.shape[0], ds.shape[1], ds.shape[2]],
      classes: ds.classes,
      bytes: bytes.byteLength,
      createdAt: createdAt.toISOString(),
    };
    await this.redis
      .multi()
      .hset(this.keys.dataset(info.id), 'meta', JSON.stringify(info), 'data', Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
      .zadd(this.keys.datasets(), createdAt.getTime(), info.id)
      .exec();
    return info;
  }

  async info(id: string): Promise<DatasetInfo | null> {
    const raw = await this.redis.hget(this.keys.dataset(id), 'meta');
    return raw === null ? null : (JSON.parse(raw) as DatasetInfo);
  }

  /** The dataset itself (workers). Arrays are views into one Buffer read from Redis. */
  async get(id: string): Promise<Dataset | null> {
    const bytes = await this.redis.hgetBuffer(this.keys.dataset(id), 'data');
    return bytes === null ? null : decodeDataset(bytes);
  }

  /** Newest first; `nextCursor` is set when more remain. */
  async list(limit = 20, cursor?: string): Promise<{ items: DatasetInfo[]; nextCursor: string | null }> {
    const page = await newestFirst(this.redis, this.keys.datasets(), limit, cursor);
    const metas = await Promise.all(page.ids.map((id) => this.info(id)));
    return { items: metas.filter((m): m is DatasetInfo => m !== null), nextCursor: page.nextCursor ?? null };
  }

  async delete(id: string): Promise<boolean> {
    const [[, removed]] = (await this.redis.multi().del(this.keys.dataset(id)).zrem(this.keys.datasets(), id).exec()) as [
      [unknown, number],
    ];
    return removed === 1;
  }
}
