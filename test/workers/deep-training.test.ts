// Batch norm, residual blocks, augmentation and label smoothing through the real worker (a real
// Redis, a real Piscina pool on dist/workers/thread.js): the weights, running statistics included,
// are the bits a plain sequential loop over the engine computes, whatever the thread count and
// across a hand-back and resume; the fashion-resnet preset itself gives the same bits on 1, 2 and
// 3 threads; evaluation and predict normalise with the trained running statistics; label
// smoothing and augmentation change what is trained.
import { createHash, randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { PREDICT_JOB_NAME, PREDICT_QUEUE, type JobSpec, type PredictJobData, type PredictResult } from '../../src/contracts/index.js';
import { datasetFromArrays, gatherLabels, loadBuiltin, toFloatBatch } from '../../src/datasets/index.js';
import {
  augmentBatch,
  createModel,
  decodeSafetensors,
  evaluate,
  exportWeights,
  loadWeights,
  predict,
  presetSpec,
  updateRunningStats,
  type NamedTensor,
} from '../../src/engine/index.js';
import { createOptimizer } from '../../src/engine/optim/index.js';
import { JobStore } from '../../src/store/index.js';
import { decodeCheckpoint } from '../../workers/checkpoint.js';
import { epochOrder } from '../../workers/job-plan.js';
import { useInProcessWorkers } from '../helpers/in-process-workers.js';
import { resnetToySpec, submit, toySpec, waitForEnd, waitForEvents } from '../helpers/jobs.js';

const fixture = useInProcessWorkers('deep-training-test');
const startWorker = fixture.start;

async function run(spec: JobSpec, env: Record<string, string> = {}, id?: string): Promise<{ store: JobStore; id: string }> {
  const prefix = `d-${randomUUID().slice(0, 8)}`;
  await startWorker(prefix, env);
  const store = new JobStore(fixture.redis, prefix);
  const jobId = await submit(store, fixture.redis, spec, id);
  expect((await waitForEnd(store, jobId, 60_000)).at(-1)?.type).toBe('completed');
  return { store, id: jobId };
}

const sha = (buf: Buffer | null) =>
  createHash('sha256')
    .update(buf ?? Buffer.alloc(0))
    .digest('hex');

const bytesOf = (t: Float32Array) => Buffer.from(t.buffer, t.byteOffset, t.byteLength);

/** The definition: per epoch the seeded order; per batch, shards of `shard` augmented from
 *  (seed, epoch, sample index), each with its own batch statistics and gradient; gradients summed
 *  in shard order, running statistics folded in shard order, one Adam step. */
function reference(spec: JobSpec, shard: number): NamedTensor[] {
  const ds = datasetFromArrays((spec.dataset as { inline: Parameters<typeof datasetFromArrays>[0] }).inline);
  const seed = spec.training.seed!;
  const model = createModel(spec.model, { seed });
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
    epochOrder(order, seed, e, true);
    for (let from = 0; from < ds.count; from += B, step++) {
      const to = Math.min(from + B, ds.count);
      const stats: { stats: Float32Array; n: number }[] = [];
      for (let a = from, s = 0; a < to; a += shard, s++) {
        const b = Math.min(a + shard, to);
        toFloatBatch(ds, order, x, a, b);
        if (spec.training.augment) augmentBatch(spec.training.augment, x, b - a, ds.shape, { seed, epoch: e, indices: order, from: a });
        gatherLabels(ds, order, labels, a, b);
        const target = s === 0 ? sum : slot;
        target.fill(0);
        model.bindGrads(target);
        stats.push({ stats: new Float32Array(model.bufferCount), n: b - a });
        model.bindBatchStats(stats[s]!.stats);
        const { labelSmoothing } = spec.training;
        model.computeGradients({ x, labels, n: b - a, scale: 1 / (to - from), seed, step, sampleOffset: a, labelSmoothing });
        if (s > 0) for (let i = 0; i < P; i++) sum[i] = sum[i]! + slot[i]!;
      }
      updateRunningStats(model, stats);
      opt.step(model.weights, sum, spec.training.optimizer.learningRate);
    }
  }
  return exportWeights(model);
}

