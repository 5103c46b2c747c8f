// `npm run keys -- create | list | revoke`: API keys managed from the command line, straight in
// Redis, with no API running; the API then accepts (and, once revoked, refuses) the key.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startApp, type TestApp } from '../api/helpers.js';
import { bearer } from '../helpers/auth.js';

const prefix = `cli-${randomUUID().slice(0, 8)}`;
const keys = (...args: string[]) =>
  promisify(execFile)('npx', ['tsx', 'src/cli/keys.ts', ...args], {
    env: { ...process.env, REDIS_URL: inject('redisUrl'), REDIS_PREFIX: prefix, LOG_LEVEL: 'silent' },
  });

let t: TestApp;
beforeAll(async () => {
  t = await startApp({}, prefix);
});
afterAll(async () => {
  await t?.close();
});

describe('npm run keys', () => {
  it('creates a key the API accepts, lists it without its secret, revokes it', async () => {
    const created = JSON.parse((await keys('create', '--tenant', 'acme', '--name', 'ci')).stdout) as {
      key: string;
      id: string;
      role: string;
    };
    expect(created).toMatchObject({ tenant: 'acme', name: 'ci', role: 'member', key: expect.stringMatching(/^cvy_/) });
    const res = await t.app.inject({ url: '/v1/jobs', headers: bearer(created.key) });
    expect(res.statusCode).toBe(200);

    const listed = (await keys('list', '--tenant', 'acme')).stdout;
    expect(listed).toContain(created.id);
    expect(listed).not.toContain(created.key);

    expect((await keys('revoke', created.id)).stdout).toContain(`revoked ${created.id}`);
    expect((await t.app.inject({ url: '/v1/jobs', headers: bearer(created.key) })).statusCode).toBe(401);
  });

  it('refuses bad input with a message and exit code 2 (unknown id: 1)', async () => {
    const bad = await keys('create', '--tenant', 'Not Valid', '--name', 'x').catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/--tenant/);
    const unknown = await keys('revoke', 'key_doesnotexist').catch((e: { code: number; stderr: string }) => e);
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringContaining('no key key_doesnotexist') });
  });
});
