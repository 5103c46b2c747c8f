// Building job specs and submitting them the way the API does (document + queued event + queue
// entry), for worker tests that run without the HTTP layer.
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { TRAIN_JOB_NAME, TRAIN_QUEUE, type JobDocument, type JobSpec } from '../../src/contracts/index.js';
import { Rng } from '../../src/engine/rng.js';
import type { AugmentSpec, LayerSpec, ModelSpec } from '../../src/engine/index.js';
import { queuedJobDocument, type JobStore, type StoredEvent } from '../../src/store/index.js';

/** A separable toy problem: class = which quadrant of a 4x4 image is brightest. Float samples. */
export function toyDataset(
  count: number,
  seed = 1,
  classes = 4,
): { shape: [number, number, number]; samples: number[][]; labels: number[] } {
  const rng = new Rng(seed);
  const samples: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const label = i % classes;
    const s: number[] = [];
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        const q = (y < 2 ? 0 : 2) + (x < 2 ? 0 : 1);
        s.push(Math.round((rng.next() * 0.3 + (q === label ? 0.7 : 0)) * 1000) / 1000);
      }
    }
    samples.push(s);
    labels.push(label);
  }
  return { shape: [1, 4, 4], samples, labels };
}

export function toySpec(overrides: Partial<JobSpec['training']> = {}, count = 192): JobSpec {
  return {
    model: {
      input: [1, 4, 4],
      layers: [
        { type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' },
        { type: 'dropout', rate: 0.1 },
        { type: 'flatten' },
        { type: 'dense', units: 4 },
      ],
    },
    dataset: { inline: toyDataset(count) },
    training: { epochs: 3, batchSize: 32, optimizer: { type: 'adam', learningRate: 0.01 }, seed: 7, ...overrides },
  } as JobSpec;
}

/** fashion-resnet in miniature: a stem with batch norm, an identity block, a projecting block, global pooling. */
export const tinyResnet: ModelSpec = {
  input: [1, 4, 4],
  layers: [
    { type: 'conv2d', filters: 4, kernelSize: 3, padding: 1, useBias: false },
    { type: 'batchNorm2d' },
    { type: 'relu' },
    {
      type: 'residual',
      layers: [
        { type: 'conv2d', filters: 4, kernelSize: 3, padding: 1, useBias: false },
        { type: 'batchNorm2d' },
        { type: 'relu' },
        { type: 'conv2d', filters: 4, kernelSize: 3, padding: 1, useBias: false },
        { type: 'batchNorm2d' },
      ],
    },
    { type: 'relu' },
    {
      type: 'residual',
      layers: [{ type: 'conv2d', filters: 8, kernelSize: 3, stride: 2, padding: 1, useBias: false }, { type: 'batchNorm2d' }],
      shortcut: { stride: 2 },
    },
    { type: 'relu' },
    { type: 'globalAvgPool2d' },
    { type: 'batchNorm1d' },
    { type: 'dense', units: 4 },
  ],
};

export const toyAugment: AugmentSpec = { randomCrop: { padding: 1 }, horizontalFlip: true, randomErasing: { probability: 0.5 } };

/** 50 samples in batches of 12 (the last of 2) and micro-shards of 4: three shards a step, a ragged end. */
export function resnetToySpec(epochs: number, options: { count?: number; bnMomentum?: number } = {}): JobSpec {
  const spec = toySpec({ epochs, batchSize: 12, microShardSize: 4, labelSmoothing: 0.1, augment: toyAugment }, options.count ?? 50);
  spec.model = structuredClone(tinyResnet);
  const { bnMomentum } = options;
  const setMomentum = (layers: LayerSpec[]): void => {
    for (const l of layers) {
      if (l.type === 'residual') setMomentum(l.layers);
      else if (bnMomentum !== undefined && (l.type === 'batchNorm2d' || l.type === 'batchNorm1d')) l.momentum = bnMomentum;
    }
  };
  setMomentum(spec.model.layers);
  return spec;
}

export function newJobDocument(id: string, spec: JobSpec): JobDocument {
  const n = 'inline' in spec.dataset ? spec.dataset.inline.labels.length : 0;
  return queuedJobDocument(id, spec, Math.ceil(n / spec.training.batchSize));
}

export async function submit(store: JobStore, redis: Redis, spec: JobSpec, id = `j${randomUUID().slice(0, 12)}`): Promise<string> {
  const doc = newJobDocument(id, spec);
  await store.create(doc, { type: 'status', data: { status: 'queued', stage: 'queued', attempt: 0, at: doc.createdAt } });
  const queue = new Queue(TRAIN_QUEUE, { connection: redis, prefix: store.keys.prefix });
  await queue.add(TRAIN_JOB_NAME, { id }, { jobId: id, removeOnComplete: true });
  await queue.close();
  return id;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** Polls the job's event log until a terminal event; returns every event. */
export async function waitForEnd(store: JobStore, id: string, timeoutMs = 30_000): Promise<StoredEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await store.events(id);
    if (events.some((e) => TERMINAL.has(e.type))) return events;
    if (Date.now() > deadline) throw new Error(`job ${id} did not finish: ${events.map((e) => e.type).join(',')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Polls until `predicate` holds for the job's events. */
export async function waitForEvents(
  store: JobStore,
  id: string,
  predicate: (events: StoredEvent[]) => boolean,
  timeoutMs = 30_000,
): Promise<StoredEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await store.events(id);
    if (predicate(events)) return events;
    if (Date.now() > deadline) throw new Error(`job ${id}: condition not met: ${events.map((e) => e.type).join(',')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
