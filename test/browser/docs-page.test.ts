// The Swagger UI page at /docs, rendered by a real browser (Debian chromium driven by playwright-core):
// a person opening it sees every operation of openapi.yaml.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startApp, type TestApp } from '../api/helpers.js';
import { launchChromium } from '../helpers/browser.js';

describe('GET /docs in a browser', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    t = await startApp();
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('renders Swagger UI listing the job, dataset and health operations', async () => {
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    await page.goto(`${base}/docs`);
    await page.waitForSelector('.opblock-summary-path', { timeout: 20_000 });
    const paths = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.textContent?.replace(/\u200b/g, '').trim()));
    expect(paths).toContain('/v1/jobs');
    expect(paths).toContain('/v1/jobs/{id}/events');
    expect(paths).toContain('/v1/datasets');
    expect(paths).toContain('/healthz');
    expect(await page.textContent('.info .title')).toMatch(/Convoy/);
    expect(failed).toEqual([]);
  });
});
