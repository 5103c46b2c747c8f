// Uploaded datasets in Redis, readable by every worker machine.
//
//   {p}:dataset:{id}            hash: meta (JSON DatasetInfo, with its tenant); data only when stored before :data
//   {p}:dataset:{id}:data       string: encodeDataset bytes (large ones staged first: dataset-writes.ts)
//   {p}:datasets                sorted set: dataset ids, score = createdAt ms (listing, newest first)
//   {p}:tenant:{t}:datasets     the same, the tenant's own
//   {p}:tenant:{t}:usage        bytes and datasets go up on put and down on delete (quotas)
//   {p}:dataset:{id}:jobs       set: the unfinished jobs that need it (no delete, no expiry while any)
//   {p}:datasets:used           sorted set: score = last use ms (the sweep deletes after DATASET_RETENTION_SECONDS)
//
// Written by the API (POST /v1/datasets; a job's inline samples, stored once per tenant and
// content), read by the API (metadata) and the workers (data, by id).
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DEFAULT_TENANT, isTerminalStatus, type DatasetInfo, type JobStatus } from '../contracts/index.js';
import { decodeDataset, encodeDataset, readDatasetHeader, type Dataset } from '../datasets/index.js';
import type { InlineDatasetSummary } from '../contracts/submission.js';
import { DatasetInUseError, QuotaExceededError } from './errors.js';
import { DELETE_DATASET, PUT_DATASET } from './dataset-scripts.js';
import { DATASET_WRITE_CHUNK, writeStaged } from './dataset-writes.js';
import { createKeys, type Keys } from './keys.js';
import { newestFirst } from './page.js';

type PutReply = ['ok'] | ['exists', string] | ['quota', string, number];
type DeleteReply = ['ok'] | ['gone'] | ['in-use', ...string[]];

interface DatasetCommands {
  convoyPutDataset(numKeys: number, ...args: (string | number | Buffer)[]): Promise<PutReply>;
  convoyDeleteDataset(numKeys: number, ...args: (string | number)[]): Promise<DeleteReply>;
}

export interface DatasetLimits {
  maxDatasets?: number;
  maxStoredBytes?: number;
}

export class DatasetStore {
  private readonly keys: Keys;
  private readonly cmd: Redis & DatasetCommands;
  /** Whether sweep() has given datasets stored before last uses were recorded one. */
  private adopted = false;

  constructor(
    readonly redis: Redis,
    prefix = 'convoy',
  ) {
    this.keys = createKeys(prefix);
    if (!('convoyPutDataset' in redis)) {
      redis.defineCommand('convoyPutDataset', { lua: PUT_DATASET });
      redis.defineCommand('convoyDeleteDataset', { lua: DELETE_DATASET });
    }
    this.cmd = redis as Redis & DatasetCommands;
  }

  /** Stores a parsed dataset for a tenant; returns its metadata (with a new id). QuotaExceededError past a limit. */
  async put(
    ds: Dataset,
    meta: { name?: string | undefined; format: DatasetInfo['format']; tenant: string },
    limits: DatasetLimits = {},
  ): Promise<DatasetInfo> {
    const id = `ds_${randomUUID().replace(/-/g, '')}`;
    return (await this.store(id, encodeDataset(ds), ds, meta, limits, false)).info;
  }

  /** Stores a dataset already encoded (encodeDataset, e.g. by the API's upload thread); as put(). */
  async putEncoded(
    bytes: Uint8Array,
    meta: { name?: string | undefined; format: DatasetInfo['format']; tenant: string },
    limits: DatasetLimits = {},
  ): Promise<DatasetInfo> {
    const id = `ds_${randomUUID().replace(/-/g, '')}`;
    return (await this.store(id, bytes, readDatasetHeader(bytes), meta, limits, false)).info;
  }

  /**
   * Stores a job's inline samples once per tenant and content: the id is a hash of both, so a
   * resubmission shares the stored copy (and moves its last use). Counts against maxStoredBytes only
   * (the tenant's `datasets` count is its uploads).
   */
  async putInline(
    ds: Dataset,
    tenant: string,
    limits: DatasetLimits = {},
  ): Promise<{ info: DatasetInfo; summary: InlineDatasetSummary; created: boolean }> {
    const bytes = encodeDataset(ds);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const id = `ds_${createHash('sha256').update(`${tenant}\n${sha256}`).digest('hex').slice(0, 40)}`;
    const { maxStoredBytes } = limits;
    const { info, created } = await this.store(
      id,
      bytes,
      ds,
      { format: 'inline', tenant },
      maxStoredBytes === undefined ? {} : { maxStoredBytes },
      true,
    );
    return { info, summary: { samples: info.count, shape: info.shape, classes: info.classes, sha256, bytes: info.bytes }, created };
  }

