// Dataset upload round trips (IDX gzipped via multipart, CSV raw and multipart), listing, errors,
// and a job that trains on an uploaded dataset validates against its shape and classes.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIdx } from '../../src/datasets/index.js';
import { startApp, type TestApp } from './helpers.js';
import { authedFetch } from '../helpers/auth.js';

let t: TestApp;
let base: string;
beforeAll(async () => {
  t = await startApp();
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await t?.close();
});

const N = 12;
const pixels = Uint8Array.from({ length: N * 5 * 5 }, (_, i) => (i * 37) % 256);
const labels = Uint8Array.from({ length: N }, (_, i) => i % 3);

function csvText(): string {
  const rows = [];
  for (let i = 0; i < N; i++) rows.push([labels[i], ...pixels.subarray(i * 25, (i + 1) * 25)].join(','));
  return `${rows.join('\n')}\n`;
}

// Response bodies in these tests are plain JSON objects; `any` keeps the assertions readable.
// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
const json = (res: Response): Promise<any> => res.json();

describe('POST /v1/datasets', () => {
  it('IDX images + labels, gzipped, as multipart: 201 with id, count, shape, classes; the bytes round-trip', async () => {
    const form = new FormData();
    form.append('name', 'tiny-idx');
    form.append('images', new Blob([gzipSync(encodeIdx([N, 5, 5], pixels))]), 'images.idx3-ubyte.gz');
    form.append('labels', new Blob([gzipSync(encodeIdx([N], labels))]), 'labels.idx1-ubyte.gz');
    const res = await authedFetch(`${base}/v1/datasets`, { method: 'POST', body: form });
    expect(res.status, await res.clone().text()).toBe(201);
    const info = await json(res);
    expect(info).toMatchObject({
      id: expect.stringMatching(/^ds_/),
      name: 'tiny-idx',
      format: 'idx',
      count: N,
      shape: [1, 5, 5],
      classes: 3,
    });
    expect(res.headers.get('location')).toBe(`/v1/datasets/${info.id}`);

    const ds = await t.app.datasets.get(info.id);
    expect(ds).not.toBeNull();
    expect(Array.from(ds!.images)).toEqual(Array.from(pixels));
    expect(Array.from(ds!.labels)).toEqual(Array.from(labels));
    expect((await authedFetch(`${base}/v1/datasets/${info.id}`).then(json)).count).toBe(N);
  });

  it('CSV as a raw text/csv body and as a multipart file give the same dataset', async () => {
    const raw = await authedFetch(`${base}/v1/datasets?name=tiny-csv`, {
      method: 'POST',
      body: csvText(),
      headers: { 'content-type': 'text/csv' },
    });
    expect(raw.status, await raw.clone().text()).toBe(201);
    const a = await json(raw);
    expect(a).toMatchObject({ format: 'csv', count: N, shape: [1, 5, 5], classes: 3, name: 'tiny-csv' });

    const form = new FormData();
    form.append('file', new Blob([gzipSync(Buffer.from(csvText()))]), 'data.csv.gz');
    form.append('shape', '1,5,5');
    const multi = await authedFetch(`${base}/v1/datasets`, { method: 'POST', body: form });
    expect(multi.status, await multi.clone().text()).toBe(201);
    const b = await json(multi);
    const [da, db] = await Promise.all([t.app.datasets.get(a.id), t.app.datasets.get(b.id)]);
    expect(Array.from(db!.images)).toEqual(Array.from(da!.images));
    expect(Array.from(da!.images)).toEqual(Array.from(pixels));
  });

  it('rejects bad uploads with a problem naming the part', async () => {
    const badLabel = csvText().replace(/^0,/, '300,');
    const r1 = await authedFetch(`${base}/v1/datasets`, { method: 'POST', body: badLabel, headers: { 'content-type': 'text/csv' } });
    expect(r1.status).toBe(400);
    const p1 = await json(r1);
    expect(r1.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(p1).toMatchObject({ status: 400, type: '/problems/invalid-dataset', line: 1 });
    expect(p1.field).toMatch(/^body\//);

    const form = new FormData();
    form.append('images', new Blob([Buffer.from('not an idx file')]), 'x');
    form.append('labels', new Blob([encodeIdx([N], labels)]), 'y');
    const r2 = await authedFetch(`${base}/v1/datasets`, { method: 'POST', body: form });
    expect(r2.status).toBe(400);
    expect((await json(r2)).field).toBe('images');

    const r3 = await authedFetch(`${base}/v1/datasets`, {
      method: 'POST',
      body: JSON.stringify({ a: 1 }),
      headers: { 'content-type': 'application/json' },
    });
    expect(r3.status).toBe(415);
    const r4 = await authedFetch(`${base}/v1/datasets`, {
      method: 'POST',
      body: 'x',
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(r4.status).toBe(415);
    expect((await json(r4)).status).toBe(415);
  });

  it('a multipart body busboy cannot read (no boundary, cut short) is a 400 naming the body, not a 500', async () => {
    const cases = [
      { ct: 'multipart/form-data', body: '', detail: /Boundary not found/ },
      { ct: 'multipart/form-data; boundary=x', body: '--x\r\n', detail: /Unexpected end of multipart data/ },
    ];
    for (const { ct, body, detail } of cases) {
      const res = await authedFetch(`${base}/v1/datasets`, { method: 'POST', body, headers: { 'content-type': ct } });
      expect(res.status).toBe(400);
      const p = await json(res);
      expect(p).toMatchObject({ status: 400, field: 'body', code: 'invalid' });
      expect(p.detail).toMatch(detail);
    }
  });

  it('parses uploads on the upload thread, off the event loop, and a few float rows store fine', async () => {
    const before = t.app.uploadParser.completed;
    const res = await authedFetch(`${base}/v1/datasets?name=floats`, {
      method: 'POST',
      body: '0,0.5,-1.25,3\n1,2.5,0.125,-4\n',
      headers: { 'content-type': 'text/csv' },
    });
    expect(res.status).toBe(201);
    expect(t.app.uploadParser.completed).toBe(before + 1);
    const ds = await t.app.datasets.get((await json(res)).id);
    expect(Array.from(ds!.images)).toEqual([0.5, -1.25, 3, 2.5, 0.125, -4]);
  });

  it('answers 400 (never 500) for CSVs too wide and for numbers outside the grammar, naming where', async () => {
    const post = (body: string) =>
      authedFetch(`${base}/v1/datasets`, { method: 'POST', body, headers: { 'content-type': 'text/csv' } }).then(async (r) => ({
        status: r.status,
        body: await json(r),
      }));
    const row = (n: number) => ['1', ...Array(n).fill('3')].join(',');
    const tooMany = await post(`${row(65_535)}\n`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toMatchObject({ code: 'bad_length', line: 1 });
    const wide = await post(`${row(2000)}\n${row(2000)}\n`); // [1, 1, 2000]: a side beyond 1024
    expect(wide.status).toBe(400);
    expect(wide.body).toMatchObject({ code: 'bad_shape', field: 'shape' });
    for (const cell of ['0x10', '0b11', '1e39']) {
      const bad = await post(`0,1,2,3\n1,2,${cell},4\n`);
      expect(bad.status, cell).toBe(400);
      expect(bad.body, cell).toMatchObject({ line: 2, column: 3 });
    }
  });

  it('lists newest first with a cursor, deletes, and jobs can train on an uploaded dataset', async () => {
    const up = await json(
      await authedFetch(`${base}/v1/datasets?name=for-job`, { method: 'POST', body: csvText(), headers: { 'content-type': 'text/csv' } }),
    );
    const page1 = await json(await authedFetch(`${base}/v1/datasets?limit=2`));
    expect(page1.items[0].id).toBe(up.id);
    expect(page1.items).toHaveLength(2);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const page2 = await json(await authedFetch(`${base}/v1/datasets?limit=10&cursor=${encodeURIComponent(page1.nextCursor)}`));
    const all = [...page1.items, ...page2.items].map((d: { id: string }) => d.id);
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(5);

    const job = {
      model: { input: [1, 5, 5], layers: [{ type: 'flatten' }, { type: 'dense', units: 3 }] },
      dataset: { id: up.id },
      training: { epochs: 1, batchSize: 4, optimizer: { type: 'adam', learningRate: 0.01 } },
    };
    const v = await t.app.inject({ method: 'POST', url: '/v1/jobs/validate', payload: job });
    expect(v.statusCode, v.body).toBe(200);
    expect(v.json().dataset).toEqual({ shape: [1, 5, 5], classes: 3, trainSamples: N });
    expect(v.json().stepsPerEpoch).toBe(3);

    expect((await authedFetch(`${base}/v1/datasets/${up.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await authedFetch(`${base}/v1/datasets/${up.id}`)).status).toBe(404);
    expect((await authedFetch(`${base}/v1/datasets/${up.id}`, { method: 'DELETE' })).status).toBe(404);
    const gone = await t.app.inject({ method: 'POST', url: '/v1/jobs/validate', payload: job });
    expect(gone.json().field).toBe('/dataset/id');
  });
});
