// How many bytes a model takes to train and to run: what the engine allocates for it, buffer by
// buffer, so that a job can be refused before it exhausts a worker (QUOTA_MAX_TRAINING_BYTES) and
// evaluation and predict can run in chunks of a bounded size. Pure; the server reaches it through
// describe.ts. test/engine/memory.test.ts holds these figures against what a pool thread allocates.
//
// One pool thread, running `rows` samples at once (a micro-shard, or a chunk of inference):
//   activations           4 rows sum(out_i)              Model.acts: every layer's output, kept for backward
//   activation gradients  8 rows max(out_i, classes)     Model.gradA, gradB: dL/dy and dL/dx of one layer
//   layer scratch         dropout masks 4 rows in_i, max-pool switches 4 rows out_i, dense dz 4 rows units
//   input                 4 rows (C H W + 1)             the thread's batch of inputs and labels
//   kernel scratch        the largest single kernel call's operands in WebAssembly memory, which
//                         only grows (kernels/wasm.ts): a conv call's samples in chunks of at most
//                         32 MiB plus its im2col blocks or Winograd tiles, a dense layer's GEMM operands and their
//                         packed copies, an activation layer's whole input
// Every thread of a worker's pool may run tasks of a job, so each holds this once.
// The job, on the worker's main thread: the weights three times (the shared ones, and the main
// thread's model's weights and gradients), the gradient sum and one slot per further micro-shard,
// the optimizer state, the sample order, a checkpoint being encoded, and the dataset.
import type { ResolvedLayer, ResolvedSpec } from './describe.js';
import { fuseActivations } from './fuse.js';
import { align, convWorkBytes, F32, gemmBytes, packedA, winogradBytes, winogradGradBytes, winogradTileBytes } from './kernel-bytes.js';
import { isPool2x2, shapeSize, winogradFits, winogradInputGradFits } from './shape.js';
import { assertNever } from './spec.js';

/** Inference (evaluation, predict) runs at most this many samples at once (model.ts INFERENCE_CHUNK). */
export const MAX_INFERENCE_ROWS = 256;
/** What one chunk of inference may take in a thread: models with large activations run smaller chunks. */
export const INFERENCE_CHUNK_BYTES = 64 << 20;
// kernels/wasm.ts: samples per conv call are cut to chunks of CONV_CHUNK_BYTES; the optimizer
// kernels work in blocks of OPT_BLOCK elements; the module starts with one page.
const CONV_CHUNK_BYTES = 32 << 20;
const OPT_BLOCK = 16384;
const WASM_PAGE = 65536;

export interface ThreadBytes {
  activations: number;
  activationGradients: number;
  layerScratch: number;
  input: number;
  kernelScratch: number;
  total: number;
}

export interface ThreadWork {
  /** Samples the thread's buffers are sized for: the larger of a micro-shard and an inference chunk. */
  rows: number;
  /** Samples of a training micro-shard (0: inference only). */
  shardRows: number;
  /** Micro-shards per step (the gradient sum reads that many blocks at once). */
  shards?: number;
  paramCount?: number;
}

/** What one pool thread holds for a model (see the header). */
export function threadBytes(model: ResolvedSpec, work: ThreadWork): ThreadBytes {
  const { rows, shardRows } = work;
  const training = shardRows > 0;
  let outputs = 0;
  let widest = shapeSize(model.outputShape);
  let layerScratch = 0;
  let kernel = 0;
  for (const l of fuseActivations(model.layers)) {
    const out = shapeSize(l.outShape);
    outputs += out;
    widest = Math.max(widest, out);
    layerScratch += scratchBytes(l, rows, shardRows);
    kernel = Math.max(kernel, kernelBytes(l, rows, false, l.index === 0));
    if (training) kernel = Math.max(kernel, kernelBytes(l, shardRows, true, l.index === 0));
  }
  if (training) {
    const block = align(Math.min(work.paramCount ?? OPT_BLOCK, OPT_BLOCK) * F32);
    kernel = Math.max(kernel, 4 * block, Math.max(1, work.shards ?? 1) * block); // Adam; the shard sum
  }
  const t = {
    activations: F32 * rows * outputs,
    activationGradients: 2 * F32 * rows * widest,
    layerScratch,
    input: F32 * rows * (shapeSize(model.input) + 1),
    kernelScratch: Math.max(WASM_PAGE, Math.ceil((kernel + 1024) / WASM_PAGE) * WASM_PAGE),
  };
  return { ...t, total: t.activations + t.activationGradients + t.layerScratch + t.input + t.kernelScratch };
}

