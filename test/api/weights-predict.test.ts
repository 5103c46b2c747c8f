// Weights (JSON tensors, safetensors bytes, an ONNX file, ETag = sha256, 409 before they exist), predict over
// the convoy-predict queue (answered here by a stand-in BullMQ worker: the real consumer and its
// end-to-end tests belong to workers/), and the health and metrics routes.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from 'bullmq';
import { encodeSafetensors } from '../../src/engine/safetensors.js';
import { decodeModel } from '../../src/onnx/index.js';
import { PREDICT_QUEUE, type PredictJobData, type PredictResult } from '../../src/contracts/index.js';
import { WorkerRegistry } from '../../src/store/index.js';
import { startApp, tinyJob, type TestApp } from './helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApp({ PREDICT_TIMEOUT_MS: '1500', READY_WORKER_WITHIN_MS: '5000' });
});
afterAll(async () => {
  await t?.close();
});

const weight = Float32Array.from({ length: 32 }, (_, i) => i / 7 - 2);
const bias = Float32Array.from([0.5, -0.25]);

async function jobWithWeights(): Promise<{ id: string; bytes: Buffer }> {
  const { id } = (await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob() })).json();
  const bytes = Buffer.from(
    encodeSafetensors([
      { name: 'layers.1.weight', shape: [2, 16], data: weight },
      { name: 'layers.1.bias', shape: [2], data: bias },
    ]),
  );
  await t.redis.set(`${t.prefix}:job:${id}:weights`, bytes);
  return { id, bytes };
}

describe('GET /v1/jobs/{id}/weights', () => {
  it('is 409 until the job has weights, 404 for no job', async () => {
    const { id } = (await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob() })).json();
    const res = await t.app.inject({ url: `/v1/jobs/${id}/weights` });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'no-weights', jobStatus: 'queued' });
    expect((await t.app.inject({ url: '/v1/jobs/none/weights' })).statusCode).toBe(404);
  });

  it('JSON tensors carry the exact float32 bits; safetensors bytes by ?format or Accept; ETag = sha256; 304 on If-None-Match', async () => {
    const { id, bytes } = await jobWithWeights();
    const sha = createHash('sha256').update(bytes).digest('hex');
    const json = await t.app.inject({ url: `/v1/jobs/${id}/weights` });
    expect(json.statusCode).toBe(200);
    expect(json.headers.etag).toBe(`"${sha}"`);
    const body = json.json();
    expect(body).toMatchObject({ id, sha256: sha, bytes: bytes.length });
    expect(body.tensors.map((x: { name: string }) => x.name)).toEqual(['layers.1.weight', 'layers.1.bias']);
    const w = Buffer.from(body.tensors[0].data, 'base64');
    expect(Array.from(new Float32Array(w.buffer, w.byteOffset, w.length / 4))).toEqual(Array.from(weight));
    expect(body.tensors[0]).toMatchObject({ shape: [2, 16], dtype: 'float32' });

    for (const req of [
      { url: `/v1/jobs/${id}/weights?format=safetensors` },
      { url: `/v1/jobs/${id}/weights`, headers: { accept: 'application/octet-stream' } },
    ]) {
      const bin = await t.app.inject(req);
      expect(bin.statusCode).toBe(200);
      expect(bin.headers['content-type']).toBe('application/octet-stream');
      expect(bin.rawPayload.equals(bytes)).toBe(true);
      expect(bin.headers.etag).toBe(`"${sha}"`);
    }
    const cached = await t.app.inject({ url: `/v1/jobs/${id}/weights`, headers: { 'if-none-match': `"${sha}"` } });
    expect(cached.statusCode).toBe(304);
    expect(cached.body).toBe('');
  });
});

describe('GET /v1/jobs/{id}/weights?format=onnx', () => {
  it('is an ONNX file of the job (application/onnx, its own ETag, 304), 409 before weights, 400 for an unknown format', async () => {
    const { id: early } = (await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob() })).json();
    expect((await t.app.inject({ url: `/v1/jobs/${early}/weights?format=onnx` })).json()).toMatchObject({
      status: 409,
      code: 'no-weights',
    });
    const bad = await t.app.inject({ url: `/v1/jobs/${early}/weights?format=tflite` });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/format/);

    const { id, bytes } = await jobWithWeights();
    const res = await t.app.inject({ url: `/v1/jobs/${id}/weights?format=onnx` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/onnx');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${id}.onnx"`);
    const etag = `"${createHash('sha256').update(bytes).digest('hex')}.onnx"`;
    expect(res.headers.etag).toBe(etag);
    const onnx = decodeModel(res.rawPayload);
    expect(onnx.graph.name).toBe(id);
    expect(onnx.graph.node.map((n) => n.op_type)).toEqual(['Flatten', 'Gemm', 'Identity', 'Softmax']);
    expect(onnx.graph.initializer.map((i) => i.name)).toEqual(['layers.1.weight', 'layers.1.bias']);
    expect(Buffer.from(onnx.graph.initializer[0]!.raw_data).equals(Buffer.from(weight.buffer))).toBe(true);
    expect((await t.app.inject({ url: `/v1/jobs/${id}/weights?format=onnx`, headers: { 'if-none-match': etag } })).statusCode).toBe(304);
  });
});

