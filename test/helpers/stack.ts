// A real Convoy stack for end-to-end tests: API and worker processes spawned from dist (npm test
// builds first) against the run's private Redis (inject('redisUrl')), each stack with its own key
// prefix so test files never see each other's jobs. Processes are stopped with SIGTERM (SIGKILL
// after a timeout); kill() sends any signal, for crash tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_AUTH, TEST_ADMIN_KEY } from './auth.js';
import { freePort } from './redis-server.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const API_ENTRY = resolve(ROOT, 'dist/src/server/main.js');
const WORKER_ENTRY = resolve(ROOT, 'dist/workers/main.js');

export interface Proc {
  kind: 'api' | 'worker';
  child: ChildProcess;
  /** Every line the process logged (pino JSON), for assertions and failure messages. */
  lines: string[];
  exited: Promise<number | null>;
  url?: string;
}

export interface StackOptions {
  redisUrl: string;
  apis?: number;
  workers?: number;
  /** Extra environment for every process. */
  env?: Record<string, string>;
  /** Extra environment for worker processes. */
  workerEnv?: Record<string, string>;
}

/** Fast crash detection and frequent checkpoints, so crash tests take seconds. */
export const FAST_RECOVERY_ENV = {
  LOCK_DURATION_MS: '1500',
  STALLED_INTERVAL_MS: '750',
  HEARTBEAT_MS: '250',
};

export class Stack {
  readonly prefix = `e2e-${randomUUID().slice(0, 8)}`;
  readonly apis: Proc[] = [];
  readonly workers: Proc[] = [];

  constructor(private readonly options: StackOptions) {}

  /** The first API's base URL. */
  get url(): string {
    return this.apis[0]!.url!;
  }

  private env(extra: Record<string, string>): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      REDIS_URL: this.options.redisUrl,
      REDIS_PREFIX: this.prefix,
      LOG_LEVEL: 'info',
      POOL_THREADS: '1',
      HEARTBEAT_MS: '250',
      READY_WORKER_WITHIN_MS: '2000',
      CONVOY_ADMIN_KEY: TEST_ADMIN_KEY,
      // as `npm start`, `npm run start:worker` and the Docker image set it (docs/operations.md)
      MALLOC_MMAP_THRESHOLD_: '131072',
      ...this.options.env,
      ...extra,
    };
  }

  private spawnProc(kind: Proc['kind'], entry: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Proc {
    const child = spawn(process.execPath, [...nodeArgs, entry], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let partial = '';
    const onData = (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const parts = text.split('\n');
      partial = parts.pop()!;
      lines.push(...parts.filter(Boolean));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    return { kind, child, lines, exited };
  }

  async addApi(env: Record<string, string> = {}): Promise<Proc> {
    const port = await freePort();
    const proc = this.spawnProc('api', API_ENTRY, this.env({ PORT: String(port), HOST: '127.0.0.1', ...env }));
    proc.url = `http://127.0.0.1:${port}`;
    this.apis.push(proc);
    await waitFor(
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`api exited: ${proc.lines.slice(-5).join('\n')}`);
        const res = await fetch(`${proc.url}/healthz`).catch(() => undefined);
        return res?.ok === true;
      },
      20_000,
      () => `api did not start: ${proc.lines.slice(-5).join('\n')}`,
    );
    return proc;
  }

  /** nodeArgs: flags for node itself, e.g. `--experimental-wasm-relaxed-simd` (the FMA kernels). */
  async addWorker(env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Proc> {
    const proc = this.spawnProc('worker', WORKER_ENTRY, this.env({ ...this.options.workerEnv, ...env }), nodeArgs);
    this.workers.push(proc);
    await waitFor(
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`worker exited: ${proc.lines.slice(-5).join('\n')}`);
        return proc.lines.some((l) => l.includes('"worker ready"'));
      },
      20_000,
      () => `worker did not start: ${proc.lines.slice(-5).join('\n')}`,
    );
    return proc;
  }

  /** Starts the configured processes and waits until the first API reports ready (worker heartbeat seen). */
  async start(): Promise<this> {
    await Promise.all([
      ...Array.from({ length: this.options.apis ?? 1 }, () => this.addApi()),
      ...Array.from({ length: this.options.workers ?? 1 }, () => this.addWorker()),
    ]);
    if ((this.options.workers ?? 1) > 0) {
      await waitFor(
        async () => (await fetch(`${this.url}/readyz`).catch(() => undefined))?.ok === true,
        20_000,
        () => 'api not ready',
      );
    }
    return this;
  }

  /** Sends a signal (default SIGKILL) and waits for the process to exit. */
  async kill(proc: Proc, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill(signal);
    return proc.exited;
  }

  /** Stops every worker process (SIGTERM), e.g. between tests that each want their own. */
  async stopWorkers(): Promise<void> {
    await this.stopProcs(this.workers);
  }

  async stop(): Promise<void> {
    await this.stopProcs([...this.workers, ...this.apis]);
  }

  private async stopProcs(procs: Proc[]): Promise<void> {
    await Promise.all(
      procs.map(async (p) => {
        if (p.child.exitCode !== null || p.child.signalCode !== null) return;
        p.child.kill('SIGTERM');
        const timer = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
        await p.exited;
        clearTimeout(timer);
      }),
    );
  }
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const stack = new Stack(options);
  try {
    return await stack.start();
  } catch (err) {
    await stack.stop();
    throw err;
  }
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(what());
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---- HTTP helpers ------------------------------------------------------------------------------