/** Samples per chunk of inference: as many as fit INFERENCE_CHUNK_BYTES, from 1 to MAX_INFERENCE_ROWS. */
export function inferenceRows(model: ResolvedSpec): number {
  let lo = 1;
  let hi = MAX_INFERENCE_ROWS;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (threadBytes(model, { rows: mid, shardRows: 0 }).total <= INFERENCE_CHUNK_BYTES) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** What describe() reports of a model's memory (a part of ModelDescription). */
export interface MemorySummary {
  bytesPerSample: {
    /** A training sample in a pool thread: activations, their gradients, scratch (kernels aside). */
    training: number;
    /** One input at inference: a full inference chunk's bytes, kernels included, per input (predict's cost). */
    inference: number;
  };
}

export function memorySummary(model: ResolvedSpec): MemorySummary {
  const t = threadBytes(model, { rows: 1, shardRows: 1 });
  const rows = inferenceRows(model);
  const inference = Math.ceil(threadBytes(model, { rows, shardRows: 0 }).total / rows);
  return { bytesPerSample: { training: t.total - t.kernelScratch, inference } };
}

export interface TrainingPlan {
  batchSize: number;
  shardSize: number;
  /** Optimizer state vectors the size of the weights: Adam 2, SGD with momentum 1, plain SGD 0. */
  optimizerBuffers: number;
  /** Pool threads of the worker. */
  threads: number;
  trainSamples: number;
  /** The job's dataset as the worker holds it (every split, every copy). */
  datasetBytes: number;
}

export interface TrainingMemory {
  /** What each pool thread holds (activations and their gradients for one micro-shard, scratch). */
  perThread: ThreadBytes;
  threads: number;
  /** Shared weights, and the main thread's model's weights and gradients. */
  parameters: number;
  /** The gradient sum and one slot per further micro-shard of a batch. */
  parameterGradients: number;
  optimizerState: number;
  /** The epoch's sample order and a checkpoint being encoded. */
  bookkeeping: number;
  dataset: number;
  total: number;
}

/** What each pool thread holds to train `model` in batches of batchSize cut into micro-shards of shardSize. */
export function trainingThreadBytes(model: ResolvedSpec, plan: Pick<TrainingPlan, 'batchSize' | 'shardSize'>): ThreadBytes {
  const shardRows = Math.min(plan.shardSize, plan.batchSize);
  const shards = Math.ceil(plan.batchSize / shardRows);
  const rows = Math.max(shardRows, inferenceRows(model)); // workers/thread.ts sizes its buffers so
  return threadBytes(model, { rows, shardRows, shards, paramCount: paramCount(model) });
}

/** The bytes a worker needs to train `model` with `plan`: threads x per thread + the job's own. */
export function trainingMemory(model: ResolvedSpec, plan: TrainingPlan): TrainingMemory {
  const P = paramCount(model);
  const shards = Math.ceil(plan.batchSize / Math.min(plan.shardSize, plan.batchSize));
  const perThread = trainingThreadBytes(model, plan);
  const m = {
    parameters: 3 * F32 * P,
    parameterGradients: F32 * P * (1 + Math.max(1, shards - 1)),
    optimizerState: F32 * P * plan.optimizerBuffers,
    bookkeeping: F32 * plan.trainSamples + F32 * P * (1 + plan.optimizerBuffers),
    dataset: plan.datasetBytes,
  };
  const total = plan.threads * perThread.total + m.parameters + m.parameterGradients + m.optimizerState + m.bookkeeping + m.dataset;
  return { perThread, threads: plan.threads, ...m, total };
}

const paramCount = (model: ResolvedSpec): number => model.layers.reduce((sum, l) => sum + l.params, 0);

/** JS buffers a layer keeps besides its output: masks, switches, its pre-activation gradient. */
function scratchBytes(l: ResolvedLayer, rows: number, shardRows: number): number {
  switch (l.type) {
    case 'dropout':
      return l.rate > 0 ? F32 * shardRows * shapeSize(l.inShape) : 0;
    case 'dropout2d':
      return l.rate > 0 ? F32 * shardRows * l.inShape[0]! : 0; // one mask value per channel
    case 'residual': {
      // The block keeps its layers' outputs (and its shortcut's) itself, two ping-pong gradients
      // as wide as its widest layer input, the shortcut's input gradient, and its layers' scratch.
      const inner = l.shortcut ? [...l.layers, l.shortcut] : l.layers;
      const outs = inner.reduce((sum, x) => sum + shapeSize(x.outShape), 0);
      const widest = Math.max(...l.layers.map((x) => shapeSize(x.inShape)));
      const shortcutDx = l.shortcut ? F32 * shardRows * shapeSize(l.inShape) : 0;
      const own = F32 * rows * outs + 2 * F32 * shardRows * widest + shortcutDx;
      return own + inner.reduce((sum, x) => sum + scratchBytes(x, rows, shardRows), 0);
    }
    case 'batchNorm2d':
    case 'batchNorm1d':
    case 'globalAvgPool2d':
      return 0; // per-channel statistics only
    case 'maxPool2d':
      return F32 * rows * shapeSize(l.outShape);
    case 'dense':
      return l.activation ? F32 * shardRows * l.units : 0;
    case 'conv2d':
    case 'avgPool2d':
    case 'flatten':
    case 'relu':
    case 'leakyRelu':
    case 'elu':
    case 'sigmoid':
    case 'tanh':
      return 0;
    default:
      return assertNever(l);
  }
}

/**
 * WebAssembly memory one call of the layer's kernels needs for n samples (kernels/wasm.ts
 * layouts). `first`: the model's first layer, which computes no input gradient.
 */
function kernelBytes(l: ResolvedLayer, n: number, backward: boolean, first: boolean): number {
  switch (l.type) {
    case 'conv2d': {
      const [c, h, w] = l.inShape as [number, number, number];
      const [f, oh, ow] = l.outShape as [number, number, number];
      const xPer = c * h * w;
      const yPer = f * oh * ow;
      const wBytes = align(f * c * l.window.kh * l.window.kw * F32);
      const work = align(convWorkBytes(c * l.window.kh * l.window.kw, f, oh, ow)) + 512;
      if (!backward) {
        const chunk = Math.max(1, Math.min(n, Math.floor(CONV_CHUNK_BYTES / ((xPer + yPer) * F32))));
        const fixed = wBytes + align(f * F32) + align(chunk * xPer * F32) + align(chunk * yPer * F32);
        if (winogradFits(l.window, c, oh, ow)) return fixed + winogradBytes(c, f, oh, ow);
        return fixed + work;
      }
      const act = l.activation !== null;
      const perSample = (xPer * (first ? 1 : 2) + yPer * (act ? 2 : 1)) * F32;
      const chunk = Math.max(1, Math.min(n, Math.floor(CONV_CHUNK_BYTES / perSample)));
      const samples = align(chunk * xPer * F32) * (first ? 1 : 2) + align(chunk * yPer * F32) * (act ? 2 : 1);
      const dxWino = !first && winogradInputGradFits(l.window, c, f, oh, ow);
      const dwWork = winogradFits(l.window, c, oh, ow) ? align(winogradGradBytes(c, f, oh, ow)) + 64 : 0;
      const dxWork = dxWino ? align(16 * c * f * F32) + align(winogradTileBytes(f, c, h, w)) : 0;
      const dxWeights = dxWino ? align(16 * packedA(c, f)) : 0;
      return 2 * wBytes + align(f * F32) + samples + dxWeights + Math.max(work, dwWork, dxWork);
    }
    case 'dense': {
      const inputs = shapeSize(l.inShape);
      if (!backward) return gemmBytes(n, l.units, inputs);
      return Math.max(gemmBytes(l.units, inputs, n), first ? 0 : gemmBytes(n, inputs, l.units));
    }
    case 'relu':
    case 'leakyRelu':
    case 'elu':
    case 'sigmoid':
    case 'tanh':
      return (backward ? 2 : 1) * align(n * shapeSize(l.inShape) * F32);
    case 'residual': {
      const inner = l.shortcut ? [...l.layers, l.shortcut] : l.layers;
      // Inside a block every layer computes its input gradient (the block's dx needs it).
      return Math.max(0, ...inner.map((x) => kernelBytes(x, n, backward, false)));
    }
    case 'maxPool2d': {
      // the 2x2 stride-2 kernel (kernels/wasm.ts maxPool2x2): x, y and switches, in chunks of planes
      const [c, h, w] = l.inShape as [number, number, number];
      const [, oh, ow] = l.outShape as [number, number, number];
      if (backward || !isPool2x2({ win: l.window, h, w, oh, ow })) return 0;
      const chunk = Math.max(1, Math.min(n * c, Math.floor(CONV_CHUNK_BYTES / ((h * w + 2 * oh * ow) * F32))));
      return align(chunk * h * w * F32) + 2 * align(chunk * oh * ow * F32);
    }
    case 'avgPool2d':
    case 'globalAvgPool2d':
    case 'batchNorm2d':
    case 'batchNorm1d':
    case 'flatten':
    case 'dropout':
    case 'dropout2d':
      return 0;
    default:
      return assertNever(l);
  }
}
