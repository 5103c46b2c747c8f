// GET / and the dashboard's files: served from the repository (web/, uPlot from node_modules, the
// README's examples), nothing from another origin, hidden from openapi.yaml; every other path,
// /v1/... included, keeps the API's JSON 404.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('the dashboard files', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => t?.close());

  it('serves the page at / and its modules, with the charting library from node_modules', async () => {
    const page = await t.app.inject({ url: '/', headers: { authorization: undefined } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<script type="module" src="/js/app.js">');
    const app = await t.app.inject({ url: '/js/app.js' });
    expect(app.headers['content-type']).toMatch(/javascript/);
    expect(app.body).toBe(readFileSync(join(ROOT, 'web/js/app.js'), 'utf8'));
    const uplot = await t.app.inject({ url: '/vendor/uplot/uPlot.esm.js' });
    expect(uplot.statusCode).toBe(200);
    expect(uplot.body).toMatch(/export \{ uPlot as default \}|export default/);
    expect((await t.app.inject({ url: '/vendor/uplot/uPlot.min.css' })).statusCode).toBe(200);
    const example = await t.app.inject({ url: '/examples/first-lenet.json' });
    expect(example.json()).toEqual(JSON.parse(readFileSync(join(ROOT, 'examples/first-lenet.json'), 'utf8')));
  });

  it('keeps the JSON 404 for every other path, /v1/... included', async () => {
    for (const url of ['/v1/nothing-here', '/nothing-here', '/vendor/uplot/uPlot.cjs.js', '/examples/typescript/train-and-predict.ts']) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toMatch(/^application\/problem\+json/);
      expect(res.json(), url).toMatchObject({ status: 404, detail: expect.stringContaining(url) });
    }
  });

  it('leaves the static routes out of the OpenAPI document', async () => {
    const paths = Object.keys((await t.app.inject({ url: '/openapi.json' })).json().paths);
    expect(paths.filter((p) => !p.startsWith('/v1/') && !['/healthz', '/readyz', '/metrics'].includes(p))).toEqual([]);
  });

  it('loads nothing from another origin', () => {
    const files = readdirSync(join(ROOT, 'web'), { recursive: true, encoding: 'utf8' }).filter((f) => /\.(js|html|css)$/.test(f));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(join(ROOT, 'web', file), 'utf8');
      expect(text, file).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
      expect(text, file).not.toMatch(/from ['"](https?:)?\/\//);
      expect(text, file).not.toMatch(/url\(\s*['"]?(https?:)?\/\//);
    }
  });
});