export async function postJson<T = unknown>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...ADMIN_AUTH, ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

export async function getJson<T = unknown>(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url, { headers: { accept: 'application/json', ...ADMIN_AUTH, ...headers } });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

/** Polls GET /v1/jobs/{id} until the job has ended (succeeded, failed or cancelled); its document. */
export async function jobEnded<Doc extends { status: string; stage?: string; attempt?: number }>(
  base: string,
  id: string,
  timeoutMs = 60_000,
  context: () => string = () => '',
): Promise<Doc> {
  let doc: Doc | undefined;
  await waitFor(
    async () => {
      doc = (await getJson<Doc>(`${base}/v1/jobs/${id}`)).body;
      return ['succeeded', 'failed', 'cancelled'].includes(doc.status);
    },
    timeoutMs,
    () => `job ${id} never ended: ${doc?.status}/${doc?.stage}, attempt ${doc?.attempt} ${context()}`,
  );
  return doc!;
}

export interface SseFrame {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * Reads an event stream with fetch (undici) until `until` says stop or the server ends it.
 * A plain reader: tests that need exact control of Last-Event-ID use it next to the real
 * `eventsource` client.
 */
export async function readSse(
  url: string,
  options: {
    lastEventId?: string;
    until?: (frame: SseFrame, all: SseFrame[]) => boolean;
    timeoutMs?: number;
    headers?: Record<string, string>;
  } = {},
): Promise<SseFrame[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), options.timeoutMs ?? 30_000);
  const frames: SseFrame[] = [];
  try {
    const res = await fetch(url, {
      headers: {
        accept: 'text/event-stream',
        ...ADMIN_AUTH,
        ...options.headers,
        ...(options.lastEventId ? { 'last-event-id': options.lastEventId } : {}),
      },
      signal: ac.signal,
    });
    if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body) {
      buf += decoder.decode(chunk as Uint8Array, { stream: true });
      for (let cut = buf.indexOf('\n\n'); cut >= 0; cut = buf.indexOf('\n\n')) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        const frame: SseFrame = { id: undefined, event: 'message', data: '' };
        let hasData = false;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const i = line.indexOf(':');
          const field = i < 0 ? line : line.slice(0, i);
          const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
          if (field === 'id') frame.id = value;
          else if (field === 'event') frame.event = value;
          else if (field === 'data') {
            frame.data += (hasData ? '\n' : '') + value;
            hasData = true;
          }
        }
        if (!hasData) continue;
        frames.push(frame);
        if (options.until?.(frame, frames)) {
          ac.abort();
          return frames;
        }
      }
    }
    return frames;
  } catch (err) {
    if (ac.signal.aborted) return frames;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
