// The webhook dispatcher of one API process against the run's Redis and a real receiver, with
// WEBHOOK_ALLOWED_HOSTS=* (any public address): a destination that resolves to a private address at
// delivery time is refused on connect, recorded once and not retried, and the receiver hears
// nothing; an ended job with no URL anywhere is taken off the outbox without a delivery.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failedEvent, queuedJobDocument, statusEvent } from '../../src/store/index.js';
import { startWebhooks, type WebhookDispatcher } from '../../src/server/webhooks/dispatcher.js';
import { waitFor } from '../helpers/stack.js';
import { toySpec } from '../helpers/jobs.js';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.js';
import { startApp, type TestApp } from './helpers.js';

let t: TestApp;
let dispatcher: WebhookDispatcher;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  t = await startApp({ WEBHOOK_ALLOWED_HOSTS: '*', WEBHOOK_BACKOFF_MS: '50', WEBHOOK_ATTEMPTS: '5', WEBHOOK_OUTBOX_POLL_MS: '50' });
  dispatcher = await startWebhooks(t.app, t.config);
});
afterAll(async () => {
  await dispatcher?.stop();
  await t?.close();
  await receiver?.close();
});

/** A job written straight to the store (as if its URL had passed the check at submit) that then fails. */
async function endedJob(url?: string): Promise<string> {
  const id = `j${randomUUID().slice(0, 8)}`;
  const spec = { ...toySpec(), ...(url ? { webhook: { url } } : {}) };
  const doc = queuedJobDocument(id, spec, 4, 'acme');
  await t.app.store.create(doc, statusEvent(doc));
  const error = { code: 'x', message: 'it failed' };
  await t.app.store.update(id, { status: 'failed', stage: 'done', error }, { event: failedEvent(error, 0) });
  return id;
}

describe('the webhook dispatcher', () => {
  it('refuses, on connect, a wildcard-allowed name that resolves to a private address: one record, no retry', async () => {
    const port = new URL(receiver.url).port;
    const id = await endedJob(`http://localhost:${port}/private`);
    await waitFor(
      async () => (await t.app.webhooks.deliveries(id)).length > 0,
      10_000,
      () => 'no delivery recorded',
    );
    await new Promise((r) => setTimeout(r, 400)); // long enough for two retries, were there any
    const items = await t.app.webhooks.deliveries(id);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ attempt: 1, ok: false, statusCode: null, willRetry: false });
    expect(items[0]!.error).toMatch(/^refused: localhost resolves to .*not a public address/);
    expect(receiver.received).toHaveLength(0);
    expect(await (await dispatcher.queue.getJob(`wh-${id}`))?.getState()).toBe('failed');
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/^convoy_webhook_attempts_total\{outcome="refused"\} 1$/m);
    expect(metrics).toMatch(/^convoy_webhooks_owed \d+$/m);
  });

  it('drops an ended job that has no URL (nor a tenant default) from the outbox, queueing nothing', async () => {
    const id = await endedJob();
    await waitFor(
      async () => !(await t.app.webhooks.owed(1000)).some((o) => o.jobId === id),
      10_000,
      () => 'still owed',
    );
    expect(await dispatcher.queue.getJob(`wh-${id}`)).toBeUndefined();
    expect(await t.app.webhooks.deliveries(id)).toEqual([]);
  });
});
