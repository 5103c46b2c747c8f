// `npm start`: API and worker in one process (dist/src/main.js) train a job end to end, and SIGTERM
// stops it cleanly.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { expect, inject, it } from 'vitest';
import type { JobAccepted, JobDocument } from '../../src/contracts/index.js';
import { freePort } from '../helpers/redis-server.js';
import { getJson, postJson, readSse, waitFor } from '../helpers/stack.js';
import { toySpec } from '../helpers/jobs.js';

it('npm start serves the API and trains in one process', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [resolve('dist/src/main.js')], {
    env: {
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
    const res = await postJson<JobAccepted>(`${url}/v1/jobs`, toySpec({ epochs: 2 }));
    expect(res.status).toBe(202);
    const frames = await readSse(`${url}/v1/jobs/${res.body.id}/events`, { until: (f) => f.event === 'completed' });
    expect(frames.at(-1)?.event).toBe('completed');
    expect((await getJson<JobDocument>(`${url}/v1/jobs/${res.body.id}`)).body.status).toBe('succeeded');
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  expect(logs).toMatch(/worker stopped/);
});
