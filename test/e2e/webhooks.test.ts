// Webhooks end to end: real API and worker processes, a real local receiver. A receiver that fails
// twice before accepting gets three signed attempts, each recorded on the job; cancelled and failed
// jobs deliver too (to the tenant's default URL); destinations outside WEBHOOK_ALLOWED_HOSTS are a
// 400 at submit; one tenant never sees another's deliveries. Signatures are checked with node:crypto
// and with the verification function docs/clients.md shows.
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Delivery, JobSpec, TenantWebhook, WebhookPayload } from '../../src/contracts/index.js';
import { authedFetch, bearer } from '../helpers/auth.js';
import { toySpec } from '../helpers/jobs.js';
import { getJson, jobEnded, postJson, readSse, startStack, waitFor, type Stack } from '../helpers/stack.js';
import { startReceiver, type Received, type Receiver } from '../helpers/webhook-receiver.js';

type Verify = (secret: string, headers: Record<string, unknown>, body: string) => boolean;

let stack: Stack;
let receiver: Receiver;
let dir: string;
let verifyWebhook: Verify;

/** The ```js block of docs/clients.md's "## Webhooks" section, imported as a module. */
async function docsVerifier(): Promise<Verify> {
  const docs = readFileSync(new URL('../../docs/clients.md', import.meta.url), 'utf8');
  const block = /```js\n([\s\S]*?)```/.exec(docs.slice(docs.indexOf('## Webhooks')));
  if (!block) throw new Error('docs/clients.md has no js block under "## Webhooks"');
  const file = join(dir, 'verify.mjs');
  writeFileSync(file, block[1]!);
  return ((await import(pathToFileURL(file).href)) as { verifyWebhook: Verify }).verifyWebhook;
}

