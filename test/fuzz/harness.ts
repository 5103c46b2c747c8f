// The fuzz suite's shared parts: the seed and run counts, the real app on a redis-server of its
// own, and the checks every generated case ends with.
//
// - FUZZ_SEED (default: a fresh one, printed) replays a run: `FUZZ_SEED=123 npx vitest run test/fuzz`.
// - FUZZ_RUNS (default: each property's own count) sets every property's number of cases; `npm run
//   test:fuzz` raises it for soak runs.
// - Each test file starts its own redis-server: a rejected request must leave the keyspace exactly as
//   it was, and only a Redis holding nothing but this app's keys makes that cheap to check.
import type fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { startRedis, type PrivateRedis } from '../helpers/redis-server.js';
import { startApp, type TestApp } from '../api/helpers.js';

const envSeed = process.env.FUZZ_SEED;
export const FUZZ_SEED = envSeed !== undefined && envSeed !== '' ? Number(envSeed) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isSafeInteger(FUZZ_SEED)) throw new Error(`FUZZ_SEED must be an integer, got ${JSON.stringify(envSeed)}`);
const envRuns = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : undefined;

/** fast-check's parameters for a property whose default run count is `runs`. */
export function fuzzParams(runs: number): fc.Parameters<unknown> {
  return { seed: FUZZ_SEED, numRuns: envRuns ?? runs, endOnFailure: false };
}

/** A vitest timeout that grows with FUZZ_RUNS (soak runs), never below the suite's 60 s. */
export function fuzzTimeout(runs: number, msPerCase = 20): number {
  return Math.max(60_000, (envRuns ?? runs) * msPerCase);
}

/** Printed once per file (each file draws its own seed unless FUZZ_SEED is set), so a failing run's log says how to replay it. */
export function announceSeed(file: string): void {
  console.log(`[fuzz] ${file}: seed ${FUZZ_SEED}, runs ${envRuns ?? 'default'} (replay: FUZZ_SEED=${FUZZ_SEED} npx vitest run ${file})`);
}

// KEYS: none. ARGV[1] the app's key pattern (`prefix:*`), ARGV[2] a key prefix to leave out (the
// rate limiter's counters, which every request moves), ARGV[3] a key prefix whose values are left
// out (API key records: a key's `lastUsedAt` moves when it authenticates any request). Returns
// { sha1 of the sorted key lines, number of keys }; a key's line holds its name, type and size (a
// hash: each field's length, and its value when short, so a usage counter that moves shows).
const DIGEST_LUA = `
local lines = {}
local cursor = '0'
repeat
  local r = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = r[1]
  for _, k in ipairs(r[2]) do
    if string.sub(k, 1, #ARGV[2]) ~= ARGV[2] then
      local t = redis.call('TYPE', k).ok
      local size
      if string.sub(k, 1, #ARGV[3]) == ARGV[3] then size = '-'
      elseif t == 'string' then size = redis.call('STRLEN', k)
      elseif t == 'hash' then
        local fields = redis.call('HKEYS', k)
        table.sort(fields)
        local parts = {}
        for _, f in ipairs(fields) do
          local n = redis.call('HSTRLEN', k, f)
          if n <= 32 then parts[#parts + 1] = f .. '=' .. redis.call('HGET', k, f) else parts[#parts + 1] = f .. ':' .. n end
        end
        size = table.concat(parts, ',')
      elseif t == 'zset' then size = redis.call('ZCARD', k)
      elseif t == 'set' then size = redis.call('SCARD', k)
      elseif t == 'list' then size = redis.call('LLEN', k)
      elseif t == 'stream' then
        local last = redis.call('XREVRANGE', k, '+', '-', 'COUNT', 1)
        size = redis.call('XLEN', k) .. '@' .. (last[1] and last[1][1] or '-')
      else size = '?' end
      lines[#lines + 1] = k .. ' ' .. t .. ' ' .. size
    end
  end
until cursor == '0'
table.sort(lines)
return { redis.sha1hex(table.concat(lines, '\\n')), #lines }
`;

export interface StoreState {
  digest: string;
  keys: number;
  queued: number;
}

