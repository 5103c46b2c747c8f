// A model: the layers of a spec over ONE flat weight vector and ONE flat gradient vector.
//
//   weights = [layers.0.weight | layers.0.bias | layers.3.weight | ...]   (model.params order)
//   forward:  a_0 = x,  a_{i+1} = layer_i(a_i)                          logits = a_L
//   backward: d_L = dloss/dlogits * scale;  d_i = layer_i.backward(d_{i+1}), layers in reverse,
//             each adding its dW into its slice of `grads`
//
// Activation buffers belong to the model and grow with the largest n seen; no step allocates.

import { resolveSpec, summarize, type ModelDescription, type ResolvedSpec } from './describe.js';
import { initWeights } from './init.js';
import { createLayer, type BackwardContext, type ForwardContext, type Layer } from './layers/index.js';
import { computeLoss, countCorrect, softmax, type Labels, type LossName } from './losses.js';
import { Rng } from './rng.js';
import { shapeSize } from './shape.js';
import type { ModelSpec } from './spec.js';

/** One named parameter tensor: `layers.{i}.weight` or `layers.{i}.bias`, PyTorch layout. */
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
  /** Elements per input sample (C * H * W) and number of output scores. */
  readonly inputSize: number;
  readonly classes: number;
  private weightsBuf: Float32Array;
  private gradsBuf: Float32Array;
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
    this.layers = this.resolved.layers.map(createLayer);
    this.inputSize = shapeSize(this.resolved.input);
    this.classes = shapeSize(this.resolved.outputShape);
    const params: ParamInfo[] = [];
    let offset = 0;
    for (const layer of this.layers) {
      for (const slot of layer.paramSlots) {
        params.push({
          name: `layers.${layer.index}.${slot.kind}`,
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

  /** Uses `weights` (e.g. a view over a SharedArrayBuffer) as the model's weights, without copying. */
  bindWeights(weights: Float32Array): void {
    this.checkLength(weights, 'weights');
    this.weightsBuf = weights;
    this.rebind();
  }

  /** Accumulates gradients into `grads` from now on. */
  bindGrads(grads: Float32Array): void {
    this.checkLength(grads, 'grads');
    this.gradsBuf = grads;
    this.rebind();
  }

  /** Re-draws every weight from `seed` (He/Glorot per layer, zero biases). */
  initialise(seed: number): void {
    const rng = new Rng(seed);
    let k = 0; // params are listed in layer, then slot order
    for (const layer of this.layers) {
      for (const slot of layer.paramSlots) {
        const { offset, size } = this.params[k++]!;
        const view = this.weightsBuf.subarray(offset, offset + size);
        if (slot.init === 'zeros') view.fill(0);
        else initWeights(view, slot.init.name, slot.init.fanIn, slot.init.fanOut, rng);
      }
    }
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
   * correct count.
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
    const lossSum = computeLoss(args.loss ?? 'cross-entropy', logits, labels, n, this.classes, dy, args.scale);
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
    for (const layer of this.layers) {
      const mine = this.params.filter((p) => p.layer === layer.index);
      layer.bind(
        mine.map((p) => this.weightsBuf.subarray(p.offset, p.offset + p.size)),
        mine.map((p) => this.gradsBuf.subarray(p.offset, p.offset + p.size)),
      );
    }
  }

  private checkLength(buf: Float32Array, what: string): void {
    if (!(buf instanceof Float32Array) || buf.length !== this.paramCount) {
      throw new RangeError(`${what} must be a Float32Array of ${this.paramCount} values, got ${buf?.length}`);
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
  /** Dropout masks depend on (seed, step, layer, sampleOffset + i) only. Defaults 0. */
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

/**
 * Inference runs in chunks of at most this many samples, so a large n never grows the model's
 * activation buffers beyond what training uses (or this).
 */
export const INFERENCE_CHUNK = 256;

/** Class probabilities [n, classes] (softmax of the logits), in a new array. */
export function predict(model: Model, x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n * model.classes);
  forEachChunk(model, x, n, (logits, from, rows) => out.set(softmax(logits, rows, model.classes), from * model.classes));
  return out;
}

/** Loss sum and correct count on n samples at inference (no dropout, no gradients). */
export function evaluate(
  model: Model,
  x: Float32Array,
  labels: Labels,
  n: number,
  loss: LossName = 'cross-entropy',
): { lossSum: number; correct: number } {
  let lossSum = 0;
  let correct = 0;
  forEachChunk(model, x, n, (logits, from, rows) => {
    const chunkLabels = Array.prototype.slice.call(labels, from, from + rows) as number[];
    lossSum += computeLoss(loss, logits, chunkLabels, rows, model.classes, null, 1);
    correct += countCorrect(logits, chunkLabels, rows, model.classes);
  });
  return { lossSum, correct };
}

function forEachChunk(model: Model, x: Float32Array, n: number, visit: (logits: Float32Array, from: number, rows: number) => void): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
  for (let from = 0; from < n; from += INFERENCE_CHUNK) {
    const rows = Math.min(INFERENCE_CHUNK, n - from);
    visit(forward(model, x.subarray(from * model.inputSize), rows), from, rows);
  }
}
