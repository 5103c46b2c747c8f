// Webhooks with the default configuration (WEBHOOK_ALLOWED_HOSTS unset): off, and said so. A
// submission, a validation or a tenant default naming a URL is a 400 naming the field; the secret
// can still be read and rotated (so a receiver can be set up before webhooks are turned on).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, tinyJob, type TestApp } from './helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t?.close();
});

describe('webhooks off (WEBHOOK_ALLOWED_HOSTS unset)', () => {
  it('refuses a submission or a validation with a webhook: 400 naming /webhook/url and the variable', async () => {
    for (const url of ['/v1/jobs', '/v1/jobs/validate']) {
      const res = await t.app.inject({ method: 'POST', url, payload: tinyJob({ webhook: { url: 'https://hooks.example.com/x' } }) });
      expect(res.statusCode, url).toBe(400);
      expect(res.json(), url).toMatchObject({ field: '/webhook/url', code: 'invalid' });
      expect(res.json().detail).toContain('WEBHOOK_ALLOWED_HOSTS is empty');
    }
    const malformed = await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob({ webhook: { url: 'hooks' } }) });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().field).toBe('/webhook/url');
    const extra = await t.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: tinyJob({ webhook: { url: 'https://a.b/', secret: 'x' } }),
    });
    expect(extra.statusCode).toBe(400);
  });

  it("refuses a tenant default URL, removes one with null, and serves the tenant's secret", async () => {
    const put = (url: string | null) => t.app.inject({ method: 'PUT', url: '/v1/tenants/acme/webhook', payload: { url } });
    const refused = await put('https://hooks.example.com/x');
    expect(refused.statusCode).toBe(400);
    expect(refused.json().field).toBe('/url');
    const cleared = await put(null);
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json()).toMatchObject({ tenant: 'acme', url: null, secret: expect.stringMatching(/^whsec_/) });
    const read = await t.app.inject({ url: '/v1/tenants/acme/webhook' });
    expect(read.json().secret).toBe(cleared.json().secret);
    const rotated = await t.app.inject({ method: 'POST', url: '/v1/tenants/acme/webhook/secret' });
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json().secret).not.toBe(read.json().secret);
  });

  it('answers 404 for the deliveries of a job that does not exist, 401 without a key', async () => {
    expect((await t.app.inject({ url: '/v1/jobs/nope/deliveries' })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/v1/jobs/nope/deliveries', headers: { authorization: undefined } })).statusCode).toBe(401);
  });
});
