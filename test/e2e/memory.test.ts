// Memory over HTTP with real processes (issue 12): a job whose activations would take gigabytes is
// refused on submit with a problem naming QUOTA_MAX_TRAINING_BYTES; an admitted job with large
// activations gives its memory back when it ends (the worker's resident set returns near where it
// was, because the pool's threads are replaced: workers/pool.ts). Resident sets come from
// /proc/{pid}/status; the bounds are generous (hundreds of MB against a ~650 MB job).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { JobAccepted, JobDocument } from '../../src/contracts/index.js';
import { jobEnded, postJson, startStack, waitFor, type Proc, type Stack } from '../helpers/stack.js';
import { toySpec } from '../helpers/jobs.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ redisUrl: inject('redisUrl'), apis: 1, workers: 0, env: { POOL_THREADS: '1', PROGRESS_INTERVAL_MS: '0' } });
});
afterAll(async () => {
  await stack?.stop();
});

const MiB = 2 ** 20;

function rss(proc: Proc): number {
  const status = readFileSync(`/proc/${proc.child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** `layers` dropout layers over 28 x 28 inputs, one step of batch = micro-shard = `batch`. */
function dropoutJob(layers: number, batch: number, samples = batch, classes = 2) {
  const pixels = Array.from({ length: samples }, (_, i) => Array.from({ length: 784 }, (_, j) => (i + j) % 2));
  return {
    model: {
      input: [1, 28, 28],
      layers: [
        ...Array.from({ length: layers }, () => ({ type: 'dropout', rate: 0.5 })),
        { type: 'flatten' },
        { type: 'dense', units: classes },
      ],
    },
    dataset: { inline: { shape: [1, 28, 28], samples: pixels, labels: pixels.map((_, i) => i % 2) } },
    training: { epochs: 1, batchSize: batch, microShardSize: batch, optimizer: { type: 'sgd', learningRate: 0.1 }, seed: 1 },
  };
}

const finished = (id: string) => jobEnded<JobDocument>(stack.url, id);

describe('memory admission', () => {
  it("the issue's 7 KB spec (250 dropout layers, batch = micro-shard = 1024) is refused, naming QUOTA_MAX_TRAINING_BYTES", async () => {
    const job = { ...dropoutJob(250, 1024, 0, 10), dataset: { builtin: 'fashion-mnist', trainSize: 1024 } };
    expect(JSON.stringify(job.model).length).toBeLessThan(8 * 1024);
    const v = await postJson<{ valid: boolean; memory: { trainingBytes: number; threads: number } }>(`${stack.url}/v1/jobs/validate`, job);
    expect(v.status, JSON.stringify(v.body)).toBe(200);
    expect(v.body.valid).toBe(false);
    expect(v.body.memory.threads).toBe(1);
    // 250 layers x 1024 samples x 784 values x 4 bytes, twice (outputs and dropout masks)
    expect(v.body.memory.trainingBytes).toBeGreaterThan(250 * 1024 * 784 * 4 * 2);
    const res = await postJson<{ code: string; detail: string }>(`${stack.url}/v1/jobs`, job);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('quota-exceeded');
    expect(res.body.detail).toMatch(/^trainingBytes \d+ exceeds the quota 1073741824 \(QUOTA_MAX_TRAINING_BYTES\)/);
  });

  it('a conv model with batch = micro-shard = 4096 is refused', async () => {
    const job = {
      model: { preset: 'fashion-cnn' },
      dataset: { builtin: 'fashion-mnist' },
      training: { epochs: 1, batchSize: 4096, microShardSize: 4096, optimizer: { type: 'adam', learningRate: 1e-3 } },
    };
    const res = await postJson<{ quotas: { name: string; value: number }[] }>(`${stack.url}/v1/jobs`, job);
    expect(res.status).toBe(422);
    expect(res.body.quotas.map((q) => q.name)).toEqual(['trainingBytes']);
    expect(res.body.quotas[0]!.value).toBeGreaterThan(1024 ** 3);
  });

  it('a worker gives the memory of a job with large activations back when the job ends', async () => {
    const worker = await stack.addWorker();
    // warm up: the pool's thread, its WebAssembly kernels, a dataset and a job's bookkeeping
    const warm = await postJson<JobAccepted>(`${stack.url}/v1/jobs`, toySpec({ epochs: 1 }));
    expect((await finished(warm.body.id)).status).toBe('succeeded');
    const before = rss(worker);
    // ~650 MB in the thread: 100 layers x 1024 samples x 784 values x 4 bytes, outputs and masks
    const res = await postJson<JobAccepted>(`${stack.url}/v1/jobs`, dropoutJob(100, 1024));
    expect(res.status).toBe(202);
    let peak = before;
    const sampling = setInterval(() => (peak = Math.max(peak, rss(worker))), 50);
    const doc = await finished(res.body.id).finally(() => clearInterval(sampling));
    expect(doc.status).toBe('succeeded');
    expect(peak - before, 'the job did not allocate what it should have').toBeGreaterThan(400 * MiB);
    let after = rss(worker);
    await waitFor(
      () => {
        after = rss(worker);
        return after < before + 150 * MiB;
      },
      20_000,
      () =>
        `worker RSS ${Math.round(after / MiB)} MiB after the job, ${Math.round(before / MiB)} MiB before, peak ${Math.round(peak / MiB)} MiB`,
    );
    console.log(
      `worker RSS: ${Math.round(before / MiB)} MiB before, peak ${Math.round(peak / MiB)} MiB, ${Math.round(after / MiB)} MiB after`,
    );
    expect(worker.lines.some((l) => l.includes('pool threads replaced to give memory back'))).toBe(true);
  });
});
