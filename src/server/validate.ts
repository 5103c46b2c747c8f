// Semantic validation of a job submission, after the JSON Schema check: the engine's pure
// describe() (shapes, parameters, FLOPs), the dataset (shape, classes, sizes), the model against
// the dataset, optimizer options that do not apply, warm-start tensors, and the quotas.
// POST /v1/jobs and POST /v1/jobs/validate run exactly this.
import { resolveSpec, SpecError, summarize, type ModelDescription, type ResolvedSpec } from '../engine/describe.js';
import { presetSpec } from '../engine/presets.js';
import { BUILTINS } from '../datasets/builtin.js';
import {
  PROBLEM_TYPES,
  type JobSpec,
  type JobSubmission,
  type ModelSpec,
  type QuotaUse,
  type ValidationReport,
} from '../contracts/index.js';
import type { Quotas } from '../config.js';
import type { JobStore } from '../store/index.js';
import type { DatasetStore } from '../store/datasets.js';
import { ProblemError, invalidField } from './errors.js';
import { jobMemory, quotaUse, runtimeLimit } from './quotas.js';

export interface ValidateContext {
  quotas: Quotas;
  /** Pool threads of a worker (POOL_THREADS): each holds a job's activations once. */
  threads: number;
  store: JobStore;
  datasets: DatasetStore;
  /** Whether the caller may use a job or dataset of this tenant (its own; an admin: any). */
  sees(tenant: string): boolean;
}

export interface Analysis {
  spec: JobSpec;
  report: ValidationReport;
  description: ModelDescription;
}

/** `layers[3].kernelSize` -> `/model/layers/3/kernelSize`. */
export function specFieldToPointer(field: string): string {
  if (field === 'spec') return '/model';
  return `/model/${field
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean)
    .join('/')}`;
}

function invalid(field: string, message: string): ProblemError {
  return new ProblemError(400, `${field}: ${message}`, { type: PROBLEM_TYPES.invalidSpec, field, code: 'invalid-spec' });
}

function describeOrThrow(model: ModelSpec, fromPreset: boolean): { description: ModelDescription; resolved: ResolvedSpec } {
  try {
    const resolved = resolveSpec(model);
    return { description: summarize(resolved), resolved };
  } catch (err) {
    if (err instanceof SpecError) {
      const prefix = `${err.field}: `;
      const message = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
      throw invalid(fromPreset ? '/model/preset' : specFieldToPointer(err.field), message);
    }
    throw err;
  }
}

export interface DatasetFacts {
  shape: number[];
  classes: number;
  trainSamples: number;
  inlineSamples: number | null;
  /** What a worker holds of the dataset while it trains (job-memory.ts). */
  workerBytes: number;
}