export interface FuzzApp {
  t: TestApp;
  app: FastifyInstance;
  /** What the store and the queue hold now: compared before and after every rejected request. */
  state(): Promise<StoreState>;
  /** The checks after one case: below 500; a rejection is a problem with a code and wrote nothing. */
  check(res: LightMyRequestResponse, before: StoreState, what: string): Promise<void>;
  /** Cancels and deletes every queued job, deletes every dataset, but those in `keep`: what accepted cases made goes again. */
  sweep(keep?: Set<string>): Promise<void>;
  /** GET /healthz answers 200: the process and its Redis connection survived. */
  expectAlive(): Promise<void>;
  close(): Promise<void>;
}

/** Rate limits out of the way (fuzz volume is not abuse); small upload caps make gzip bombs cheap. */
export const FUZZ_ENV: Record<string, string> = {
  RATE_LIMIT_READS_PER_MINUTE: '100000000',
  RATE_LIMIT_WRITES_PER_MINUTE: '100000000',
  DATASET_MAX_BYTES: String(4 * 1024 * 1024),
  BODY_LIMIT_BYTES: String(4 * 1024 * 1024),
};

export async function startFuzzApp(env: Record<string, string> = {}): Promise<FuzzApp> {
  const redis: PrivateRedis = await startRedis();
  const prefix = 'fuzz';
  const t = await startApp({ ...FUZZ_ENV, ...env }, prefix, redis.url);
  const app = t.app;
  // BullMQ writes a queue's meta key when it first connects: let that happen before any case.
  await app.queues.train.waitUntilReady();
  await app.queues.train.count();
  const state = async (): Promise<StoreState> => {
    const [digest, keys] = (await t.redis.eval(DIGEST_LUA, 0, `${prefix}:*`, `${prefix}:rate-limit:`, `${prefix}:apikey:`)) as [
      string,
      number,
    ];
    return { digest, keys, queued: await app.queues.train.count() };
  };
  return {
    t,
    app,
    state,
    async check(res, before, what) {
      const context = `${what} -> ${res.statusCode} ${res.body.slice(0, 500)}`;
      expect(res.statusCode, context).toBeLessThan(500);
      if (res.statusCode < 400) return;
      expect(String(res.headers['content-type']), context).toMatch(/^application\/problem\+json/);
      const problem = res.json() as { status?: unknown; code?: unknown; detail?: unknown };
      expect(problem.status, context).toBe(res.statusCode);
      expect(typeof problem.code, context).toBe('string');
      expect(typeof problem.detail, context).toBe('string');
      const after = await state();
      expect(after, `${context}\na rejected request changed the store or the queue`).toEqual(before);
    },
    async sweep(keep = new Set<string>()) {
      const list = async (url: string) => ((await app.inject({ method: 'GET', url })).json() as { items: { id: string }[] }).items;
      for (const { id } of await list('/v1/jobs?limit=200&status=queued')) {
        if (keep.has(id)) continue;
        expect((await app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel` })).statusCode).toBe(202);
        expect((await app.inject({ method: 'DELETE', url: `/v1/jobs/${id}` })).statusCode).toBe(204);
      }
      for (const { id } of await list('/v1/datasets?limit=200')) {
        if (keep.has(id)) continue;
        const del = await app.inject({ method: 'DELETE', url: `/v1/datasets/${id}` });
        // The inline samples of a kept (unfinished) job stay: 409 dataset-in-use, naming only kept jobs.
        const inUse = del.statusCode === 409 && (del.json() as { jobs: string[] }).jobs.every((j) => keep.has(j));
        if (!inUse) expect(del.statusCode, del.body).toBe(204);
      }
    },
    async expectAlive() {
      const health = await app.inject({ method: 'GET', url: '/healthz' });
      expect(health.statusCode, health.body).toBe(200);
      // ...and its Redis connection still serves requests.
      const list = await app.inject({ method: 'GET', url: '/v1/jobs?limit=1' });
      expect(list.statusCode, list.body).toBe(200);
    },
    async close() {
      await t.close();
      await redis.stop();
    },
  };
}
