// `npm start`: API and worker in one process (dist/src/main.js) train a job end to end, and SIGTERM
// stops it cleanly.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, inject, it } from 'vitest';
import type { JobAccepted, JobDocument } from '../../src/contracts/index.js';
import { bearer } from '../helpers/auth.js';
import { freePort } from '../helpers/redis-server.js';
import { getJson, postJson, readSse, waitFor } from '../helpers/stack.js';
import { toySpec } from '../helpers/jobs.js';

it('npm start creates its admin key file (mode 0600), serves the API with it and trains in one process', async () => {
  const port = await freePort();
  const keyFile = join(mkdtempSync(join(tmpdir(), 'convoy-admin-')), 'nested', 'admin.key');
  const child = spawn(process.execPath, [resolve('dist/src/main.js')], {
    env: {
      CONVOY_ADMIN_KEY_FILE: keyFile,
      PATH: process.env.PATH,
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: `single-${randomUUID().slice(0, 8)}`,
      PORT: String(port),
      POOL_THREADS: '1',
      HEARTBEAT_MS: '250',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout.on('data', (c: Buffer) => (logs += c.toString()));
  child.stderr.on('data', (c: Buffer) => (logs += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.ok === true,
      20_000,
      () => `not ready:\n${logs}`,
    );
    expect(logs).toMatch(/"source":"REDIS_URL"/);
    // The key is in the file, readable by its owner only; the log names the file, never the key.
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(key).toMatch(/^cvy_[A-Za-z0-9_-]{43}$/);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(logs).toContain(keyFile);
    expect(logs).not.toContain(key);
    const auth = bearer(key);
    expect((await postJson(`${url}/v1/jobs`, toySpec(), { authorization: 'Bearer cvy_wrong' })).status).toBe(401);
    const res = await postJson<JobAccepted>(`${url}/v1/jobs`, toySpec({ epochs: 2 }), auth);
    expect(res.status).toBe(202);
    const frames = await readSse(`${url}/v1/jobs/${res.body.id}/events`, { until: (f) => f.event === 'completed', headers: auth });
    expect(frames.at(-1)?.event).toBe('completed');
    expect((await getJson<JobDocument>(`${url}/v1/jobs/${res.body.id}`, auth)).body.status).toBe('succeeded');
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  expect(logs).toMatch(/worker stopped/);
});
