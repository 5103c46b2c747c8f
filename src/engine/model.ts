// A model: the layers of a spec over ONE flat weight vector and ONE flat gradient vector.
//
//   weights = [layers.0.weight | layers.0.bias | layers.3.weight | ...]   (model.params order)
//   forward:  a_0 = x,  a_{i+1} = layer_i(a_i)                          logits = a_L
//   backward: d_L = dloss/dlogits * scale;  d_i = layer_i.backward(d_{i+1}), layers in reverse,
//             each adding its dW into its slice of `grads`
//
// State that is not trained (batch norm's running mean and variance) lives apart, in a flat buffer
// vector (model.buffers order), so no optimizer ever sees it:
//   bufferValues = [layers.1.running_mean | layers.1.running_var | ...]   read at inference
//   batchStats   (same layout) written by a training forward: this call's batch statistics, which
//                updateRunningStats (running-stats.ts) folds into bufferValues, shard by shard
//
// Activation buffers belong to the model and grow with the largest n seen; no step allocates.

import { resolveSpec, summarize, type ModelDescription, type ResolvedSpec } from './describe.js';
import { fuseActivations } from './fuse.js';
import { initWeights } from './init.js';
import { createLayer, type BackwardContext, type ForwardContext, type Layer } from './layers/index.js';
import { computeLoss, countCorrect, type Labels, type LossName } from './losses.js';
import { Rng } from './rng.js';
import { bufferTable, type BufferInfo } from './running-stats.js';
import { shapeSize } from './shape.js';
import type { ModelSpec } from './spec.js';

/** One named parameter tensor: `layers.{i}.weight`, `layers.{i}.bias`, `layers.{i}.layers.{j}.weight`, PyTorch layout. */
export interface ParamInfo {
  name: string;
  layer: number;
  kind: 'weight' | 'bias';
  shape: number[];
  offset: number;
  size: number;
}

export interface CreateModelOptions {
  /** Seeds the initialisers; the same spec and seed give bit-identical weights. Default 0. */
  seed?: number;
}

export class Model {
  readonly spec: ModelSpec;
  readonly resolved: ResolvedSpec;
  readonly layers: readonly Layer[];
  readonly params: readonly ParamInfo[];
  readonly paramCount: number;
  readonly buffers: readonly BufferInfo[];
  readonly bufferCount: number;
  /** Elements per input sample (C * H * W) and number of output scores. */
  readonly inputSize: number;
  readonly classes: number;
  private weightsBuf: Float32Array;
  private gradsBuf: Float32Array;
  private bufferValuesBuf: Float32Array;
  private batchStatsBuf: Float32Array;
  private acts: Float32Array[]; // acts[i] = output of layer i, [capacity, outSize_i]
  private gradA: Float32Array = new Float32Array(0);
  private gradB: Float32Array = new Float32Array(0);
  private capacity = 0;
  /** finalFrom[i]: the offset of layer i's first parameter (or of a later layer's; paramCount if
   *  none): once layer i's backward is done, every gradient from there up is final. */
  private readonly finalFrom: number[];

  constructor(spec: ModelSpec, options: CreateModelOptions = {}) {
    this.resolved = resolveSpec(spec);
    this.spec = structuredClone(spec);
    this.layers = fuseActivations(this.resolved.layers).map(createLayer); // fuse.ts: same bits, fewer passes
    this.inputSize = shapeSize(this.resolved.input);
    this.classes = shapeSize(this.resolved.outputShape);
    const params: ParamInfo[] = [];
    let offset = 0;
    for (const layer of this.layers) {
      for (const slot of layer.paramSlots) {
        params.push({
          name: `layers.${layer.index}.${slot.name ?? slot.kind}`,
          layer: layer.index,
          kind: slot.kind,
          shape: [...slot.shape],
          offset,
          size: slot.size,
        });
        offset += slot.size;
      }
    }
    this.params = params;
    this.paramCount = offset;
    this.finalFrom = this.layers.map((layer) => params.find((p) => p.layer >= layer.index)?.offset ?? offset);
    this.weightsBuf = new Float32Array(offset);
    this.gradsBuf = new Float32Array(offset);
    this.buffers = bufferTable(this.layers);
    this.bufferCount = this.buffers.reduce((sum, b) => sum + b.size, 0);
    this.bufferValuesBuf = new Float32Array(this.bufferCount);
    this.batchStatsBuf = new Float32Array(this.bufferCount);
    this.acts = this.layers.map(() => new Float32Array(0));
    this.rebind();
    this.initialise(options.seed ?? 0);
  }

