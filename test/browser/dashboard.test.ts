// The dashboard at `/`, in a real browser (Debian chromium through playwright-core) against a real
// stack (API and worker processes from dist/, the run's private Redis): enter the key, submit a small
// MNIST job through the form, watch the curves gain points, cut the network mid-run and check that
// the chart holds exactly the job's progress events (none lost, none doubled), then the filters,
// the confusion matrix, the learned filters, the predict pad and Compare. Screenshots go to
// test/.artifacts/ (gitignored).
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TEST_ADMIN_KEY } from '../helpers/auth.js';
import { launchChromium } from '../helpers/browser.js';
import { cutProxy, type CutProxy } from '../helpers/cut-proxy.js';
import { getJson, postJson, startStack, type Stack } from '../helpers/stack.js';

/** How long a poll waits for the page: it shares two cores with the worker and other test files. */
const SOON = { timeout: 15_000 };
const ARTIFACTS = resolve(dirname(fileURLToPath(import.meta.url)), '../.artifacts');

interface JobDebug {
  id: string;
  progressIds: string[];
  connections: number;
  steps: number;
  normPoints: number;
  state: string;
}
/** The few browser globals the test reads inside page.evaluate (the test compiles without the DOM lib). */
interface Browserish {
  convoy: { job: JobDebug; tenant: { connections: number } };
  sessionStorage: { getItem(key: string): string | null };
  document: { getElementById(id: string): { removeAttribute(name: string): void }; documentElement: { scrollWidth: number } };
}
const jobDebug = (page: Page) => page.evaluate(() => (globalThis as unknown as Browserish).convoy.job);

