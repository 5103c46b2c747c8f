// Every rejected request answers one problem+json naming the field; unknown fields, NaN, Infinity
// and absurd values are rejected; the semantic checks (engine describe, dataset, quotas) name fields too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, tinyJob, type TestApp } from './helpers.js';

let t: TestApp;
let small: TestApp;
beforeAll(async () => {
  [t, small] = await Promise.all([startApp(), startApp({ QUOTA_MAX_PARAMS: '10' })]);
});
afterAll(async () => {
  await Promise.all([t?.close(), small?.close()]);
});

async function submit(body: unknown, app = t, url = '/v1/jobs') {
  const res = await app.app.inject({
    method: 'POST',
    url,
    payload: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  return res;
}

async function expectProblem(body: unknown, status: number, field: string, detail: RegExp | string) {
  const res = await submit(body);
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const p = res.json();
  expect(p).toMatchObject({ status, field, type: expect.any(String), title: expect.any(String) });
  if (typeof detail === 'string') expect(p.detail).toBe(detail);
  else expect(p.detail).toMatch(detail);
  expect(res.body).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack trace
  return p;
}

const job = tinyJob();
const training = job.training as Record<string, unknown>;

describe('schema validation', () => {
  it('rejects unknown fields at any depth, naming them', async () => {
    await expectProblem({ ...job, extra: 1 }, 400, '/extra', '/extra is not allowed (unknown field)');
    await expectProblem({ ...job, training: { ...training, lr: 1 } }, 400, '/training/lr', '/training/lr is not allowed (unknown field)');
    await expectProblem(
      { ...job, model: { input: [1, 4, 4], layers: [{ type: 'flatten' }, { type: 'dense', units: 2, dilation: 2 }] } },
      400,
      '/model/layers/1/dilation',
      /unknown field/,
    );
  });

  it('rejects absurd, negative and mistyped numbers (no coercion)', async () => {
    await expectProblem(
      { ...job, training: { ...training, batchSize: 1e9 } },
      400,
      '/training/batchSize',
      '/training/batchSize must be <= 4096',
    );
    await expectProblem({ ...job, training: { ...training, epochs: -1 } }, 400, '/training/epochs', '/training/epochs must be >= 1');
    await expectProblem(
      { ...job, training: { ...training, batchSize: '64' } },
      400,
      '/training/batchSize',
      '/training/batchSize must be integer',
    );
    await expectProblem({ ...job, training: { ...training, epochs: 1.5 } }, 400, '/training/epochs', '/training/epochs must be integer');
  });

  it('rejects Infinity (1e999 in JSON) and NaN', async () => {
    const raw = JSON.stringify({ ...job, training: { ...training, optimizer: { type: 'sgd', learningRate: 12345 } } }).replace(
      '12345',
      '1e999',
    );
    await expectProblem(raw, 400, '/training/optimizer/learningRate', /must be/);
    const nan = raw.replace('1e999', 'NaN');
    const res = await submit(nan);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 400, detail: expect.stringMatching(/JSON/) });
  });

  it('names the layer field through the layer union, and unknown layer types', async () => {
    await expectProblem(
      { ...job, model: { input: [1, 4, 4], layers: [{ type: 'flatten' }, { type: 'dense', units: 0 }] } },
      400,
      '/model/layers/1/units',
      '/model/layers/1/units must be >= 1',
    );
    const p = await expectProblem(
      { ...job, model: { input: [1, 4, 4], layers: [{ type: 'conv3d' }] } },
      400,
      '/model/layers/0/type',
      /"conv3d" is not a known type/,
    );
    expect(p.detail).toContain('"conv2d"');
  });

  it('explains a dataset that matches none of its forms, and picks the deepest error in a union', async () => {
    await expectProblem({ ...job, dataset: { foo: 1 } }, 400, '/dataset', '/dataset must match one of the forms {builtin}, {id}, {inline}');
    await expectProblem(
      { ...job, dataset: { builtin: 'cifar' } },
      400,
      '/dataset/builtin',
      '/dataset/builtin must be one of "fashion-mnist", "mnist"',
    );
    await expectProblem(
      { ...job, dataset: { builtin: 'mnist', trainSize: 0 } },
      400,
      '/dataset/trainSize',
      '/dataset/trainSize must be >= 1',
    );
  });

  it('refuses bodies nested deeper than 64 levels: 300 nested residual blocks were a 500 (stack overflow in the validator)', async () => {
    const nested = (depth: number) => {
      let layers: unknown[] = [{ type: 'relu' }];
      for (let i = 0; i < depth; i++) layers = [{ type: 'residual', layers }];
      return { ...job, model: { input: [1, 4, 4], layers: [...layers, { type: 'flatten' }, { type: 'dense', units: 2 }] } };
    };
    // 30 blocks (62 levels with the body's own) are still a model; 300 are a 400, on both routes.
    expect((await submit(nested(30), t, '/v1/jobs/validate')).statusCode).toBe(200);
    const p = await expectProblem(
      nested(300),
      400,
      expect.stringMatching(/^\/model(\/layers\/0)+\/layers$/) as never,
      /nested deeper than 64 levels/,
    );
    expect(p.code).toBe('invalid');
    expect((await submit(nested(300), t, '/v1/jobs/validate')).statusCode).toBe(400);
  });

  it('reports missing required fields by name', async () => {
    const { training: _t, ...noTraining } = job;
    await expectProblem(noTraining, 400, '/training', '/training is required');
  });

  it('validates querystrings with coercion', async () => {
    expect((await t.app.inject({ url: '/v1/jobs?limit=2' })).statusCode).toBe(200);
    const res = await t.app.inject({ url: '/v1/jobs?limit=0' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ field: 'querystring/limit', detail: 'querystring/limit must be >= 1' });
    const bad = await t.app.inject({ url: '/v1/jobs?status=sleeping' });
    expect(bad.json()).toMatchObject({ status: 400, field: 'querystring/status' });
  });
});

