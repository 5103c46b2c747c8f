// What every layer implements. Tensors are Float32Arrays in NCHW order (N samples first; a
// flat layer's sample is [F]); `n` is the number of samples in this call, so buffers may be
// longer than needed (the model grows them, never shrinks them).
//
// backward(x, y, dy, dx) gets the forward input x and output y of the same call, the loss
// gradient dy = dL/dy, ADDS dL/dW into the bound gradient views (or writes them, when
// ctx.accumulate is false), and WRITES dx = dL/dx (skipped when dx is null, e.g. for the first
// layer). It never modifies x, y or dy.

import type { LayerType } from '../spec.js';
import type { InitName } from '../spec.js';
import { shapeSize } from '../shape.js';

/** Per-call context: dropout masks depend on these integers only, never on threads. */
export interface ForwardContext {
  training: boolean;
  seed: number;
  step: number;
  /** Index of this call's first sample within the whole batch. */
  sampleOffset: number;
}

/** Per-call context of backward: the forward's, and what to do with the gradient views. */
export interface BackwardContext extends ForwardContext {
  /** true (default): add dL/dW to the gradient views; false: overwrite them, so nobody has to
   *  zero them first (a fresh micro-shard's gradient: saves a pass over every parameter). */
  accumulate?: boolean;
}

/** A parameter tensor a layer needs (the model places it in the flat weight vector). */
export interface ParamSlot {
  kind: 'weight' | 'bias';
  /** Its name relative to the layer when not `kind` (a residual block's `layers.0.weight`). */
  name?: string;
  shape: number[];
  size: number;
  /** How to initialise it: an initialiser with its fans, or zeros (biases), or ones (batch norm's scale). */
  init: { name: InitName; fanIn: number; fanOut: number } | 'zeros' | 'ones';
}

/**
 * A non-trainable state tensor (batch norm's running mean and variance, PyTorch's buffers): saved
 * with the weights, never touched by the optimizer. The model places each in its flat buffer
 * vector, and a training forward writes the same layout of batch statistics, from which
 * updateRunningStats (running-stats.ts) moves it: running <- (1 - momentum) running + momentum batch.
 */
export interface BufferSlot {
  /** Relative to the layer: `running_mean`, `layers.1.running_var`. */
  name: string;
  shape: number[];
  size: number;
  init: 'zeros' | 'ones';
  momentum: number;
  /** Values each sample adds to one element's batch statistic (H * W for batchNorm2d): a shard
   *  with fewer than 2 values has no variance, and leaves the running statistics alone. */
  valuesPerSample: number;
}

export interface Layer {
  readonly index: number;
  readonly type: LayerType;
  /** Elements per sample of the input and the output. */
  readonly inSize: number;
  readonly outSize: number;
  readonly paramSlots: readonly ParamSlot[];
  /** Points the layer at its parameter and gradient views, in paramSlots order. */
  bind(params: readonly Float32Array[], grads: readonly Float32Array[]): void;
  /** Layers with state (batch norm, residual blocks holding one): its slots, in buffer order. */
  readonly bufferSlots?: readonly BufferSlot[];
  /** Points the layer at its running statistics (read at inference) and at where a training
   *  forward writes this call's batch statistics, both in bufferSlots order. */
  bindBuffers?(running: readonly Float32Array[], batch: readonly Float32Array[]): void;
  forward(x: Float32Array, y: Float32Array, n: number, ctx: ForwardContext): void;
  backward(x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array | null, n: number, ctx: BackwardContext): void;
}

/** Returns `buf` if it holds at least `size` elements, else a new, larger one. */
export function grow(buf: Float32Array, size: number): Float32Array {
  return buf.length >= size ? buf : new Float32Array(size);
}

export function growInt(buf: Int32Array, size: number): Int32Array {
  return buf.length >= size ? buf : new Int32Array(size);
}

export const EMPTY: Float32Array = new Float32Array(0);

/**
 * The parameters conv2d and dense share: a weight of `weightShape` (initialised as `init` says)
 * and, when useBias, a zero-initialised bias with one entry per output channel or unit (the
 * weight's first dimension). bind() points them and their gradients at the model's views.
 */
export abstract class WeightedLayer {
  readonly paramSlots: readonly ParamSlot[];
  protected weight = EMPTY;
  protected bias = EMPTY;
  protected dweight = EMPTY;
  protected dbias = EMPTY;

  constructor(
    readonly index: number,
    protected readonly useBias: boolean,
    weightShape: number[],
    init: ParamSlot['init'],
  ) {
    const slots: ParamSlot[] = [{ kind: 'weight', shape: weightShape, size: shapeSize(weightShape), init }];
    const units = weightShape[0]!;
    if (useBias) slots.push({ kind: 'bias', shape: [units], size: units, init: 'zeros' });
    this.paramSlots = slots;
  }

  /** For backward when not accumulating but the kernel can only add. */
  protected zeroGrads(): void {
    this.dweight.fill(0);
    this.dbias.fill(0);
  }

  bind(params: readonly Float32Array[], grads: readonly Float32Array[]): void {
    this.weight = params[0]!;
    this.dweight = grads[0]!;
    if (this.useBias) {
      this.bias = params[1]!;
      this.dbias = grads[1]!;
    }
  }
}
