// End to end over HTTP with real processes: an API and a worker spawned from dist, the run's private
// Redis. Submit -> SSE events in order -> weights -> predict agrees with the weights computed by the
// engine in the test; cancel on the worker process; Last-Event-ID reconnect with no gap and no
// duplicate; a second API process serves the same stream; `curl -N`; divergence.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EventSource } from 'eventsource';
import type { JobAccepted, JobDocument, JobSpec } from '../../src/contracts/index.js';
import { createModel, loadWeights, predict } from '../../src/engine/index.js';
import { getJson, postJson, readSse, startStack, type SseFrame, type Stack } from '../helpers/stack.js';
import { toySpec } from '../helpers/jobs.js';
import { ADMIN_AUTH, authedFetch } from '../helpers/auth.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ redisUrl: inject('redisUrl'), apis: 2, workers: 1, env: { PROGRESS_INTERVAL_MS: '0' } });
});
afterAll(async () => {
  await stack?.stop();
});

async function submit(spec: JobSpec, api = stack.url): Promise<string> {
  const res = await postJson<JobAccepted>(`${api}/v1/jobs`, spec);
  expect(res.status).toBe(202);
  return res.body.id;
}

/** Follows a job's stream with the `eventsource` client until its terminal event. */
function follow(url: string): Promise<{ type: string; id: string; data: unknown }[]> {
  return new Promise((resolve, reject) => {
    const es = new EventSource(url, { fetch: (input, init) => authedFetch(input, init) });
    const seen: { type: string; id: string; data: unknown }[] = [];
    const timer = setTimeout(() => {
      es.close();
      reject(new Error(`stream did not end: ${seen.map((e) => e.type).join(',')}`));
    }, 30_000);
    for (const type of ['snapshot', 'status', 'progress', 'epoch', 'completed', 'failed', 'cancelled']) {
      es.addEventListener(type, (ev) => {
        seen.push({ type, id: ev.lastEventId, data: JSON.parse(ev.data) });
        if (['completed', 'failed', 'cancelled'].includes(type)) {
          clearTimeout(timer);
          es.close();
          resolve(seen);
        }
      });
    }
  });
}

