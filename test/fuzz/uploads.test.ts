// Fuzz: POST /v1/datasets with generated uploads: IDX files with random headers and lengths, CSVs
// with random cells, widths and line endings, gzip whole, truncated, corrupted or a bomb, in
// multipart or raw bodies with any mix of parts and fields. Never a 5xx; a rejection is a problem
// with a code and stores nothing; an accepted dataset reads back and can be deleted.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadRequest } from './arbitraries/uploads.js';
import { announceSeed, fuzzParams, fuzzTimeout, startFuzzApp, type FuzzApp } from './harness.js';

let f: FuzzApp;
beforeAll(async () => {
  announceSeed('test/fuzz/uploads.test.ts');
  f = await startFuzzApp({ TENANT_MAX_DATASETS: '1000000' });
});
afterAll(async () => {
  await f?.close();
});

/** docs/api.md's tiny CSV: every run tries it first, so the accepted path (read back, delete) runs
 *  whatever the seed (about 1% of generated uploads are valid; a seed once drew none in 800). */
const docsCsv = {
  make: async () => ({
    contentType: 'text/csv',
    url: '/v1/datasets?name=tiny&shape=1,2,2',
    body: Buffer.from('0,0,0,0,255\n1,255,255,255,0\n0,0,0,255,0\n1,255,255,0,255\n'),
    what: "docs/api.md's tiny CSV",
  }),
};

describe('fuzz: dataset uploads', () => {
  const UPLOADS = 800;
  it(
    'POST /v1/datasets: never 5xx; rejections are problems that store nothing',
    async () => {
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(uploadRequest, async (request) => {
          const { contentType, url, body, what } = await request.make();
          const before = await f.state();
          const res = await f.app.inject({ method: 'POST', url, headers: { 'content-type': contentType }, payload: body });
          await f.check(res, before, `POST ${what}`);
          if (res.statusCode === 201) {
            accepted++;
            const { id, count } = res.json() as { id: string; count: number };
            const read = await f.app.inject({ method: 'GET', url: `/v1/datasets/${id}` });
            expect(read.statusCode, read.body).toBe(200);
            expect(read.json().count).toBe(count);
            const del = await f.app.inject({ method: 'DELETE', url: `/v1/datasets/${id}` });
            expect(del.statusCode, del.body).toBe(204);
          }
        }),
        { ...fuzzParams(UPLOADS), examples: [[docsCsv]] },
      );
      await f.expectAlive();
      expect(accepted).toBeGreaterThan(0);
    },
    fuzzTimeout(UPLOADS),
  );
});