  private async store(
    id: string,
    bytes: Uint8Array,
    ds: Pick<Dataset, 'count' | 'shape' | 'classes'>,
    meta: { name?: string | undefined; format: DatasetInfo['format']; tenant: string },
    limits: DatasetLimits,
    contentAddressed: boolean,
  ): Promise<{ info: DatasetInfo; created: boolean }> {
    const createdAt = new Date();
    const info: DatasetInfo = {
      id,
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
    const t = info.tenant;
    const staging = k.datasetStaging(id, randomUUID());
    const staged = bytes.byteLength > DATASET_WRITE_CHUNK;
    if (staged) await writeStaged(this.redis, staging, bytes);
    const keys = [
      k.dataset(id),
      k.datasets(),
      k.tenantDatasets(t),
      k.tenantUsage(t),
      k.tenants(),
      k.datasetsUsed(),
      k.datasetData(id),
      staging,
    ];
    const reply = await this.cmd
      .convoyPutDataset(
        keys.length,
        ...keys,
        JSON.stringify(info),
        staged ? '' : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        createdAt.getTime(),
        id,
        info.bytes,
        limits.maxDatasets ?? -1,
        limits.maxStoredBytes ?? -1,
        t,
        contentAddressed ? '1' : '0',
      )
      .catch(async (err: unknown) => {
        // The script deletes the staged bytes on every answer; an error (OOM, a lost connection) may leave them.
        if (staged) await this.redis.del(staging).catch(() => undefined);
        throw err;
      });
    if (reply[0] === 'quota') {
      const [, quota, used] = reply;
      throw new QuotaExceededError(quota, quota === 'maxDatasets' ? limits.maxDatasets! : limits.maxStoredBytes!, Number(used));
    }
    if (reply[0] === 'exists') return { info: JSON.parse(reply[1]) as DatasetInfo, created: false };
    return { info, created: true };
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
    // Datasets stored before the bytes had a key of their own keep them in the hash.
    const bytes = (await this.redis.getBuffer(this.keys.datasetData(id))) ?? (await this.redis.hgetBuffer(this.keys.dataset(id), 'data'));
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

  /** Ids of the unfinished jobs that need the dataset (finished or missing ones are dropped from its set). */
  async neededBy(id: string): Promise<string[]> {
    const members = await this.redis.smembers(this.keys.datasetJobs(id));
    if (members.length === 0) return [];
    const statuses = await this.redis.pipeline(members.map((j) => ['hget', this.keys.job(j), 'status'])).exec();
    const done = members.filter((_, i) => {
      const status = statuses?.[i]?.[1] as JobStatus | null;
      return status === null || isTerminalStatus(status);
    });
    if (done.length > 0) await this.redis.srem(this.keys.datasetJobs(id), ...done);
    const gone = new Set(done);
    return members.filter((j) => !gone.has(j));
  }

  /** Deletes a dataset: false when there is none, DatasetInUseError while unfinished jobs need it. */
  async delete(id: string): Promise<boolean> {
    const info = await this.info(id);
    if (!info) return false;
    await this.neededBy(id);
    const k = this.keys;
    const keys = [
      k.dataset(id),
      k.datasets(),
      k.tenantDatasets(info.tenant),
      k.tenantUsage(info.tenant),
      k.datasetJobs(id),
      k.datasetsUsed(),
      k.datasetData(id),
    ];
    const reply = await this.cmd.convoyDeleteDataset(keys.length, ...keys, id, info.bytes, info.format === 'inline' ? '0' : '1');
    if (reply[0] === 'in-use') throw new DatasetInUseError(id, reply.slice(1));
    return reply[0] === 'ok';
  }

  /**
   * Deletes up to `limit` datasets unused for `retentionSeconds` (the retention sweep). One that a job
   * needs stays, its last use moved to now. Returns the ids deleted.
   */
  async sweep(now: number, retentionSeconds: number, limit = 100): Promise<string[]> {
    const k = this.keys;
    if (!this.adopted) {
      // Datasets stored before their last use was recorded count from their creation.
      const created = await this.redis.zrange(k.datasets(), 0, -1, 'WITHSCORES');
      const pairs = created.map((_, i) => (i % 2 === 0 ? created[i + 1]! : created[i - 1]!));
      if (pairs.length > 0) await this.redis.zadd(k.datasetsUsed(), 'NX', ...pairs);
      this.adopted = true;
    }
    const ids = await this.redis.zrangebyscore(k.datasetsUsed(), '-inf', now - retentionSeconds * 1000, 'LIMIT', 0, limit);
    const deleted: string[] = [];
    for (const id of ids) {
      try {
        if (await this.delete(id)) deleted.push(id);
        else await this.redis.zrem(k.datasetsUsed(), id);
      } catch (err) {
        if (!(err instanceof DatasetInUseError)) throw err;
        await this.redis.zadd(k.datasetsUsed(), now, id);
      }
    }
    return deleted;
  }
}