describe('semantic validation', () => {
  it('uses the engine describe() and names the layer field', async () => {
    await expectProblem(
      {
        ...job,
        model: {
          input: [1, 4, 4],
          layers: [{ type: 'conv2d', filters: 2, kernelSize: 5 }, { type: 'flatten' }, { type: 'dense', units: 2 }],
        },
      },
      400,
      '/model/layers/0/kernelSize',
      /^\/model\/layers\/0\/kernelSize: /,
    );
  });

  it('checks the model against the dataset: input shape and class count', async () => {
    await expectProblem(
      { ...job, model: { input: [1, 4, 4], layers: [{ type: 'flatten' }, { type: 'dense', units: 3 }] } },
      400,
      '/model/layers/1/units',
      /outputs 3 class scores but the dataset has 2 classes/,
    );
    await expectProblem(
      { ...job, model: { input: [1, 5, 5], layers: [{ type: 'flatten' }, { type: 'dense', units: 2 }] } },
      400,
      '/model/input',
      /takes \[1, 5, 5\] but the dataset's samples are \[1, 4, 4\]/,
    );
    await expectProblem({ ...job, model: { preset: 'lenet5' } }, 400, '/model/preset', /takes \[1, 28, 28\]/);
  });

  it('checks inline samples and optimizer options', async () => {
    const inline = structuredClone(job.dataset.inline);
    inline.samples[3] = inline.samples[3]!.slice(1);
    await expectProblem(
      { ...job, dataset: { inline } },
      400,
      '/dataset/inline/samples/3',
      '/dataset/inline/samples/3 has 15 values; shape [1, 4, 4] needs 16',
    );
    await expectProblem(
      { ...job, training: { ...training, optimizer: { type: 'adam', learningRate: 0.01, momentum: 0.9 } } },
      400,
      '/training/optimizer/momentum',
      /applies to sgd only/,
    );
    await expectProblem({ ...job, dataset: { id: 'ds_missing' } }, 400, '/dataset/id', /names no uploaded dataset/);
    await expectProblem({ ...job, initialWeights: { fromJob: 'nope' } }, 400, '/initialWeights/fromJob', /names no job/);
  });

  it('checks warm-start tensors against the model', async () => {
    const ok = { name: 'layers.1.weight', shape: [2, 16], data: Buffer.alloc(2 * 16 * 4).toString('base64') };
    expect((await submit({ ...job, initialWeights: { tensors: [ok] } })).statusCode).toBe(202);
    await expectProblem(
      { ...job, initialWeights: { tensors: [{ ...ok, shape: [16, 2] }] } },
      400,
      '/initialWeights/tensors/0/shape',
      /must be \[2, 16\]/,
    );
    await expectProblem(
      { ...job, initialWeights: { tensors: [{ ...ok, name: 'layers.0.weight' }] } },
      400,
      '/initialWeights/tensors/0/name',
      /not a parameter/,
    );
    await expectProblem(
      { ...job, initialWeights: { tensors: [{ ...ok, data: [1, 2, 3] }] } },
      400,
      '/initialWeights/tensors/0/data',
      /has 3 values/,
    );
  });

  it('POST /v1/jobs/validate reports shapes, params, FLOPs and quotas; 400 when invalid', async () => {
    const res = await submit({ ...job, model: { preset: 'fashion-cnn' }, dataset: { builtin: 'fashion-mnist' } }, t, '/v1/jobs/validate');
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json();
    expect(r.valid).toBe(true);
    expect(r.model.layers[0]).toMatchObject({ index: 0, type: 'conv2d', outputShape: [32, 26, 26], params: 320 });
    expect(r.model.outputShape).toEqual([10]);
    expect(r.model.params).toBeGreaterThan(1_000_000);
    expect(r.dataset).toEqual({ shape: [1, 28, 28], classes: 10, trainSamples: 60_000 });
    expect(r.stepsPerEpoch).toBe(Math.ceil(60_000 / 4));
    expect(r.quotas.map((q: { name: string }) => q.name)).toEqual([
      'params',
      'flopsPerSample',
      'trainingFlops',
      'trainingBytes',
      'epochs',
      'maxRuntimeSeconds',
    ]);
    const bad = await submit({ ...job, training: { ...training, batchSize: 0 } }, t, '/v1/jobs/validate');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('/training/batchSize');
  });

  it('quota exceeded: validate says so (200, valid false), submit answers 422', async () => {
    const v = await submit(job, small, '/v1/jobs/validate');
    expect(v.statusCode).toBe(200);
    expect(v.json().valid).toBe(false);
    expect(v.json().quotas[0]).toMatchObject({ name: 'params', value: 34, limit: 10, exceeded: true });
    const res = await submit(job, small);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'quota-exceeded',
      detail: 'params 34 exceeds the quota 10 (QUOTA_MAX_PARAMS)',
      quotas: [expect.objectContaining({ name: 'params' })],
    });
  });
});

describe('problem shape elsewhere', () => {
  it('unknown routes and jobs are 404 problems, both with the code not-found', async () => {
    const cases = [{ url: '/v2/nothing' }, { url: '/v1/jobs/does-not-exist' }, { url: '/v1/jobs/', method: 'DELETE' as const }];
    for (const { url, method = 'GET' as const } of cases) {
      const res = await t.app.inject({ url, method });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({
        status: 404,
        title: 'Not Found',
        type: expect.any(String),
        detail: expect.any(String),
        code: 'not-found',
      });
    }
  });

  it('a malformed id in the path names the param', async () => {
    const res = await t.app.inject({ url: '/v1/jobs/bad:id' });
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe('params/id');
  });
});