beforeAll(async () => {
  // /flaky fails twice before accepting; every other path accepts at once.
  receiver = await startReceiver((path, n) => (path === '/flaky' && n <= 2 ? 500 : 200));
  stack = await startStack({
    redisUrl: inject('redisUrl'),
    apis: 1,
    workers: 1,
    env: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_BACKOFF_MS: '100', WEBHOOK_ATTEMPTS: '4', WEBHOOK_OUTBOX_POLL_MS: '50' },
  });
  dir = mkdtempSync(join(tmpdir(), 'convoy-webhooks-'));
  verifyWebhook = await docsVerifier();
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function newKey(tenant: string): Promise<string> {
  const res = await postJson<{ key: string }>(`${stack.url}/v1/keys`, { tenant, name: 'webhooks', role: 'member' });
  expect(res.status).toBe(201);
  return res.body.key;
}

async function submit(spec: JobSpec & { webhook?: { url: string } }, key?: string): Promise<string> {
  const res = await postJson<{ id: string }>(`${stack.url}/v1/jobs`, spec, key ? bearer(key) : {});
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.id;
}

/** Waits until the job's deliveries satisfy `done`; the deliveries. */
async function deliveriesOf(id: string, done: (d: Delivery[]) => boolean, key?: string): Promise<Delivery[]> {
  let items: Delivery[] = [];
  await waitFor(
    async () => {
      items = (await getJson<{ items: Delivery[] }>(`${stack.url}/v1/jobs/${id}/deliveries`, key ? bearer(key) : {})).body.items;
      return done(items);
    },
    30_000,
    () => `deliveries of ${id}: ${JSON.stringify(items)}`,
  );
  return items;
}

/** The HMAC the receiver expects, computed here independently of the service's code. */
function expectSigned(r: Received, secret: string): void {
  const id = r.headers['webhook-id'] as string;
  const timestamp = r.headers['webhook-timestamp'] as string;
  const mac = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
    .update(`${id}.${timestamp}.${r.body}`)
    .digest('base64');
  expect(r.headers['webhook-signature']).toBe(`v1,${mac}`);
  expect(Math.abs(Date.now() / 1000 - Number(timestamp))).toBeLessThan(60);
  expect(verifyWebhook(secret, r.headers, r.body)).toBe(true);
  expect(verifyWebhook(secret, r.headers, `${r.body} `)).toBe(false); // one byte changed
}

const secretOf = async (tenant: string, key?: string) =>
  (await getJson<TenantWebhook>(`${stack.url}/v1/tenants/${tenant}/webhook`, key ? bearer(key) : {})).body.secret;

describe('webhooks', () => {
  it('a receiver failing twice gets three signed attempts, each recorded; the last succeeds', async () => {
    const id = await submit({ ...toySpec({ epochs: 1 }, 32), webhook: { url: `${receiver.url}/flaky` } });
    const items = await deliveriesOf(id, (d) => d.some((x) => x.ok));
    expect(items.map((d) => [d.attempt, d.statusCode, d.ok, d.willRetry])).toEqual([
      [1, 500, false, true],
      [2, 500, false, true],
      [3, 200, true, false],
    ]);
    expect(items[0]!.error).toContain('500');
    expect(items[2]!.error).toBeNull();
    for (const d of items) expect(Date.parse(d.finishedAt)).toBeGreaterThanOrEqual(Date.parse(d.startedAt));
    // exponential backoff: 100 ms before the first retry, 200 ms before the second
    expect(Date.parse(items[2]!.startedAt) - Date.parse(items[1]!.finishedAt)).toBeGreaterThanOrEqual(150);

    const got = receiver.on('/flaky');
    expect(got.map((r) => r.answered)).toEqual([500, 500, 200]);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1); // one message, retried
    expect(new Set(got.map((r) => r.body)).size).toBe(1);
    const secret = await secretOf('default');
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    for (const r of got) expectSigned(r, secret);
    const payload = JSON.parse(got[2]!.body) as WebhookPayload;
    expect(payload).toMatchObject({ type: 'job.succeeded', data: { jobId: id, tenant: 'default', status: 'succeeded' } });
    expect(payload.data.event.type).toBe('completed');
    expect(payload.data.event.data).toMatchObject({ weights: { href: expect.stringContaining(id) } });
    expect(JSON.stringify(payload)).not.toContain('"tensors"');
  });

  it('cancelled and failed jobs deliver to the tenant default URL, signed with the tenant secret', async () => {
    const key = await newKey('hooked');
    const put = await authedFetch(`${stack.url}/v1/tenants/hooked/webhook`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...bearer(key) },
      body: JSON.stringify({ url: `${receiver.url}/hooked` }),
    });
    expect(put.status).toBe(200);

    const running = await submit(toySpec({ epochs: 500, batchSize: 4 }, 256), key);
    await readSse(`${stack.url}/v1/jobs/${running}/events`, { until: (f) => f.event === 'progress' });
    expect((await postJson(`${stack.url}/v1/jobs/${running}/cancel`, {}, bearer(key))).status).toBe(202);
    const diverging = toySpec({ optimizer: { type: 'sgd', learningRate: 10 }, loss: 'mse', epochs: 5 });
    if ('inline' in diverging.dataset)
      diverging.dataset.inline.samples = diverging.dataset.inline.samples.map((s) => s.map((v) => v * 1e6));
    const failing = await submit(diverging, key);
    expect((await jobEnded(stack.url, failing)).status).toBe('failed');

    for (const [id, type] of [
      [running, 'job.cancelled'],
      [failing, 'job.failed'],
    ] as const) {
      const [d] = await deliveriesOf(id, (x) => x.length > 0, key);
      expect(d).toMatchObject({ attempt: 1, statusCode: 200, ok: true, url: `${receiver.url}/hooked` });
      const r = receiver.on('/hooked').find((x) => (JSON.parse(x.body) as WebhookPayload).data.jobId === id);
      expect(r, `no delivery of ${id}`).toBeDefined();
      expect(JSON.parse(r!.body)).toMatchObject({ type, data: { tenant: 'hooked' } });
      expectSigned(r!, await secretOf('hooked', key));
    }

    // a rotated secret signs what comes next; the old one no longer verifies it
    const before = await secretOf('hooked', key);
    const rotated = await postJson<TenantWebhook>(`${stack.url}/v1/tenants/hooked/webhook/secret`, {}, bearer(key));
    expect(rotated.body.secret).not.toBe(before);
    const next = await submit(toySpec({ epochs: 1 }, 32), key);
    await deliveriesOf(next, (x) => x.some((d) => d.ok), key);
    const r = receiver.on('/hooked').find((x) => (JSON.parse(x.body) as WebhookPayload).data.jobId === next)!;
    expectSigned(r, rotated.body.secret);
    expect(verifyWebhook(before, r.headers, r.body)).toBe(false);
  });

  it('refuses destinations outside WEBHOOK_ALLOWED_HOSTS with a 400 naming the field', async () => {
    for (const url of ['http://localhost:9/x', 'http://10.0.0.1/x', 'ftp://127.0.0.1/x']) {
      const res = await postJson<{ field: string; detail: string }>(`${stack.url}/v1/jobs`, {
        ...toySpec({ epochs: 1 }, 32),
        webhook: { url },
      });
      expect(res.status, url).toBe(400);
      expect(res.body.field, url).toBe('/webhook/url');
    }
    const res = await postJson<{ detail: string }>(`${stack.url}/v1/jobs`, {
      ...toySpec({ epochs: 1 }, 32),
      webhook: { url: 'http://localhost:9/x' },
    });
    expect(res.body.detail).toContain('WEBHOOK_ALLOWED_HOSTS');
    const put = await authedFetch(`${stack.url}/v1/tenants/default/webhook`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'http://192.168.1.1/' }),
    });
    expect(put.status).toBe(400);
    expect(((await put.json()) as { field: string }).field).toBe('/url');
  });

  it("a tenant sees its own jobs' deliveries and secret, never another's", async () => {
    const [mine, theirs] = [await newKey('mine'), await newKey('theirs')];
    const id = await submit({ ...toySpec({ epochs: 1 }, 32), webhook: { url: `${receiver.url}/mine` } }, mine);
    const items = await deliveriesOf(id, (d) => d.some((x) => x.ok), mine);
    expect(items).toHaveLength(1);
    expect((await getJson(`${stack.url}/v1/jobs/${id}/deliveries`, bearer(theirs))).status).toBe(404);
    expect((await getJson(`${stack.url}/v1/tenants/mine/webhook`, bearer(theirs))).status).toBe(403);
    expect((await postJson(`${stack.url}/v1/tenants/mine/webhook/secret`, {}, bearer(theirs))).status).toBe(403);
    expectSigned(receiver.on('/mine')[0]!, await secretOf('mine', mine));
    expect(await secretOf('theirs', theirs)).not.toBe(await secretOf('mine', mine));
  });
});