  get weights(): Float32Array {
    return this.weightsBuf;
  }

  get grads(): Float32Array {
    return this.gradsBuf;
  }

  /** The running statistics (model.buffers order): what inference normalises with. */
  get bufferValues(): Float32Array {
    return this.bufferValuesBuf;
  }

  /** The batch statistics the last training forward wrote (model.buffers order). */
  get batchStats(): Float32Array {
    return this.batchStatsBuf;
  }

  /** Uses `weights` (e.g. a view over a SharedArrayBuffer) as the model's weights, without copying. */
  bindWeights(weights: Float32Array): void {
    this.checkLength(weights, 'weights', this.paramCount);
    this.weightsBuf = weights;
    this.rebind();
  }

  /** Accumulates gradients into `grads` from now on. */
  bindGrads(grads: Float32Array): void {
    this.checkLength(grads, 'grads', this.paramCount);
    this.gradsBuf = grads;
    this.rebind();
  }

  /** Uses `values` (e.g. shared memory) as the running statistics, without copying. */
  bindBuffers(values: Float32Array): void {
    this.checkLength(values, 'buffers', this.bufferCount);
    this.bufferValuesBuf = values;
    this.rebind();
  }

  /** Training forwards write their batch statistics into `stats` from now on (a shard's own slot). */
  bindBatchStats(stats: Float32Array): void {
    this.checkLength(stats, 'batch statistics', this.bufferCount);
    this.batchStatsBuf = stats;
    this.rebind();
  }

  /** Re-draws every weight from `seed` (He/Glorot per layer, zero biases, unit scales) and resets the buffers. */
  initialise(seed: number): void {
    const rng = new Rng(seed);
    let k = 0; // params are listed in layer, then slot order
    for (const layer of this.layers) {
      for (const slot of layer.paramSlots) {
        const { offset, size } = this.params[k++]!;
        const view = this.weightsBuf.subarray(offset, offset + size);
        if (slot.init === 'zeros' || slot.init === 'ones') view.fill(slot.init === 'ones' ? 1 : 0);
        else initWeights(view, slot.init.name, slot.init.fanIn, slot.init.fanOut, rng);
      }
    }
    for (const b of this.buffers) this.bufferValuesBuf.fill(b.init === 'ones' ? 1 : 0, b.offset, b.offset + b.size);
  }

  /** The per-layer summary (shapes, parameters, FLOPs) of this model's spec. */
  describe(): ModelDescription {
    return summarize(this.resolved);
  }

  /** Runs the layers on n samples; returns a view of the logits [n, classes], valid until the next call. */
  forward(x: Float32Array, n: number, ctx: ForwardContext): Float32Array {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
    if (x.length < n * this.inputSize) {
      throw new RangeError(`x holds ${x.length} values, fewer than n * inputSize = ${n * this.inputSize}`);
    }
    this.ensureCapacity(n);
    let input = x;
    for (let i = 0; i < this.layers.length; i++) {
      const out = this.acts[i]!;
      this.layers[i]!.forward(input, out, n, ctx);
      input = out;
    }
    return input.subarray(0, n * this.classes);
  }