describe('POST /v1/jobs/{id}/predict', () => {
  it('enqueues {jobId, inputs} on convoy-predict and returns the worker result; a refusal is 422, a fault 500', async () => {
    const { id } = await jobWithWeights();
    const conn = t.redis.duplicate({ maxRetriesPerRequest: null });
    const seen: PredictJobData[] = [];
    const worker = new Worker<PredictJobData, PredictResult>(
      PREDICT_QUEUE,
      async (job) => {
        seen.push(job.data);
        if (job.data.inputs[0]![0] === 99) return { refused: 'inputs[0] is not what this model takes' };
        if (job.data.inputs[0]![0] === 98) throw new Error('the worker broke');
        return {
          predictions: job.data.inputs.map((x) => ({ label: x[0]! > 0 ? 1 : 0, probabilities: x[0]! > 0 ? [0.2, 0.8] : [0.7, 0.3] })),
        };
      },
      { connection: conn, prefix: t.prefix },
    );
    try {
      const inputs = [Array(16).fill(1), Array(16).fill(0)];
      const res = await t.app.inject({ method: 'POST', url: `/v1/jobs/${id}/predict`, payload: { inputs } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({
        predictions: [
          { label: 1, probabilities: [0.2, 0.8] },
          { label: 0, probabilities: [0.7, 0.3] },
        ],
      });
      expect(seen[0]).toEqual({ jobId: id, inputs, deadline: expect.any(Number) });

      const bad = await t.app.inject({ method: 'POST', url: `/v1/jobs/${id}/predict`, payload: { inputs: [Array(16).fill(99)] } });
      expect(bad.statusCode).toBe(422);
      expect(bad.json()).toMatchObject({ code: 'predict-failed', detail: 'inputs[0] is not what this model takes' });
      const broken = await t.app.inject({ method: 'POST', url: `/v1/jobs/${id}/predict`, payload: { inputs: [Array(16).fill(98)] } });
      expect(broken.statusCode).toBe(500);
      expect(broken.json().detail).not.toContain('broke'); // internal text stays in the log
    } finally {
      await worker.close();
      conn.disconnect();
    }
  });

  it('checks input sizes against the model, needs weights, and times out with 504 when no worker answers', async () => {
    const { id } = await jobWithWeights();
    const wrong = await t.app.inject({ method: 'POST', url: `/v1/jobs/${id}/predict`, payload: { inputs: [Array(15).fill(0)] } });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().field).toBe('/inputs/0');
    const { id: fresh } = (await t.app.inject({ method: 'POST', url: '/v1/jobs', payload: tinyJob() })).json();
    expect(
      (await t.app.inject({ method: 'POST', url: `/v1/jobs/${fresh}/predict`, payload: { inputs: [Array(16).fill(0)] } })).statusCode,
    ).toBe(409);
    const slow = await t.app.inject({ method: 'POST', url: `/v1/jobs/${id}/predict`, payload: { inputs: [Array(16).fill(0)] } });
    expect(slow.statusCode).toBe(504);
    expect(slow.json().code).toBe('predict-timeout');
  });
});

describe('health and metrics', () => {
  it('/healthz answers; /readyz needs Redis and a recent worker heartbeat', async () => {
    expect((await t.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const notReady = await t.app.inject({ url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toMatchObject({ code: 'no-workers' });
    const workers = new WorkerRegistry(t.redis, t.prefix);
    const at = new Date().toISOString();
    await workers.heartbeat({ id: 'w1', pid: 1, host: 'h', threads: 1, concurrency: 1, activeJobs: [], startedAt: at, seenAt: at }, 5000);
    const ready = await t.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', redis: 'ok', workers: 1 });
  });

  it('/metrics exposes jobs by status, queue depth, samples/s and SSE clients', async () => {
    const res = await t.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const queued = Number(/^convoy_jobs\{status="queued"\} (\d+)$/m.exec(res.body)?.[1]);
    expect(queued).toBeGreaterThanOrEqual(4);
    expect(res.body).toMatch(/^convoy_queue_jobs\{state="prioritized"\} \d+$/m);
    expect(res.body).toMatch(/^convoy_training_samples_per_second 0$/m);
    expect(res.body).toMatch(/^convoy_sse_clients 0$/m);
    expect(res.body).toMatch(/^convoy_jobs_submitted_total \d+$/m);
  });
});
