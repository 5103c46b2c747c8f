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

export class DatasetStore {
  constructor(
    readonly redis: Redis,
    readonly prefix = 'convoy',
  ) {}

  key(id: string): string {
    return `${this.prefix}:dataset:${id}`;
  }

  listKey(): string {
    return `${this.prefix}:datasets`;
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
      .hset(this.key(info.id), 'meta', JSON.stringify(info), 'data', Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
      .zadd(this.listKey(), createdAt.getTime(), info.id)
      .exec();
    return info;
  }

  async info(id: string): Promise<DatasetInfo | null> {
    const raw = await this.redis.hget(this.key(id), 'meta');
    return raw === null ? null : (JSON.parse(raw) as DatasetInfo);
  }

  /** The dataset itself (workers). Arrays are views into one Buffer read from Redis. */
  async get(id: string): Promise<Dataset | null> {
    const bytes = await this.redis.hgetBuffer(this.key(id), 'data');
    return bytes === null ? null : decodeDataset(bytes);
  }

  /** Newest first. The cursor is the last item's `createdAt ms:id`. */
  async list(limit = 20, cursor?: string): Promise<{ items: DatasetInfo[]; nextCursor: string | null }> {
    let max = '+inf';
    let afterId: string | undefined;
    if (cursor) {
      const m = /^(\d+):(.+)$/.exec(cursor);
      if (!m) throw new Error('invalid cursor');
      max = m[1]!;
      afterId = m[2]!;
    }
    const rows = await this.redis.zrevrangebyscore(this.listKey(), max, '-inf', 'WITHSCORES', 'LIMIT', 0, limit + 50);
    const ids: { id: string; score: string }[] = [];
    for (let i = 0; i < rows.length; i += 2) {
      const id = rows[i]!;
      const score = rows[i + 1]!;
      // Same score as the cursor: ZREVRANGE orders members by id descending; skip those already seen.
      if (afterId !== undefined && score === max && id >= afterId) continue;
      ids.push({ id, score });
    }
    const page = ids.slice(0, limit);
    const metas = page.length ? await Promise.all(page.map((p) => this.info(p.id))) : [];
    const items = metas.filter((m): m is DatasetInfo => m !== null);
    const last = page[page.length - 1];
    return { items, nextCursor: ids.length > limit && last ? `${last.score}:${last.id}` : null };
  }

  async delete(id: string): Promise<boolean> {
    const [[, removed]] = (await this.redis.multi().del(this.key(id)).zrem(this.listKey(), id).exec()) as [[unknown, number]];
    return removed === 1;
  }
}
