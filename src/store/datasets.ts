// Uploaded datasets in Redis, readable by every worker machine.
//
//   {p}:dataset:{id}            hash: meta (JSON DatasetInfo, with its tenant), data (encodeDataset bytes)
//   {p}:datasets                sorted set: dataset ids, score = createdAt ms (listing, newest first)
//   {p}:tenant:{t}:datasets     the same, the tenant's own
//   {p}:tenant:{t}:usage        bytes and datasets go up on put and down on delete (quotas)
//
// Written by the API (POST /v1/datasets), read by the API (metadata) and the workers (data).
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DEFAULT_TENANT, type DatasetInfo } from '../contracts/index.js';
import { decodeDataset, encodeDataset, type Dataset } from '../datasets/index.js';
import { QuotaExceededError } from './errors.js';
import { createKeys, type Keys } from './keys.js';
import { newestFirst } from './page.js';

/**
 * put: store a dataset unless its tenant would pass a quota.
 * KEYS[1] dataset hash, KEYS[2] all datasets, KEYS[3] tenant's datasets, KEYS[4] tenant's usage, KEYS[5] tenants
 * ARGV[1] meta JSON, ARGV[2] data, ARGV[3] createdAt ms, ARGV[4] id, ARGV[5] bytes, ARGV[6] max datasets,
 * ARGV[7] max stored bytes, ARGV[8] tenant (-1: no limit)
 * Output: {"ok"} | {"quota", name, used}
 */
const PUT = `
local usage = redis.call('HMGET', KEYS[4], 'datasets', 'bytes')
local count, bytes = tonumber(usage[1] or '0'), tonumber(usage[2] or '0')
if tonumber(ARGV[6]) >= 0 and count >= tonumber(ARGV[6]) then return {'quota', 'maxDatasets', count} end
if tonumber(ARGV[7]) >= 0 and bytes + tonumber(ARGV[5]) > tonumber(ARGV[7]) then return {'quota', 'maxStoredBytes', bytes} end
redis.call('HSET', KEYS[1], 'meta', ARGV[1], 'data', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
redis.call('HINCRBY', KEYS[4], 'datasets', 1)
redis.call('HINCRBY', KEYS[4], 'bytes', ARGV[5])
redis.call('SADD', KEYS[5], ARGV[8])
return {'ok'}
`;

type PutReply = ['ok'] | ['quota', string, number];

interface DatasetCommands {
  convoyPutDataset(numKeys: number, ...args: (string | number | Buffer)[]): Promise<PutReply>;
}

export interface DatasetLimits {
  maxDatasets?: number;
  maxStoredBytes?: number;
}

export class DatasetStore {
  private readonly keys: Keys;
  private readonly cmd: Redis & DatasetCommands;

  constructor(
    readonly redis: Redis,
    prefix = 'convoy',
  ) {
    this.keys = createKeys(prefix);
    if (!('convoyPutDataset' in redis)) redis.defineCommand('convoyPutDataset', { lua: PUT });
    this.cmd = redis as Redis & DatasetCommands;
  }

  /** Stores a parsed dataset for a tenant; returns its metadata (with a new id). QuotaExceededError past a limit. */
  async put(
    ds: Dataset,
    meta: { name?: string | undefined; format: DatasetInfo['format']; tenant: string },
    limits: DatasetLimits = {},
  ): Promise<DatasetInfo> {
    const bytes = encodeDataset(ds);
    const createdAt = new Date();
    const info: DatasetInfo = {
      id: `ds_${randomUUID().replace(/-/g, '')}`,
      tenant: meta.tenant,
      name: meta.name ?? null,
      format: meta.format,
      count: ds.count,
      shape: [ds.shape[0], ds.shape[1], ds.shape[2]],
      classes: ds.classes,
      bytes: bytes.byteLength,
      createdAt: createdAt.toISOString(),
    };
    const k = this.keys;
    const keys = [k.dataset(info.id), k.datasets(), k.tenantDatasets(info.tenant), k.tenantUsage(info.tenant), k.tenants()];
    const reply = await this.cmd.convoyPutDataset(
      keys.length,
      ...keys,
      JSON.stringify(info),
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      createdAt.getTime(),
      info.id,
      info.bytes,
      limits.maxDatasets ?? -1,
      limits.maxStoredBytes ?? -1,
      info.tenant,
    );
    if (reply[0] === 'quota') {
      const [, quota, used] = reply;
      throw new QuotaExceededError(quota, quota === 'maxDatasets' ? limits.maxDatasets! : limits.maxStoredBytes!, Number(used));
    }
    return info;
  }

  async info(id: string): Promise<DatasetInfo | null> {
    const raw = await this.redis.hget(this.keys.dataset(id), 'meta');
    if (raw === null) return null;
    const info = JSON.parse(raw) as DatasetInfo;
    info.tenant ??= DEFAULT_TENANT; // stored before tenants existed
    return info;
  }

  /** The dataset itself (workers). Arrays are views into one Buffer read from Redis. */
  async get(id: string): Promise<Dataset | null> {
    const bytes = await this.redis.hgetBuffer(this.keys.dataset(id), 'data');
    return bytes === null ? null : decodeDataset(bytes);
  }

  /** Newest first, one tenant's or (undefined) every tenant's; `nextCursor` is set when more remain. */
  async list(options: { tenant?: string | undefined; limit?: number; cursor?: string | undefined } = {}): Promise<{
    items: DatasetInfo[];
    nextCursor: string | null;
  }> {
    const key = options.tenant === undefined ? this.keys.datasets() : this.keys.tenantDatasets(options.tenant);
    const page = await newestFirst(this.redis, key, options.limit ?? 20, options.cursor);
    const metas = await Promise.all(page.ids.map((id) => this.info(id)));
    return { items: metas.filter((m): m is DatasetInfo => m !== null), nextCursor: page.nextCursor ?? null };
  }

  async delete(id: string): Promise<boolean> {
    const info = await this.info(id);
    if (!info) return false;
    const k = this.keys;
    const [[, removed]] = (await this.redis
      .multi()
      .del(k.dataset(id))
      .zrem(k.datasets(), id)
      .zrem(k.tenantDatasets(info.tenant), id)
      .hincrby(k.tenantUsage(info.tenant), 'datasets', -1)
      .hincrby(k.tenantUsage(info.tenant), 'bytes', -info.bytes)
      .exec()) as [[unknown, number]];
    return removed === 1;
  }
}