describe('deep models through the worker', () => {
  it('trains a batch-norm residual model with augmentation and label smoothing to the same bits as a plain loop, on 1, 2 and 3 threads', async () => {
    const spec = resnetToySpec(3);
    const want = reference(spec, 4);
    const initial = exportWeights(createModel(spec.model, { seed: spec.training.seed! }));
    const hashes: string[] = [];
    for (const threads of ['1', '2', '3']) {
      const { store, id } = await run(spec, { POOL_THREADS: threads }, 'same-deep-job');
      const bytes = await store.getWeights(id);
      hashes.push(sha(bytes));
      const got = decodeSafetensors(bytes!).tensors;
      expect(got.map((t) => t.name)).toEqual(want.map((t) => t.name));
      got.forEach((t, i) => {
        expect(bytesOf(t.data).equals(bytesOf(want[i]!.data)), t.name).toBe(true);
      });
    }
    expect(new Set(hashes).size).toBe(1);
    // the file carries PyTorch's buffer names, and training moved every running statistic
    const stats = want.filter((t) => /running_(mean|var)$/.test(t.name));
    expect(stats.map((t) => t.name)).toContain('layers.3.layers.4.running_var');
    expect(stats.map((t) => t.name)).toContain('layers.8.running_mean');
    for (const t of stats) {
      const init = initial.find((i) => i.name === t.name)!;
      expect(bytesOf(t.data).equals(bytesOf(init.data)), `${t.name} moved`).toBe(false);
    }
  });

  it('trains the fashion-resnet preset itself, augmented and label-smoothed, to the same bits on 1, 2 and 3 threads', async () => {
    const spec = {
      model: presetSpec('fashion-resnet'),
      dataset: { builtin: 'fashion-mnist', trainSize: 24, testSize: 0 },
      training: {
        epochs: 1,
        batchSize: 24,
        microShardSize: 8,
        optimizer: { type: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
        labelSmoothing: 0.1,
        augment: { randomCrop: { padding: 2 }, horizontalFlip: true, randomErasing: { probability: 0.5 } },
        seed: 5,
      },
    } as JobSpec;
    const hashes = new Set<string>();
    let tensors: NamedTensor[] = [];
    for (const threads of ['1', '2', '3']) {
      const { store, id } = await run(spec, { POOL_THREADS: threads }, 'resnet-preset');
      const bytes = await store.getWeights(id);
      hashes.add(sha(bytes));
      tensors = decodeSafetensors(bytes!).tensors;
    }
    expect(hashes.size).toBe(1);
    const initial = createModel(spec.model, { seed: 5 });
    const mean = tensors.find((t) => t.name === 'layers.1.running_mean')!;
    expect(mean.data).toHaveLength(32);
    expect(bytesOf(mean.data).equals(bytesOf(initial.bufferValues.subarray(0, 32)))).toBe(false);
  });

  it('hands a job back mid-epoch and resumes it, augmentation and running statistics included, to the same bits', async () => {
    // slow running averages, so what the checkpoint held still shows in the final statistics
    const spec = resnetToySpec(30, { bnMomentum: 0.01 });
    const { store: s1, id: a } = await run(spec, {}, 'deep-resume');
    const prefix = `d-${randomUUID().slice(0, 8)}`;
    const first = await startWorker(prefix, { PROGRESS_INTERVAL_MS: '0' });
    const s2 = new JobStore(fixture.redis, prefix);
    const b = await submit(s2, fixture.redis, spec, 'deep-resume');
    await waitForEvents(s2, b, (ev) => ev.some((e) => e.type === 'epoch'));
    await first.close();
    expect((await s2.get(b))?.status).toBe('queued');
    const handedBack = decodeCheckpoint((await s2.getCheckpoint(b))!);
    expect(handedBack.state.step).toBeGreaterThan(0); // mid-epoch
    expect(handedBack.running).toHaveLength(createModel(spec.model).bufferCount);
    await startWorker(prefix);
    expect((await waitForEnd(s2, b, 60_000)).at(-1)?.type).toBe('completed');
    const doc = await s2.get(b);
    expect(doc?.attempt).toBe(2);
    expect(doc!.transitions.some((t) => t.stage === 'recovering')).toBe(true);
    expect(sha(await s2.getWeights(b))).toBe(sha(await s1.getWeights(a)));
  });

  it('label smoothing and augmentation change what is trained', async () => {
    const plain = toySpec({ epochs: 8, batchSize: 16 });
    const smoothed = toySpec({ epochs: 8, batchSize: 16, labelSmoothing: 0.2 });
    const lossOf = async (spec: JobSpec) => {
      const { store, id } = await run(spec);
      return (await store.get(id))!.history.map((h) => h.loss);
    };
    const [p, s] = [await lossOf(plain), await lossOf(smoothed)];
    // cross-entropy against (0.85, 0.05, 0.05, 0.05) cannot go below that target's entropy
    const floor = -(0.85 * Math.log(0.85) + 3 * 0.05 * Math.log(0.05));
    expect(s.every((l) => l !== null && l > floor)).toBe(true);
    expect(p.at(-1)).toBeLessThan(floor);
    expect(s[0]).not.toBe(p[0]);

    const bare = resnetToySpec(1);
    bare.training.augment = undefined;
    const { store: s1, id: a } = await run(resnetToySpec(1));
    const { store: s2, id: b } = await run(bare);
    expect(sha(await s1.getWeights(a))).not.toBe(sha(await s2.getWeights(b)));
  });

  it('evaluates and predicts with the trained running statistics (inference mode)', async () => {
    const spec: JobSpec = {
      model: {
        input: [1, 28, 28],
        layers: [
          { type: 'conv2d', filters: 4, kernelSize: 3, stride: 2, padding: 1, useBias: false },
          { type: 'batchNorm2d' },
          { type: 'relu' },
          { type: 'globalAvgPool2d' },
          { type: 'dense', units: 10 },
        ],
      },
      dataset: { builtin: 'fashion-mnist', trainSize: 64, testSize: 40 },
      training: { epochs: 2, batchSize: 32, microShardSize: 16, optimizer: { type: 'adam', learningRate: 0.01 }, seed: 3 },
    } as JobSpec;
    const { store, id } = await run(spec, { POOL_THREADS: '2' });
    const tensors = decodeSafetensors((await store.getWeights(id))!).tensors;
    const trained = createModel(spec.model);
    loadWeights(trained, tensors);
    const untouched = createModel(spec.model); // the trained weights, the initial running statistics
    const initialStats = untouched.bufferValues.slice();
    loadWeights(untouched, tensors);
    untouched.bufferValues.set(initialStats);
    const { test } = await loadBuiltin('fashion-mnist', { trainSize: 64, testSize: 40 });
    const x = Float32Array.from(test!.images, (v) => v / 255);
    const n = test!.count;
    const lastEpoch = (await store.get(id))!.history.at(-1)!;
    expect(lastEpoch.testLoss).toBeCloseTo(evaluate(trained, x, test!.labels, n).lossSum / n, 6);
    expect(lastEpoch.testLoss).not.toBeCloseTo(evaluate(untouched, x, test!.labels, n).lossSum / n, 3);

    const inputs = [0, 1, 2].map((i) => Array.from(test!.images.subarray(i * 784, (i + 1) * 784)));
    const queue = new Queue<PredictJobData, PredictResult>(PREDICT_QUEUE, { connection: fixture.redis, prefix: store.keys.prefix });
    const job = await queue.add(PREDICT_JOB_NAME, { jobId: id, inputs });
    let answer: PredictResult | undefined;
    for (let i = 0; i < 400 && answer === undefined; i++) {
      await new Promise((r) => setTimeout(r, 25));
      answer = (await queue.getJob(job.id!))?.returnvalue ?? undefined;
    }
    await queue.close();
    const expected = predict(trained, x.subarray(0, 3 * 784), 3);
    expect(answer && 'predictions' in answer).toBe(true);
    const got = (answer as { predictions: { probabilities: number[] }[] }).predictions.flatMap((p) => p.probabilities);
    expect(got).toEqual(Array.from(expected));
    expect(got).not.toEqual(Array.from(predict(untouched, x.subarray(0, 3 * 784), 3)));
  });
});