describe('the dashboard at /', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let proxy: CutProxy;
  let base: string;
  const errors: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    stack = await startStack({ redisUrl: inject('redisUrl'), workerEnv: { PROGRESS_INTERVAL_MS: '40', POOL_THREADS: '1' } });
    proxy = await cutProxy(stack.url);
    base = proxy.url;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('pageerror', (err) => errors.push(String(err)));
  });

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await stack?.stop();
  });

  it('asks for a key once, then trains a job submitted through the form, losing no point across a network cut', async () => {
    await page.goto(`${base}/`);
    await page.fill('#key-input', 'cvy_not-a-key');
    await page.click('#key-form button[type=submit]');
    await expect.poll(() => page.textContent('#key-error'), SOON).toMatch(/refused/);
    await page.fill('#key-input', TEST_ADMIN_KEY);
    await page.press('#key-input', 'Enter');
    await page.waitForSelector('#connection[data-state=live]');
    expect(await page.evaluate(() => (globalThis as unknown as Browserish).sessionStorage.getItem('convoy.key'))).toBe(TEST_ADMIN_KEY);

    await page.click('nav a[data-view=submit]');
    // the README's walk-through example is one click away
    await page.click('button[data-example=first-lenet]');
    await expect.poll(() => page.inputValue('#f-name'), SOON).toBe('first-lenet');
    await expect.poll(() => page.locator('#layer-table tbody tr').count(), SOON).toBe(11); // input + LeNet-5's 10 layers
    await page.click('button[data-example=quick-mnist]');
    await expect.poll(() => page.inputValue('#f-name'), SOON).toBe('quick-mnist');
    await expect.poll(() => page.locator('#layer-table tbody tr').count(), SOON).toBe(5);
    expect(await page.$$eval('#layer-table tbody td:nth-child(2)', (tds) => tds.map((t) => t.textContent))).toEqual([
      'input',
      'conv2d',
      'maxPool2d',
      'flatten',
      'dense',
    ]);
    // a field error shows beside its field
    await page.fill('#f-epochs', '0');
    await expect.poll(() => page.textContent('#f-epochs-error'), SOON).toMatch(/epochs/);
    await page.fill('#f-epochs', '4');
    await page.fill('#f-train-size', '8000');
    await expect.poll(() => page.textContent('#f-epochs-error'), SOON).toBe('');
    await page.screenshot({ path: `${ARTIFACTS}/submit.png` });
    await page.click('#submit-job');
    await page.waitForURL(/#\/job\//);
    const id = page.url().split('#/job/')[1]!;

    // the step curve gains points; then the network goes away for a while and comes back
    await expect.poll(async () => (await jobDebug(page)).steps, { timeout: 30_000 }).toBeGreaterThan(0);
    // offline emulation alone keeps open streams, so the proxy drops them too
    await context.setOffline(true);
    proxy.cut();
    expect(await page.textContent('#job-status')).toBe('running'); // the cut is mid-run
    await expect.poll(async () => (await jobDebug(page)).state, SOON).toBe('reconnecting');
    await page.waitForTimeout(300); // what the browser had already received is applied
    const before = (await jobDebug(page)).progressIds.length;
    await page.waitForTimeout(1200);
    expect((await jobDebug(page)).progressIds.length).toBe(before); // nothing arrives while the network is down
    proxy.restore();
    await context.setOffline(false);
    // the job's stream closes after its terminal event (replayed after the cut if it came meanwhile)
    await expect.poll(async () => (await jobDebug(page)).state, { timeout: 45_000 }).toBe('closed');
    await expect.poll(() => page.textContent('#job-status'), SOON).toBe('succeeded'); // drawn at the next frame
    await expect.poll(() => page.textContent('.timeline li:last-child'), SOON).toMatch(/done \(succeeded\)/);
    expect(await page.textContent('.timeline li:first-child')).toMatch(/queued \(queued\)/);

    const log = (
      await getJson<{ events: { id: string; type: string; data: unknown }[] }>(`${stack.url}/v1/jobs/${id}/events?after=0-0&limit=10000`)
    ).body.events;
    const progress = log.filter((e) => e.type === 'progress').map((e) => e.id);
    const seen = await jobDebug(page);
    expect(seen.connections).toBeGreaterThan(1); // it did reconnect, and so did the tenant stream
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as Browserish).convoy.tenant.connections), SOON).toBeGreaterThan(1);
    expect(seen.progressIds).toEqual(progress); // every point once, in order
    expect(seen.steps).toBe(progress.length);
    // norms ride on some progress events too (the first, then every 2 s), besides each epoch's end
    const withNorms = log.filter((e) => e.type === 'progress' && (e.data as { norms?: unknown[] }).norms).length;
    expect(withNorms).toBeGreaterThanOrEqual(1);
    expect(seen.normPoints).toBeGreaterThan(4);

    // confusion matrix of the 200 test images
    await page.waitForSelector('#confusion tbody tr');
    const cells = await page.$$eval('#confusion tbody td', (tds) => tds.map((t) => Number(t.textContent)));
    expect(cells).toHaveLength(100);
    expect(cells.reduce((a, b) => a + b, 0)).toBe(200);
    // downloads carry the key (a plain link could not): the JSON tensors and the safetensors file
    const [json] = await Promise.all([page.waitForEvent('download'), page.click('button:text("Download JSON")')]);
    expect(json.suggestedFilename()).toBe('quick-mnist.json');
    const tensors = JSON.parse(readFileSync((await json.path())!, 'utf8')).tensors as { name: string; shape: number[] }[];
    expect(tensors[0]).toMatchObject({ name: 'layers.0.weight', shape: [8, 1, 3, 3] });
    const [st] = await Promise.all([page.waitForEvent('download'), page.click('button:text("Download safetensors")')]);
    expect(st.suggestedFilename()).toBe('quick-mnist.safetensors');
    const bytes = readFileSync((await st.path())!);
    expect(bytes.readBigUInt64LE(0)).toBeGreaterThan(0n); // the safetensors header length
    const [onnx] = await Promise.all([page.waitForEvent('download'), page.click('button:text("Download ONNX")')]);
    expect(onnx.suggestedFilename()).toBe('quick-mnist.onnx');
    expect(readFileSync((await onnx.path())!).length).toBeGreaterThan(1000);
    // the first conv layer's 8 filters, drawn from the weights
    await page.waitForSelector('#filters canvas');
    expect(await page.locator('#filters canvas').count()).toBe(8);

    // predict pad: a test image, then a drawing
    const confused = page.locator('#confused button');
    if ((await confused.count()) > 0) {
      await confused.first().click();
      await page.waitForSelector('#probabilities[data-label]');
      expect(await page.locator('#probabilities li').count()).toBe(10);
    }
    await page.evaluate(() => (globalThis as unknown as Browserish).document.getElementById('probabilities').removeAttribute('data-label'));
    const pad = (await page.locator('#pad').boundingBox())!;
    await page.mouse.move(pad.x + pad.width * 0.5, pad.y + pad.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(pad.x + pad.width * 0.5, pad.y + pad.height * 0.8, { steps: 10 });
    await page.mouse.up();
    const label = await (await page.waitForSelector('#probabilities[data-label]')).getAttribute('data-label');
    expect(Number(label)).toBeGreaterThanOrEqual(0);
    expect(Number(label)).toBeLessThan(10);
    expect(await page.locator('#probabilities li').count()).toBe(10);
    await page.screenshot({ path: `${ARTIFACTS}/job.png`, fullPage: true });
    expect(errors).toEqual([]);
  });

  it('filters the jobs table, and compares two jobs', async () => {
    const other = await postJson<{ id: string }>(`${stack.url}/v1/jobs`, {
      name: 'second',
      model: { input: [1, 28, 28], layers: [{ type: 'flatten' }, { type: 'dense', units: 10 }] },
      dataset: { builtin: 'mnist', trainSize: 300, testSize: 100 },
      training: { epochs: 2, batchSize: 50, optimizer: { type: 'sgd', learningRate: 0.01 } },
    });
    expect(other.status).toBe(202);
    await page.click('nav a[data-view=jobs]');
    await page.waitForSelector(`#jobs-table tr[data-job="${other.body.id}"]`);
    await expect
      .poll(() => page.getAttribute(`#jobs-table tr[data-job="${other.body.id}"]`, 'data-status'), { timeout: 30_000 })
      .toBe('succeeded');
    expect(await page.locator('#jobs-table tbody tr[data-job]').count()).toBe(2);
    await page.selectOption('#status-filter', 'running');
    await expect.poll(() => page.locator('#jobs-table tbody tr[data-job]').count(), SOON).toBe(0);
    await page.selectOption('#status-filter', 'succeeded');
    await page.fill('#name-filter', 'quick');
    await expect
      .poll(() => page.$$eval('#jobs-table tbody tr[data-job] a', (as) => as.map((a) => a.textContent)), SOON)
      .toEqual(['quick-mnist']);
    await page.fill('#name-filter', '');
    await page.selectOption('#status-filter', 'all');

    // cancel a job from its row, then delete it
    const long = await postJson<{ id: string }>(`${stack.url}/v1/jobs`, {
      name: 'long',
      model: { preset: 'lenet5' },
      dataset: { builtin: 'mnist', trainSize: 5000 },
      training: { epochs: 50, batchSize: 32, optimizer: { type: 'sgd', learningRate: 0.01 } },
    });
    const longRow = `#jobs-table tr[data-job="${long.body.id}"]`;
    await page.click(`${longRow} button:text("Cancel")`);
    await expect.poll(() => page.getAttribute(longRow, 'data-status'), { timeout: 30_000 }).toBe('cancelled');
    page.once('dialog', (dialog) => void dialog.accept()); // "Delete long, its events and its weights?"
    await page.click(`${longRow} button:text("Delete")`);
    await expect.poll(() => page.locator(longRow).count(), SOON).toBe(0);
    expect((await getJson(`${stack.url}/v1/jobs/${long.body.id}`)).status).toBe(404);
    await page.screenshot({ path: `${ARTIFACTS}/jobs.png` });

    for (const box of await page.locator('#jobs-table tbody input[type=checkbox]').all()) await box.check();
    await page.click('text=Compare selected');
    await page.waitForURL(/#\/compare\?ids=/);
    const legend = () => page.$$eval('.u-legend .u-series .u-label', (ls) => ls.map((l) => l.textContent).sort());
    await expect.poll(legend, SOON).toEqual(['epoch', 'epoch', 'quick-mnist', 'quick-mnist', 'second', 'second']);
    expect(await page.locator('.picker input:checked').count()).toBe(2);
    await page.screenshot({ path: `${ARTIFACTS}/compare.png` });

    // a job that is not there says so
    await page.goto(`${base}/#/job/no-such-job`);
    await expect.poll(() => page.textContent('main .message'), SOON).toMatch(/No job no-such-job/);

    // a phone's width: one column, nothing wider than the screen but the tables' own scrollers
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/#/jobs`);
    await page.waitForSelector('#jobs-table tr[data-job]');
    expect(await page.evaluate(() => (globalThis as unknown as Browserish).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: `${ARTIFACTS}/phone.png` });
    await page.focus('#jobs-table a:text("quick-mnist")'); // by keyboard
    await page.keyboard.press('Enter');
    await page.waitForSelector('#confusion');
    expect(await page.evaluate(() => (globalThis as unknown as Browserish).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: `${ARTIFACTS}/phone-job.png`, fullPage: true });
    expect(errors).toEqual([]);
  });
});
