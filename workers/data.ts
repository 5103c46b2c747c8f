// Loading a job's data once and sharing it with the pool's threads.
//
// builtin: src/datasets' binary cache, read straight into a SharedArrayBuffer (no copy after);
// uploaded: the dataset bytes stored in Redis by the API (src/store/datasets.ts);
// inline: the numbers in the job spec. Every split ends up as a SharedDataset (protocol.ts).
import { datasetFromArrays, loadBuiltin, type Dataset } from '../src/datasets/index.js';
import type { JobSpec } from '../src/contracts/index.js';
import type { SharedDataset } from './protocol.js';

export interface JobData {
  train: Dataset;
  validation: Dataset | undefined;
  test: Dataset | undefined;
  /** 255 when the samples are byte pixels (the model sees x / 255), else 1. */
  inputScale: number;
}

export type UploadedLoader = (id: string) => Promise<Dataset | null>;

export class JobDataError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'JobDataError';
  }
}

/**
 * Builtin splits are read-only views: jobs with the same builtin and split options share one load
 * (and its SharedArrayBuffer). The last few are kept.
 */
const builtinCache = new Map<string, ReturnType<typeof loadBuiltin>>();
const BUILTIN_CACHE = 2;

function loadBuiltinCached(
  name: Parameters<typeof loadBuiltin>[0],
  opts: Parameters<typeof loadBuiltin>[1] = {},
): ReturnType<typeof loadBuiltin> {
  const key = JSON.stringify([name, opts]);
  let hit = builtinCache.get(key);
  if (hit) {
    builtinCache.delete(key);
  } else {
    hit = loadBuiltin(name, opts);
    hit.catch(() => builtinCache.delete(key));
  }
  builtinCache.set(key, hit);
  while (builtinCache.size > BUILTIN_CACHE) builtinCache.delete(builtinCache.keys().next().value!);
  return hit;
}

export async function loadJobData(spec: JobSpec, loadUploaded: UploadedLoader, cacheDir?: string): Promise<JobData> {
  const ref = spec.dataset;
  let splits: { train: Dataset; validation?: Dataset | undefined; test?: Dataset | undefined };
  if ('builtin' in ref) {
    const opts = {
      shared: true,
      ...(cacheDir ? { cacheDir } : {}),
      ...(ref.trainSize !== undefined ? { trainSize: ref.trainSize } : {}),
      ...(ref.testSize !== undefined ? { testSize: ref.testSize } : {}),
      ...(ref.validationSplit !== undefined ? { validationSplit: ref.validationSplit } : {}),
    };
    splits = { ...(await loadBuiltinCached(ref.builtin, opts)) };
    if (ref.testSize === 0) splits.test = undefined;
  } else if ('id' in ref) {
    const ds = await loadUploaded(ref.id);
    if (!ds) throw new JobDataError(`dataset ${ref.id} does not exist (deleted after the job was submitted?)`, 'dataset.id');
    splits = { train: ds };
  } else {
    splits = { train: datasetFromArrays(ref.inline) };
  }
  const { train, validation, test } = splits;
  if (train.count === 0) throw new JobDataError('the training set is empty', 'dataset');
  const [c, h, w] = spec.model.input;
  if (train.shape[0] !== c || train.shape[1] !== h || train.shape[2] !== w) {
    throw new JobDataError(
      `dataset samples are [${train.shape.join(', ')}] but the model input is [${spec.model.input.join(', ')}]`,
      'dataset',
    );
  }
  return {
    train,
    validation: validation && validation.count > 0 ? validation : undefined,
    test: test && test.count > 0 ? test : undefined,
    inputScale: train.images instanceof Uint8Array ? 255 : 1,
  };
}

/** A SharedDataset over `ds`: reuses its SharedArrayBuffer when it has one, else copies once. */
export function share(ds: Dataset): SharedDataset {
  const float = ds.images instanceof Float32Array;
  const [images, imagesOffset] = shareBytes(ds.images);
  const [labels, labelsOffset] = shareBytes(ds.labels);
  return { shape: [...ds.shape], classes: ds.classes, count: ds.count, images, imagesOffset, float, labels, labelsOffset };
}

function shareBytes(a: Uint8Array | Float32Array): [SharedArrayBuffer, number] {
  if (a.buffer instanceof SharedArrayBuffer) return [a.buffer, a.byteOffset];
  const sab = new SharedArrayBuffer(a.byteLength);
  new Uint8Array(sab).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return [sab, 0];
}