  /**
   * Forward + backward on n samples. Adds scale * d(sum of the n losses)/d(weights) to the
   * gradients (or, with accumulate: false, writes it there); returns the unscaled loss sum and the
   * correct count. Batch norm normalises the n samples with their own statistics (one call is one
   * ghost batch: a micro-shard) and writes those to the bound batch statistics (bindBatchStats);
   * the running statistics are left alone (updateRunningStats folds the shards in).
   */
  computeGradients(args: GradientArgs): { lossSum: number; correct: number } {
    const { x, labels, n } = args;
    if (labels.length < n) throw new RangeError(`labels holds ${labels.length} values, fewer than n = ${n}`);
    if (args.inputGrad && args.inputGrad.length < n * this.inputSize) {
      throw new RangeError(`inputGrad holds ${args.inputGrad.length} values, fewer than n * inputSize`);
    }
    const ctx: BackwardContext = {
      training: true,
      seed: args.seed ?? 0,
      step: args.step ?? 0,
      sampleOffset: args.sampleOffset ?? 0,
      accumulate: args.accumulate ?? true,
    };
    const logits = this.forward(x, n, ctx);
    const correct = countCorrect(logits, labels, n, this.classes);
    let dy = this.gradA;
    let dx = this.gradB;
    const lossSum = computeLoss(args.loss ?? 'cross-entropy', logits, labels, n, this.classes, dy, args.scale, args.labelSmoothing);
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const input = i === 0 ? x : this.acts[i - 1]!;
      this.layers[i]!.backward(input, this.acts[i]!, dy, i === 0 ? (args.inputGrad ?? null) : dx, n, ctx);
      args.onGradientsFinal?.(this.finalFrom[i]!);
      [dy, dx] = [dx, dy];
    }
    return { lossSum, correct };
  }

  private ensureCapacity(n: number): void {
    if (n <= this.capacity) return;
    this.capacity = n;
    let widest = this.classes;
    this.layers.forEach((layer, i) => {
      this.acts[i] = new Float32Array(n * layer.outSize);
      widest = Math.max(widest, layer.outSize);
    });
    this.gradA = new Float32Array(n * widest);
    this.gradB = new Float32Array(n * widest);
  }

  private rebind(): void {
    const views = (buf: Float32Array, t: { offset: number; size: number }) => buf.subarray(t.offset, t.offset + t.size);
    for (const layer of this.layers) {
      const mine = this.params.filter((p) => p.layer === layer.index);
      layer.bind(
        mine.map((p) => views(this.weightsBuf, p)),
        mine.map((p) => views(this.gradsBuf, p)),
      );
      if (!layer.bindBuffers) continue;
      const state = this.buffers.filter((b) => b.layer === layer.index);
      layer.bindBuffers(
        state.map((b) => views(this.bufferValuesBuf, b)),
        state.map((b) => views(this.batchStatsBuf, b)),
      );
    }
  }

  private checkLength(buf: Float32Array, what: string, length: number): void {
    if (!(buf instanceof Float32Array) || buf.length !== length) {
      throw new RangeError(`${what} must be a Float32Array of ${length} values, got ${buf?.length}`);
    }
  }
}

export interface GradientArgs {
  /** n * C * H * W inputs, NCHW. */
  x: Float32Array;
  /** n class indices. */
  labels: Labels;
  n: number;
  /** Multiplies every gradient: 1 / batchSize makes shards of a batch add up to the batch mean. */
  scale: number;
  /** true (default): add to the gradients, which the caller has zeroed or wants summed into;
   *  false: overwrite them (no zeroing needed: one pass over the parameters less). */
  accumulate?: boolean;
  /** Default 'cross-entropy'. */
  loss?: LossName;
  /** Cross-entropy against (1 - e) one-hot + e / classes (PyTorch's label_smoothing). Default 0. */
  labelSmoothing?: number;
  /** Dropout masks depend on (seed, step, layer path, sampleOffset + i) only. Defaults 0. */
  seed?: number;
  step?: number;
  sampleOffset?: number;
  /** If given (n * C * H * W values), receives scale * d(loss sum)/dx (overwritten): saliency, tests. */
  inputGrad?: Float32Array;
  /** Called after each layer's backward with the offset from which every gradient is final: the
   *  backward pass finishes the parameters from the top of the vector down, so a caller can start
   *  on the last layers' gradients (sum them, step the optimizer) while the first layers' run. */
  onGradientsFinal?: (from: number) => void;
}

export function createModel(spec: ModelSpec, options: CreateModelOptions = {}): Model {
  return new Model(spec, options);
}

/** Forward + backward on a slice of a batch: see Model.computeGradients. */
export function computeGradients(model: Model, args: GradientArgs): { lossSum: number; correct: number } {
  return model.computeGradients(args);
}

/** Logits [n, classes] (a view valid until the model's next call). Inference unless training is set. */
export function forward(model: Model, x: Float32Array, n: number, options: Partial<ForwardContext> = {}): Float32Array {
  return model.forward(x, n, {
    training: options.training ?? false,
    seed: options.seed ?? 0,
    step: options.step ?? 0,
    sampleOffset: options.sampleOffset ?? 0,
  });
}