describe('end to end', () => {
  it('submit -> SSE events in order -> weights -> predict agrees with the engine', async () => {
    const spec = toySpec({ epochs: 3 });
    const id = await submit(spec);
    const events = await follow(`${stack.url}/v1/jobs/${id}/events?after=0-0`);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('snapshot');
    expect(types.at(-1)).toBe('completed');
    // after the snapshot: status first, progress before each epoch, 3 epochs, completed last
    expect(types[1]).toBe('status');
    expect(types.indexOf('progress')).toBeLessThan(types.indexOf('epoch'));
    expect(types.filter((t) => t === 'epoch')).toHaveLength(3);
    const ids = events.slice(1).map((e) => e.id);
    expect([...ids].sort(compareIds)).toEqual(ids); // stream ids only go up

    const doc = (await getJson<JobDocument>(`${stack.url}/v1/jobs/${id}`)).body;
    expect(doc.status).toBe('succeeded');
    expect(doc.transitions.map((t) => t.status)).toEqual(expect.arrayContaining(['queued', 'running', 'succeeded']));

    const weights = await getJson<{ tensors: { name: string; shape: number[]; data: string }[] }>(`${stack.url}/v1/jobs/${id}/weights`);
    expect(weights.status).toBe(200);
    const model = createModel(spec.model);
    loadWeights(
      model,
      weights.body.tensors.map((t) => {
        const b = Buffer.from(t.data, 'base64');
        return { name: t.name, shape: t.shape, data: new Float32Array(b.buffer, b.byteOffset, b.length / 4) };
      }),
    );
    const inputs = 'inline' in spec.dataset ? spec.dataset.inline.samples.slice(0, 5) : [];
    const expected = predict(model, Float32Array.from(inputs.flat()), inputs.length);
    const res = await postJson<{ predictions: { label: number; probabilities: number[] }[] }>(`${stack.url}/v1/jobs/${id}/predict`, {
      inputs,
    });
    expect(res.status).toBe(200);
    res.body.predictions.forEach((p, i) => {
      p.probabilities.forEach((q, k) => {
        expect(q).toBeCloseTo(expected[i * 4 + k]!, 6);
      });
      expect(p.label).toBe(i % 4); // the toy problem is learnt
    });
  });

  it('cancels a job running on the worker process; partial weights are kept', async () => {
    const id = await submit(toySpec({ epochs: 500, batchSize: 4 }, 256));
    await readSse(`${stack.url}/v1/jobs/${id}/events`, { until: (f) => f.event === 'progress' });
    const res = await postJson<{ status: string }>(`${stack.url}/v1/jobs/${id}/cancel`, {});
    expect(res.status).toBe(202);
    const frames = await readSse(`${stack.url}/v1/jobs/${id}/events`, { until: (f) => f.event === 'cancelled' });
    expect(frames.at(-1)?.event).toBe('cancelled');
    const doc = (await getJson<JobDocument>(`${stack.url}/v1/jobs/${id}`)).body;
    expect(doc.status).toBe('cancelled');
    expect(doc.weights?.partial).toBe(true);
    expect((await authedFetch(`${stack.url}/v1/jobs/${id}/weights`)).status).toBe(200);
  });

  it('reconnecting with Last-Event-ID mid-stream gets no gap and no duplicate, from another API process', async () => {
    const id = await submit(toySpec({ epochs: 6, batchSize: 8 }, 256));
    const first = await readSse(`${stack.url}/v1/jobs/${id}/events?after=0-0`, {
      until: (_f, all) => all.filter((f) => f.id).length >= 4,
    });
    const lastId = first.filter((f) => f.id).at(-1)!.id!;
    const second = await readSse(`${stack.apis[1]!.url}/v1/jobs/${id}/events?after=0-0`, {
      lastEventId: lastId,
      until: (f) => f.event === 'completed',
    });
    expect(second[0]?.event).toBe('snapshot');
    const got = [...first, ...second].filter((f) => f.id).map((f) => f.id!);
    const log = await getJson<{ events: { id: string }[]; done: boolean }>(`${stack.url}/v1/jobs/${id}/events?limit=10000`);
    expect(log.body.done).toBe(true);
    expect(got).toEqual(log.body.events.map((e) => e.id));
  });

  it('serves the same stream from a second API process', async () => {
    const id = await submit(toySpec({ epochs: 2 }), stack.apis[0]!.url);
    const [a, b] = await Promise.all(
      stack.apis.map((api) => readSse(`${api.url}/v1/jobs/${id}/events?after=0-0`, { until: (f) => f.event === 'completed' })),
    );
    const ids = (frames: SseFrame[]) => frames.filter((f) => f.id).map((f) => `${f.id}/${f.event}`);
    expect(ids(b!)).toEqual(ids(a!));
    expect(a!.at(-1)?.event).toBe('completed');
  });

  it('streams to `curl -N`', async () => {
    const id = await submit(toySpec({ epochs: 2 }));
    const out = await new Promise<string>((resolve, reject) => {
      const curl = spawn('curl', [
        '-N',
        '-s',
        '--max-time',
        '30',
        '-H',
        `authorization: ${ADMIN_AUTH.authorization}`,
        // The whole log: a job this small may end before curl connects (without a cursor: snapshot + newest event).
        `${stack.url}/v1/jobs/${id}/events?after=0-0`,
      ]);
      let text = '';
      curl.stdout.on('data', (c: Buffer) => (text += c.toString()));
      curl.on('error', reject);
      curl.on('exit', () => resolve(text)); // the server ends the stream after the terminal event
    });
    expect(out).toMatch(/^(retry: \d+\n|: .*\n)*[\s\S]*event: snapshot\n/);
    expect(out).toContain('event: progress\n');
    expect(out).toMatch(/id: \d+-\d+\nevent: completed\ndata: \{/);
  });

  it('fails a diverging job with code "diverged"', async () => {
    const spec = toySpec({ optimizer: { type: 'sgd', learningRate: 10 }, loss: 'mse', epochs: 5 });
    if ('inline' in spec.dataset) spec.dataset.inline.samples = spec.dataset.inline.samples.map((s) => s.map((v) => v * 1e6));
    const id = await submit(spec);
    const frames = await readSse(`${stack.url}/v1/jobs/${id}/events`, { until: (f) => f.event === 'failed' || f.event === 'completed' });
    expect(frames.at(-1)?.event).toBe('failed');
    const doc = (await getJson<JobDocument>(`${stack.url}/v1/jobs/${id}`)).body;
    expect(doc.status).toBe('failed');
    expect(doc.error?.code).toBe('diverged');
    expect(doc.error?.epoch).toBeGreaterThanOrEqual(1);
  });
});

function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am - bm || as - bs;
}
