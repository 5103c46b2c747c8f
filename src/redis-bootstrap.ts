// Find a Redis for `npm start`: REDIS_URL if set; else 127.0.0.1:6379 if it answers; else a private
// `redis-server` child with its data under .convoy/redis (AOF on, so a restart loses at most ~1 s).
// With no Redis and no redis-server binary it fails with a message saying how to get one.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface ResolvedRedis {
  url: string;
  source: 'REDIS_URL' | 'local' | 'private';
  /** Stops the private redis-server (no-op otherwise). */
  stop(): Promise<void>;
}

export class NoRedisError extends Error {
  constructor() {
    super(
      'No Redis found: REDIS_URL is not set, nothing answers on 127.0.0.1:6379, and there is no ' +
        '`redis-server` on PATH. Either set REDIS_URL=redis://host:6379, install Redis ' +
        '(Debian/Ubuntu: `apt-get install redis-server`; macOS: `brew install redis`), ' +
        'or run one with `docker compose up -d redis` (docker-compose.yml in this repository).',
    );
    this.name = 'NoRedisError';
  }
}

export async function pingRedis(url: string, timeoutMs = 1000): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    enableOfflineQueue: false,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

function hasRedisServer(bin: string): boolean {
  const r = spawnSync(bin, ['--version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => ok(port));
    });
  });
}

export interface ResolveRedisOptions {
  url?: string | undefined;
  dataDir?: string;
  binary?: string;
  localUrl?: string;
  log: Logger;
}

export async function resolveRedis(options: ResolveRedisOptions): Promise<ResolvedRedis> {
  const { log } = options;
  const noop = async () => {};
  if (options.url) {
    log.info({ redis: redact(options.url), source: 'REDIS_URL' }, 'using Redis from REDIS_URL');
    return { url: options.url, source: 'REDIS_URL', stop: noop };
  }
  const localUrl = options.localUrl ?? 'redis://127.0.0.1:6379';
  if (await pingRedis(localUrl, 500)) {
    log.info({ redis: localUrl, source: 'local' }, 'REDIS_URL not set; using the Redis answering on 127.0.0.1:6379');
    return { url: localUrl, source: 'local', stop: noop };
  }
  const binary = options.binary ?? 'redis-server';
  if (!hasRedisServer(binary)) throw new NoRedisError();

  const dir = resolve(options.dataDir ?? '.convoy/redis');
  mkdirSync(dir, { recursive: true });
  // A private redis-server left running by an earlier `npm start` that died without stopping it
  // still owns this data directory: reuse it rather than start a second one on the same files.
  const portFile = join(dir, 'port');
  const previous = readPort(portFile);
  if (previous !== undefined && (await pingRedis(`redis://127.0.0.1:${previous}`, 300))) {
    const url = `redis://127.0.0.1:${previous}`;
    log.info({ redis: url, source: 'private', dataDir: dir }, 'reusing the private redis-server an earlier run left running');
    return { url, source: 'private', stop: noop };
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      '--logfile',
      join(dir, 'redis.log'),
    ],
    { stdio: 'ignore' },
  );
  let exited = false;
  child.once('exit', () => (exited = true));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  while (!(await pingRedis(url, 500))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`could not start a private redis-server (${binary}) in ${dir}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  writeFileSync(portFile, String(port));
  log.info(
    { redis: url, source: 'private', dataDir: dir, pid: child.pid },
    'no REDIS_URL and nothing on 127.0.0.1:6379; started a private redis-server (AOF on)',
  );
  return {
    url,
    source: 'private',
    async stop() {
      if (exited) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM'); // redis-server flushes its AOF and exits on SIGTERM
      await done;
    },
  };
}

function readPort(file: string): number | undefined {
  try {
    const port = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(port) && port > 0 && port < 65_536 ? port : undefined;
  } catch {
    return undefined;
  }
}

/** A Redis URL without its password, for logs. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
