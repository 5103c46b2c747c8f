// The worker in-process against a real Redis and a real Piscina pool (dist/workers/thread.js):
// inline jobs train to completion with the right events; thread count does not change a bit of the
// weights; a job handed back at shutdown resumes to the same weights; divergence, refused initial
// weights and cancel.
import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { JobStore } from '../../src/store/index.js';
import { REDUCE_CHUNK } from '../../workers/protocol.js';
import { epochOrder } from '../../workers/job-plan.js';
import { createModel, exportWeights } from '../../src/engine/index.js';
import { clipByGlobalNorm, createOptimizer } from '../../src/engine/optim/index.js';
import { datasetFromArrays, toFloatBatch, gatherLabels } from '../../src/datasets/index.js';
import { decodeSafetensors } from '../../src/engine/safetensors.js';
import type { JobSpec } from '../../src/contracts/index.js';
import { useInProcessWorkers } from '../helpers/in-process-workers.js';
import { submit, toySpec, waitForEnd, waitForEvents } from '../helpers/jobs.js';

const fixture = useInProcessWorkers('worker-test');
const startWorker = fixture.start;

function sha(buf: Buffer | null): string {
  return createHash('sha256')
    .update(buf ?? Buffer.alloc(0))
    .digest('hex');
}

describe('worker', () => {
  it('trains an inline job: status, progress, epoch and completed events, weights stored', async () => {
    const prefix = `w-${randomUUID().slice(0, 8)}`;
    await startWorker(prefix, { POOL_THREADS: '2' });
    const store = new JobStore(fixture.redis, prefix);
    const id = await submit(store, fixture.redis, toySpec({ epochs: 4 }));
    const events = await waitForEnd(store, id);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('status');
    expect(types.at(-1)).toBe('completed');
    expect(types.filter((t) => t === 'epoch')).toHaveLength(4);
    expect(types).toContain('progress');
    const doc = await store.get(id);
    expect(doc?.status).toBe('succeeded');
    expect(doc?.attempt).toBe(1);
    expect(doc?.history).toHaveLength(4);
    expect(doc!.history[3]!.accuracy!).toBeGreaterThan(0.9);
    const completed = events.at(-1)!.data as { weights: { sha256: string; tensors: { name: string }[] } };
    expect(completed.weights.sha256).toBe(sha(await store.getWeights(id)));
    expect(completed.weights.tensors.map((t) => t.name)).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.3.weight', 'layers.3.bias']);
    const epoch = events.find((e) => e.type === 'epoch')!.data as { norms: { name: string; gradNorm: number }[] };
    expect(epoch.norms).toHaveLength(4);
    expect(epoch.norms[0]!.gradNorm).toBeGreaterThan(0);
    expect(await store.getCheckpoint(id)).toBeNull();
  });

  it('gives bit-identical weights with 1, 2, 3 and 4 threads', async () => {
    // The toy model fits in one reduce chunk; the wide one spans six, so the threads split the
    // reduce into different ranges, and clipping makes the chunk-ordered norm part of the result.
    const toy = toySpec({ epochs: 2, batchSize: 24, microShardSize: 5 });
    const wide = toySpec({ epochs: 2, batchSize: 24, microShardSize: 5, clipNorm: 0.05 });
    wide.model = {
      input: [1, 4, 4],
      layers: [{ type: 'flatten' }, { type: 'dense', units: 8192, activation: 'relu' }, { type: 'dense', units: 4 }],
    };
    expect(createModel(wide.model).paramCount).toBeGreaterThan(5 * REDUCE_CHUNK);
    for (const spec of [toy, wide]) {
      const hashes: string[] = [];
      for (const threads of ['1', '2', '3', '4']) {
        const prefix = `w-${randomUUID().slice(0, 8)}`;
        await startWorker(prefix, { POOL_THREADS: threads });
        const store = new JobStore(fixture.redis, prefix);
        const id = await submit(store, fixture.redis, spec, 'same-job');
        const events = await waitForEnd(store, id);
        expect(events.at(-1)?.type).toBe('completed');
        hashes.push(sha(await store.getWeights(id)));
      }
      expect(new Set(hashes).size).toBe(1);
    }
  });

  it('hands a job back on shutdown and resumes it to the same weights as an uninterrupted run', async () => {
    const spec = toySpec({ epochs: 6, batchSize: 8 }, 256);
    // uninterrupted
    const p1 = `w-${randomUUID().slice(0, 8)}`;
    await startWorker(p1);
    const s1 = new JobStore(fixture.redis, p1);
    const a = await submit(s1, fixture.redis, spec, 'resume-job');
    await waitForEnd(s1, a);
    // interrupted: drain the first worker mid-run, then a second worker resumes
    const p2 = `w-${randomUUID().slice(0, 8)}`;
    const first = await startWorker(p2, { PROGRESS_INTERVAL_MS: '0' });
    const s2 = new JobStore(fixture.redis, p2);
    const b = await submit(s2, fixture.redis, spec, 'resume-job');
    await waitForEvents(s2, b, (ev) => ev.some((e) => e.type === 'epoch'));
    await first.close();
    const handed = await s2.get(b);
    expect(handed?.status).toBe('queued');
    expect(await s2.getCheckpoint(b)).not.toBeNull();
    await startWorker(p2);
    const events = await waitForEnd(s2, b);
    expect(events.at(-1)?.type).toBe('completed');
    const doc = await s2.get(b);
    expect(doc?.attempt).toBe(2);
    expect(doc?.transitions.some((t) => t.stage === 'recovering')).toBe(true);
    expect(sha(await s2.getWeights(b))).toBe(sha(await s1.getWeights(a)));
    // one epoch event per epoch: the checkpoint and the epoch event are written together
    expect(events.filter((e) => e.type === 'epoch').map((e) => (e.data as { epoch: number }).epoch)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('fails a diverging job with code diverged and where it happened', async () => {
    const prefix = `w-${randomUUID().slice(0, 8)}`;
    await startWorker(prefix);
    const store = new JobStore(fixture.redis, prefix);
    const spec = toySpec({ optimizer: { type: 'sgd', learningRate: 10 }, loss: 'mse', epochs: 5 });
    // huge inputs and a huge learning rate: the loss overflows within a few steps
    if ('inline' in spec.dataset) spec.dataset.inline.samples = spec.dataset.inline.samples.map((s) => s.map((v) => v * 1e6));
    const id = await submit(store, fixture.redis, spec);
    const events = await waitForEnd(store, id);
    const last = events.at(-1)!;
    expect(last.type).toBe('failed');
    const error = (last.data as { error: { code: string; epoch: number; step: number } }).error;
    expect(error.code).toBe('diverged');
    expect(error.epoch).toBeGreaterThanOrEqual(1);
    expect(error.step).toBeGreaterThanOrEqual(1);
    expect((await store.get(id))?.status).toBe('failed');
  });

  it("fails a warm start the engine's weights loader refuses with invalid-weights, before training", async () => {
    const prefix = `w-${randomUUID().slice(0, 8)}`;
    await startWorker(prefix);
    const store = new JobStore(fixture.redis, prefix);
    const spec = toySpec();
    // every tensor of the model, the first one twice (the API refuses this; the worker must too)
    const tensors = exportWeights(createModel(spec.model)).map((t) => ({ name: t.name, shape: t.shape, data: Array.from(t.data) }));
    spec.initialWeights = { tensors: [...tensors, tensors[0]!] };
    const id = await submit(store, fixture.redis, spec);
    const events = await waitForEnd(store, id);
    const error = (events.at(-1)!.data as { error: { code: string; message: string } }).error;
    expect(events.at(-1)?.type).toBe('failed');
    expect(error).toEqual({ code: 'invalid-weights', message: "initialWeights: tensor 'layers.0.weight' appears twice" });
    expect(events.some((e) => e.type === 'progress' || e.type === 'epoch')).toBe(false);
    expect(await store.getWeights(id)).toBeNull();
  });

  it('cancels a running job at its next batch, keeping partial weights', async () => {
    const prefix = `w-${randomUUID().slice(0, 8)}`;
    await startWorker(prefix, { PROGRESS_INTERVAL_MS: '0' });
    const store = new JobStore(fixture.redis, prefix);
    const id = await submit(store, fixture.redis, toySpec({ epochs: 200, batchSize: 4 }, 256));
    await waitForEvents(store, id, (ev) => ev.some((e) => e.type === 'progress'));
    await store.requestCancel(id);
    const events = await waitForEnd(store, id);
    expect(events.at(-1)?.type).toBe('cancelled');
    const doc = await store.get(id);
    expect(doc?.status).toBe('cancelled');
    expect(doc?.weights?.partial).toBe(true);
    expect(await store.getWeights(id)).not.toBeNull();
  });

  it('fails a job whose workers keep dying, after MAX_CRASHES attempts', async () => {
    const prefix = `w-${randomUUID().slice(0, 8)}`;
    const store = new JobStore(fixture.redis, prefix);
    const id = await submit(store, fixture.redis, toySpec());
    // three attempts started and never finished (their workers died), none handed back
    for (let i = 0; i < 3; i++) await store.update(id, (d) => ({ attempt: d.attempt + 1, status: 'running', stage: 'training' }));
    await startWorker(prefix, { MAX_CRASHES: '3' });
    const events = await waitForEnd(store, id);
    const error = (events.at(-1)!.data as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('crash-loop');
    expect(error.message).toMatch(/3 times/);
    expect((await store.get(id))?.attempt).toBe(4);
  });

  it('computes exactly what a plain sequential loop over the engine computes (fused and clipped updates)', async () => {
    /** The definition: shuffle per epoch, micro-shards summed in order, clip, one optimizer step. */
    function reference(spec: JobSpec, shard: number): Float32Array {
      const ds = datasetFromArrays((spec.dataset as { inline: Parameters<typeof datasetFromArrays>[0] }).inline);
      const model = createModel(spec.model, { seed: spec.training.seed! });
      const P = model.paramCount;
      const opt = createOptimizer({ type: 'adam' }, P);
      const sum = new Float32Array(P);
      const slot = new Float32Array(P);
      const order = new Uint32Array(ds.count);
      const x = new Float32Array(shard * model.inputSize);
      const labels = new Int32Array(shard);
      const B = spec.training.batchSize;
      let step = 0;
      for (let e = 0; e < spec.training.epochs; e++) {
        epochOrder(order, spec.training.seed!, e, true);
        for (let from = 0; from < ds.count; from += B, step++) {
          const to = Math.min(from + B, ds.count);
          for (let a = from, s = 0; a < to; a += shard, s++) {
            const b = Math.min(a + shard, to);
            toFloatBatch(ds, order, x, a, b);
            gatherLabels(ds, order, labels, a, b);
            const target = s === 0 ? sum : slot;
            target.fill(0);
            model.bindGrads(target);
            model.computeGradients({ x, labels, n: b - a, scale: 1 / (to - from), seed: spec.training.seed!, step, sampleOffset: a });
            if (s > 0) for (let i = 0; i < P; i++) sum[i] = sum[i]! + slot[i]!;
          }
          if (spec.training.clipNorm) clipByGlobalNorm(sum, spec.training.clipNorm);
          opt.step(model.weights, sum, spec.training.optimizer.learningRate);
        }
      }
      return model.weights;
    }
    const shas: string[] = [];
    for (const clipNorm of [undefined, 0.05]) {
      const spec = toySpec({ epochs: 2, batchSize: 24, microShardSize: 5, ...(clipNorm ? { clipNorm } : {}) });
      const prefix = `w-${randomUUID().slice(0, 8)}`;
      await startWorker(prefix, { POOL_THREADS: '2' });
      const store = new JobStore(fixture.redis, prefix);
      const id = await submit(store, fixture.redis, spec);
      expect((await waitForEnd(store, id)).at(-1)?.type).toBe('completed');
      shas.push(sha(await store.getWeights(id)));
      const got = decodeSafetensors((await store.getWeights(id))!).tensors;
      const want = reference(spec, 5);
      const model = createModel(spec.model);
      const expected = exportWeights({ params: model.params, weights: want });
      expect(got.map((t) => t.name)).toEqual(expected.map((t) => t.name));
      got.forEach((t, i) => {
        expect(
          Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(
            Buffer.from(expected[i]!.data.buffer, expected[i]!.data.byteOffset, expected[i]!.data.byteLength),
          ),
        ).toBe(true);
      });
    }
    expect(shas[1]).not.toBe(shas[0]); // the clip was active
  });

  it('runs two jobs at once on one worker process, sharing its pool: a long job does not starve a short one', async () => {
    const prefix = `w-${randomUUID().slice(0, 8)}`;
    await startWorker(prefix, { POOL_THREADS: '1', WORKER_CONCURRENCY: '2', PROGRESS_INTERVAL_MS: '0' });
    const store = new JobStore(fixture.redis, prefix);
    const long = await submit(store, fixture.redis, toySpec({ epochs: 300, batchSize: 4 }, 256));
    await waitForEvents(store, long, (ev) => ev.some((e) => e.type === 'progress'));
    const short = await submit(store, fixture.redis, toySpec({ epochs: 2 }));
    expect((await waitForEnd(store, short)).at(-1)?.type).toBe('completed');
    const doc = await store.get(long);
    expect(doc?.status).toBe('running'); // the short job finished while the long one kept training
    await store.requestCancel(long);
    expect((await waitForEnd(store, long)).at(-1)?.type).toBe('cancelled');
  });
});