async function datasetFacts(sub: JobSubmission, ctx: ValidateContext): Promise<DatasetFacts> {
  const d = sub.dataset;
  if ('builtin' in d) {
    const info = BUILTINS[d.builtin];
    if (d.trainSize !== undefined && d.trainSize > info.trainCount) {
      throw invalidField('/dataset/trainSize', `must be <= ${info.trainCount} (the ${d.builtin} training split)`);
    }
    if (d.testSize !== undefined && d.testSize > info.testCount) {
      throw invalidField('/dataset/testSize', `must be <= ${info.testCount} (the ${d.builtin} test split)`);
    }
    const train = d.trainSize ?? info.trainCount;
    const held = Math.floor(train * (d.validationSplit ?? 0));
    if (train - held < 1) throw invalidField('/dataset/validationSplit', 'leaves no training samples');
    // The worker reads the whole cache file (every sample, one byte a pixel and a label) into shared memory.
    const workerBytes = (info.trainCount + info.testCount) * (info.shape[0] * info.shape[1] * info.shape[2] + 1);
    return { shape: [...info.shape], classes: info.classes, trainSamples: train - held, inlineSamples: null, workerBytes };
  }
  if ('id' in d) {
    const info = await ctx.datasets.info(d.id);
    if (!info || !ctx.sees(info.tenant)) throw invalidField('/dataset/id', `names no uploaded dataset (${d.id}); POST /v1/datasets first`);
    // Redis's bytes, then their copy into shared memory.
    return { shape: [...info.shape], classes: info.classes, trainSamples: info.count, inlineSamples: null, workerBytes: 2 * info.bytes };
  }
  const { shape, samples, labels } = d.inline;
  const size = shape[0] * shape[1] * shape[2];
  if (labels.length !== samples.length) {
    throw invalidField('/dataset/inline/labels', `has ${labels.length} labels for ${samples.length} samples`);
  }
  samples.forEach((s, i) => {
    if (s.length !== size) {
      throw invalidField(`/dataset/inline/samples/${i}`, `has ${s.length} values; shape [${shape.join(', ')}] needs ${size}`);
    }
  });
  const classes = labels.reduce((m, l) => Math.max(m, l), 0) + 1;
  // The spec's numbers as parsed JSON (8 bytes each), as float32, and their copy into shared memory.
  const workerBytes = samples.length * (16 * size + 1);
  return { shape: [...shape], classes, trainSamples: samples.length, inlineSamples: samples.length, workerBytes };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

async function checkInitialWeights(sub: JobSubmission, desc: ModelDescription, ctx: ValidateContext) {
  const iw = sub.initialWeights;
  if (!iw) return;
  if ('fromJob' in iw) {
    const doc = await ctx.store.get(iw.fromJob);
    if (!doc || !ctx.sees(doc.tenant)) throw invalidField('/initialWeights/fromJob', `names no job (${iw.fromJob})`);
    if (!(await ctx.store.hasWeights(iw.fromJob))) {
      throw invalidField('/initialWeights/fromJob', `names a job without weights (yet): ${iw.fromJob}`);
    }
    return;
  }
  const expected = new Map(desc.layers.flatMap((l) => l.tensors.map((t) => [t.name, t.shape] as const)));
  const seen = new Set<string>();
  iw.tensors.forEach((t, i) => {
    const at = `/initialWeights/tensors/${i}`;
    const want = expected.get(t.name);
    if (!want)
      throw invalidField(`${at}/name`, `${JSON.stringify(t.name)} is not a parameter of this model (${[...expected.keys()].join(', ')})`);
    if (seen.has(t.name)) throw invalidField(`${at}/name`, `${t.name} is given twice`);
    seen.add(t.name);
    if (t.shape.length !== want.length || t.shape.some((d, k) => d !== want[k])) {
      throw invalidField(`${at}/shape`, `must be [${want.join(', ')}] for ${t.name}`);
    }
    const n = want.reduce((a, b) => a * b, 1);
    if (typeof t.data === 'string') {
      if (!BASE64.test(t.data)) throw invalidField(`${at}/data`, 'is not base64');
      const bytes = Buffer.byteLength(t.data, 'base64');
      if (bytes !== n * 4) throw invalidField(`${at}/data`, `holds ${bytes} bytes; ${n} float32 values need ${n * 4}`);
    } else if (t.data.length !== n) {
      throw invalidField(`${at}/data`, `has ${t.data.length} values; shape [${want.join(', ')}] needs ${n}`);
    }
  });
}

function checkTraining(sub: JobSubmission): void {
  const o = sub.training.optimizer;
  if (o.type !== 'sgd') {
    if (o.momentum !== undefined) throw invalidField('/training/optimizer/momentum', `applies to sgd only, not ${o.type}`);
    if (o.nesterov !== undefined) throw invalidField('/training/optimizer/nesterov', `applies to sgd only, not ${o.type}`);
  } else {
    if (o.beta1 !== undefined) throw invalidField('/training/optimizer/beta1', 'applies to adam/adamw only, not sgd');
    if (o.beta2 !== undefined) throw invalidField('/training/optimizer/beta2', 'applies to adam/adamw only, not sgd');
    if (o.nesterov && !(o.momentum && o.momentum > 0)) {
      throw invalidField('/training/optimizer/nesterov', 'needs momentum > 0');
    }
  }
  checkAugment(sub.training);
  const s = sub.training.schedule;
  if (s?.type === 'cosine' && s.minLearningRate !== undefined && s.minLearningRate > o.learningRate) {
    throw invalidField('/training/schedule/minLearningRate', `must be <= learningRate (${o.learningRate})`);
  }
}

/** What the schema cannot say: label smoothing needs the cross-entropy, erasing's ranges are [min, max]. */
function checkAugment(t: JobSubmission['training']): void {
  if (t.labelSmoothing && t.loss === 'mse')
    throw invalidField('/training/labelSmoothing', 'applies to the cross-entropy loss only, not mse');
  const erasing = t.augment?.randomErasing;
  for (const key of ['scale', 'ratio'] as const) {
    const range = erasing?.[key];
    if (range && range[0] > range[1]) {
      throw invalidField(`/training/augment/randomErasing/${key}`, `must be [min, max], got [${range.join(', ')}]`);
    }
  }
}

/** Resolve, check and measure a submission. Throws ProblemError (400) when it is invalid. */
export async function analyzeSubmission(sub: JobSubmission, ctx: ValidateContext): Promise<Analysis> {
  const fromPreset = 'preset' in sub.model;
  const model: ModelSpec = 'preset' in sub.model ? (presetSpec(sub.model.preset) as ModelSpec) : sub.model;
  const { description, resolved } = describeOrThrow(model, fromPreset);
  checkTraining(sub);
  const facts = await datasetFacts(sub, ctx);

  const inputField = fromPreset ? '/model/preset' : '/model/input';
  if (model.input.length !== facts.shape.length || model.input.some((d, i) => d !== facts.shape[i])) {
    throw invalid(inputField, `the model takes [${model.input.join(', ')}] but the dataset's samples are [${facts.shape.join(', ')}]`);
  }
  const outputs = description.outputShape[0]!;
  if (outputs !== facts.classes) {
    const last = [...model.layers.keys()].reverse().find((i) => model.layers[i]!.type === 'dense');
    const field = fromPreset ? '/model/preset' : last !== undefined ? `/model/layers/${last}/units` : '/model/layers';
    throw invalid(field, `the model outputs ${outputs} class scores but the dataset has ${facts.classes} classes`);
  }
  await checkInitialWeights(sub, description, ctx);

  const q = ctx.quotas;
  const memory = jobMemory(resolved, sub.training, facts, ctx.threads);
  const runtime = runtimeLimit(sub.stopping, q.maxRuntimeSeconds);
  const quotas: QuotaUse[] = [
    quotaUse('params', description.params, q.maxParams),
    quotaUse('flopsPerSample', description.flops, q.maxFlopsPerSample),
    quotaUse('trainingFlops', 3 * description.flops * facts.trainSamples * sub.training.epochs, q.maxTrainingFlops),
    quotaUse('trainingBytes', memory.trainingBytes, q.maxTrainingBytes),
    quotaUse('epochs', sub.training.epochs, q.maxEpochs),
    quotaUse('maxRuntimeSeconds', runtime, q.maxRuntimeSeconds),
  ];
  if (facts.inlineSamples !== null) quotas.push(quotaUse('inlineSamples', facts.inlineSamples, q.maxInlineSamples));

  const { model: _ignored, ...rest } = sub;
  // Omitted, the runtime quota is the job's limit: the worker stops it there (reason max-runtime).
  const spec: JobSpec = { model, ...rest, stopping: { ...sub.stopping, maxRuntimeSeconds: runtime } };
  const report: ValidationReport = {
    valid: quotas.every((u) => !u.exceeded),
    model: {
      input: [...description.input],
      layers: description.layers.map((l) => ({ ...l, outputShape: [...l.outputShape] })),
      outputShape: [...description.outputShape],
      params: description.params,
      flops: description.flops,
    },
    dataset: { shape: facts.shape, classes: facts.classes, trainSamples: facts.trainSamples },
    stepsPerEpoch: Math.ceil(facts.trainSamples / sub.training.batchSize),
    memory,
    quotas,
  };
  return { spec, report, description };
}
