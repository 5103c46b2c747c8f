// Budgets that hold without the client's help (issue 12), over HTTP with real processes: a job that
// sets no stopping.maxRuntimeSeconds stops at QUOTA_MAX_RUNTIME_SECONDS (reason max-runtime); a
// predict request beyond QUOTA_MAX_PREDICT_FLOPS is refused before anything is queued; a worker
// stops computing a prediction once its caller is gone (the API's 504, or the client disconnecting).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { JobAccepted, JobDocument } from '../../src/contracts/index.js';
import { ADMIN_AUTH } from '../helpers/auth.js';
import { toySpec } from '../helpers/jobs.js';
import { getJson, jobEnded, postJson, readSse, startStack, waitFor, type Stack } from '../helpers/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    redisUrl: inject('redisUrl'),
    apis: 1,
    workers: 1,
    env: { POOL_THREADS: '1', QUOTA_MAX_RUNTIME_SECONDS: '2', PREDICT_TIMEOUT_MS: '600' },
  });
});
afterAll(async () => {
  await stack?.stop();
});

const finished = (id: string) => jobEnded<JobDocument>(stack.url, id);

async function submit(body: unknown): Promise<string> {
  const res = await postJson<JobAccepted>(`${stack.url}/v1/jobs`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.id;
}

/** A model (fashion-cnn, 24 MFLOPs an input, unless given) trained one step on 10 images: weights to predict with. */
async function fashionJob(model: unknown = { preset: 'fashion-cnn' }): Promise<string> {
  const samples = Array.from({ length: 10 }, (_, i) => Array.from({ length: 784 }, (_, j) => (i * 31 + j) % 256));
  const id = await submit({
    model,
    dataset: { inline: { shape: [1, 28, 28], samples, labels: samples.map((_, i) => i % 10) } },
    training: { epochs: 1, batchSize: 10, optimizer: { type: 'sgd', learningRate: 0.01 } },
  });
  expect((await finished(id)).status).toBe('succeeded');
  return id;
}

const images = (n: number) => Array.from({ length: n }, (_, i) => Array.from({ length: 784 }, (_, j) => (i + j) % 256));

/** The worker's `predict stopped` log lines. */
const stops = () =>
  stack.workers[0]!.lines.filter((l) => l.includes('"msg":"predict stopped: its caller is gone"')).map(
    (l) => JSON.parse(l) as { done: number; inputs: number },
  );

describe('runtime quota', () => {
  it('a job that names no maxRuntimeSeconds gets QUOTA_MAX_RUNTIME_SECONDS and stops there', async () => {
    const spec = toySpec({ epochs: 1000 }, 256); // far longer than 2 s
    const report = await postJson<{ quotas: { name: string; value: number; limit: number }[] }>(`${stack.url}/v1/jobs/validate`, spec);
    expect(report.body.quotas.find((q) => q.name === 'maxRuntimeSeconds')).toMatchObject({ value: 2, limit: 2 });
    const id = await submit(spec);
    expect((await getJson<JobDocument>(`${stack.url}/v1/jobs/${id}`)).body.spec.stopping).toEqual({ maxRuntimeSeconds: 2 });
    const doc = await finished(id);
    expect(doc.status).toBe('succeeded');
    const events = await readSse(`${stack.url}/v1/jobs/${id}/events`, { until: (f) => f.event === 'completed', timeoutMs: 10_000 });
    expect(JSON.parse(events.at(-1)!.data).reason).toBe('max-runtime');
    expect(doc.progress.epoch).toBeLessThan(1000);
  });
});

describe('predict budget', () => {
  it('inputs x FLOPs beyond QUOTA_MAX_PREDICT_FLOPS answer 422 naming it, before anything is queued', async () => {
    const tight = await stack.addApi({ QUOTA_MAX_PREDICT_FLOPS: '5000' });
    const id = await submit(toySpec({ epochs: 1 }));
    expect((await finished(id)).status).toBe('succeeded');
    const one = await postJson(`${tight.url}/v1/jobs/${id}/predict`, { inputs: [Array(16).fill(0.5)] });
    expect(one.status).toBe(200);
    const res = await postJson<{ code: string; detail: string }>(`${tight.url}/v1/jobs/${id}/predict`, {
      inputs: Array.from({ length: 10 }, () => Array(16).fill(0.5)),
    });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('quota-exceeded');
    expect(res.body.detail).toMatch(/^predictFlops \d+ exceeds the quota 5000 \(QUOTA_MAX_PREDICT_FLOPS\)$/);
  });
});

describe('a prediction stops when its caller is gone', () => {
  let id = '';
  beforeAll(async () => {
    id = await fashionJob();
  });

  it('after the API answered 504', async () => {
    const before = stops().length;
    const res = await postJson<{ code: string }>(`${stack.url}/v1/jobs/${id}/predict`, { inputs: images(1024) });
    expect(res.status).toBe(504);
    await waitFor(
      () => stops().length > before,
      20_000,
      () => 'the worker never stopped the prediction',
    );
    const stop = stops().at(-1)!;
    expect(stop.inputs).toBe(1024);
    expect(stop.done).toBeLessThan(1024);
  });

  it('after the client disconnected', async () => {
    // ~350 MFLOPs an input (seconds for 1024 even with FMA kernels): still running when the client leaves
    const wide = { type: 'conv2d', kernelSize: 3, padding: 'same', activation: 'relu' };
    const slow = await fashionJob({
      input: [1, 28, 28],
      layers: [
        { ...wide, filters: 64 },
        { ...wide, filters: 128 },
        { ...wide, filters: 128 },
        { type: 'globalAvgPool2d' },
        { type: 'dense', units: 10 },
      ],
    });
    const patient = await stack.addApi({ PREDICT_TIMEOUT_MS: '60000', QUOTA_MAX_PREDICT_FLOPS: '1e13' });
    const before = stops().length;
    const ac = new AbortController();
    const asked = fetch(`${patient.url}/v1/jobs/${slow}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...ADMIN_AUTH },
      body: JSON.stringify({ inputs: images(1024) }),
      signal: ac.signal,
    }).catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 800));
    ac.abort();
    expect(await asked).toBeInstanceOf(Error);
    await waitFor(
      () => stops().length > before,
      20_000,
      () => 'the worker never stopped the prediction',
    );
    expect(stops().at(-1)!.done).toBeLessThan(1024);
  });
});
