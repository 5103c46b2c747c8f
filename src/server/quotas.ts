// The deployment's per-job quotas (QUOTA_* variables, src/config.ts) as the validation report lists
// them, each naming the variable that sets it; the memory a worker needs to train a job, the
// runtime limit a job gets when it names none, and predict's compute budget.
import type { ResolvedSpec } from '../engine/describe.js';
import { memorySummary, trainingMemory } from '../engine/memory.js';
import {
  DEFAULT_MICRO_SHARD_SIZE,
  LIMITS,
  PROBLEM_TYPES,
  type MemoryReport,
  type QuotaUse,
  type Stopping,
  type Training,
} from '../contracts/index.js';
import { ProblemError } from './errors.js';

const VARIABLES: Record<string, string> = {
  params: 'QUOTA_MAX_PARAMS',
  flopsPerSample: 'QUOTA_MAX_FLOPS_PER_SAMPLE',
  trainingFlops: 'QUOTA_MAX_TRAINING_FLOPS',
  trainingBytes: 'QUOTA_MAX_TRAINING_BYTES',
  epochs: 'QUOTA_MAX_EPOCHS',
  maxRuntimeSeconds: 'QUOTA_MAX_RUNTIME_SECONDS',
  inlineSamples: 'QUOTA_MAX_INLINE_SAMPLES',
  predictFlops: 'QUOTA_MAX_PREDICT_FLOPS',
};

export function quotaUse(name: keyof typeof VARIABLES, value: number, limit: number): QuotaUse {
  return { name, value, limit, exceeded: value > limit, variable: VARIABLES[name]! };
}

/** The job's runtime limit: its own, else the quota (capped to what the schema accepts). */
export function runtimeLimit(stopping: Stopping | undefined, maxRuntimeSeconds: number): number {
  return stopping?.maxRuntimeSeconds ?? Math.min(maxRuntimeSeconds, LIMITS.maxRuntimeSeconds);
}

const OPTIMIZER_BUFFERS = { adam: 2, adamw: 2 } as const;

/** The memory a worker with `threads` pool threads needs to train the model (src/engine/memory.ts). */
export function jobMemory(
  model: ResolvedSpec,
  training: Training,
  dataset: { trainSamples: number; workerBytes: number },
  threads: number,
): MemoryReport {
  const o = training.optimizer;
  const optimizerBuffers = o.type === 'sgd' ? ((o.momentum ?? 0) > 0 ? 1 : 0) : OPTIMIZER_BUFFERS[o.type];
  const m = trainingMemory(model, {
    batchSize: training.batchSize,
    shardSize: training.microShardSize ?? DEFAULT_MICRO_SHARD_SIZE,
    optimizerBuffers,
    threads,
    trainSamples: dataset.trainSamples,
    datasetBytes: dataset.workerBytes,
  });
  const t = m.perThread;
  return {
    threads,
    perThreadBytes: t.total,
    activationBytes: t.activations,
    activationGradientBytes: t.activationGradients,
    scratchBytes: t.layerScratch + t.input + t.kernelScratch,
    parameterBytes: m.parameters,
    parameterGradientBytes: m.parameterGradients,
    optimizerBytes: m.optimizerState,
    datasetBytes: m.dataset,
    trainingBytes: m.total,
    predictBytesPerInput: memorySummary(model).bytesPerSample.inference,
  };
}

/** The problem for exceeded quotas (POST /v1/jobs, predict: 422), naming each one's variable. */
export function quotaProblem(quotas: readonly QuotaUse[]): ProblemError {
  const over = quotas.filter((u) => u.exceeded);
  return new ProblemError(422, over.map((u) => `${u.name} ${u.value} exceeds the quota ${u.limit} (${u.variable})`).join('; '), {
    type: PROBLEM_TYPES.quota,
    code: 'quota-exceeded',
    extra: { quotas: over },
  });
}
