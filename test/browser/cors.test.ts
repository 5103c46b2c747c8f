// A dashboard on another origin, in a real browser (Debian chromium through playwright-core):
// with its origin in CORS_ORIGINS it submits a job with a key (a preflighted fetch), reads the
// Location header, and follows the job's events with EventSource and a stream token; from an
// origin that is not listed, the browser refuses both.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startApp, tinyJob, type TestApp } from '../api/helpers.js';
import { TEST_ADMIN_KEY } from '../helpers/auth.js';
import { launchChromium } from '../helpers/browser.js';

/** The page a third-party dashboard would serve: submit with the key, get a stream token, follow the job. */
const DASHBOARD = `<!doctype html><title>dash</title><script>
window.run = async (api, key, job) => {
  const out = {};
  try {
    const res = await fetch(api + '/v1/jobs', {
      method: 'POST',
      headers: { authorization: 'Bearer ' + key, 'content-type': 'application/json' },
      body: JSON.stringify(job),
    });
    out.submit = res.status;
    out.location = res.headers.get('location');
    out.rateLimit = res.headers.get('ratelimit-limit');
    const { id } = await res.json();
    const tok = await (await fetch(api + '/v1/stream-tokens', { method: 'POST', headers: { authorization: 'Bearer ' + key } })).json();
    out.firstEvent = await new Promise((resolve) => {
      const es = new EventSource(api + '/v1/jobs/' + id + '/events?token=' + tok.token);
      es.addEventListener('snapshot', (e) => { es.close(); resolve(JSON.parse(e.data).status); });
      es.onerror = () => { es.close(); resolve('error'); };
    });
  } catch (err) {
    out.error = String(err);
  }
  return out;
};
</script>`;

/** Serves DASHBOARD on an origin of its own. */
async function originServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(DASHBOARD));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

type Run = (api: string, key: string, job: object) => Promise<Record<string, unknown>>;
const run = (args: [string, string, object]) => (globalThis as unknown as { run: Run }).run(...args);

describe('CORS in a browser', () => {
  let t: TestApp;
  let api: string;
  let browser: Browser;
  let allowed: Awaited<ReturnType<typeof originServer>>;
  let other: Awaited<ReturnType<typeof originServer>>;

  beforeAll(async () => {
    allowed = await originServer();
    other = await originServer();
    t = await startApp({ CORS_ORIGINS: `https://example.invalid, ${allowed.origin}` });
    api = await t.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    allowed?.server.close();
    other?.server.close();
  });

  it('a listed origin submits with a key and streams with a stream token', async () => {
    const page = await browser.newPage();
    await page.goto(allowed.origin);
    const result = await page.evaluate(run, [api, TEST_ADMIN_KEY, tinyJob()] as [string, string, object]);
    expect(result).toMatchObject({ submit: 202, location: expect.stringMatching(/^\/v1\/jobs\//), rateLimit: '120', firstEvent: 'queued' });
  });

  it('an origin that is not listed is refused by the browser', async () => {
    const page = await browser.newPage();
    await page.goto(other.origin);
    const result = await page.evaluate(run, [api, TEST_ADMIN_KEY, tinyJob()] as [string, string, object]);
    expect(result.submit).toBeUndefined();
    expect(String(result.error)).toMatch(/Failed to fetch/);
  });
});
