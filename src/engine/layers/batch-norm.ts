// batchNorm2d / batchNorm1d: normalise each channel over the samples of this call, then scale and
// shift it with learned gamma (`weight`) and beta (`bias`). One class: 1d is 2d with H * W = 1.
//
//   x, y [N, C, S]  (S = H * W for batchNorm2d, 1 for batchNorm1d)   gamma, beta [C]
//   per channel c, over its m = N * S values (sums below run over those m values):
// Training, with the statistics of THIS call (a micro-shard: "ghost" batch norm, see below):
//   mu = (1/m) sum x        var = (1/m) sum (x - mu)^2          (biased, as PyTorch normalises)
//   xhat = (x - mu) / sqrt(var + eps)        y = gamma * xhat + beta
//   it also writes its batch statistics, mu and the unbiased var * m / (m - 1), into the bound
//   batch views: the caller folds them into the running statistics (running-stats.ts)
// Inference: the running statistics instead, xhat = (x - running_mean) / sqrt(running_var + eps)
//
// Backward (training); '+=' becomes '=' when not accumulating:
//   dbeta  += sum dy
//   dgamma += sum dy * xhat
//   dx = gamma / sqrt(var + eps) * (dy - (1/m) sum dy - xhat * (1/m) sum dy * xhat)
// mu and var depend on every x of the channel: the two subtracted means are their share of dx.
// At inference mu and var are constants and dx = gamma / sqrt(running_var + eps) * dy.
//
// Ghost batch norm: the micro-shard is fixed by the job (training.microShardSize), never by the
// thread count, so statistics per call are the same arithmetic on any number of threads; the
// running statistics then take the shards' statistics one by one, in shard order. The sums run
// in float64 over a fixed order, so a call's result does not depend on anything else either.

import type { ResolvedLayer } from '../describe.js';
import { EMPTY, type BackwardContext, type BufferSlot, type ForwardContext, type Layer, type ParamSlot } from './layer.js';

type BatchNormSpec = Extract<ResolvedLayer, { type: 'batchNorm2d' | 'batchNorm1d' }>;

export class BatchNorm implements Layer {
  readonly type: 'batchNorm2d' | 'batchNorm1d';
  readonly index: number;
  readonly inSize: number;
  readonly outSize: number;
  readonly paramSlots: readonly ParamSlot[];
  readonly bufferSlots: readonly BufferSlot[];
  private readonly channels: number;
  private readonly spatial: number; // S
  private readonly eps: number;
  private gamma = EMPTY;
  private beta = EMPTY;
  private dgamma = EMPTY;
  private dbeta = EMPTY;
  // Own buffers until the model binds its vectors, so a lone layer (tests) works too.
  private runningMean: Float32Array;
  private runningVar: Float32Array;
  private batchMean: Float32Array;
  private batchVar: Float32Array;
  // The last forward's per-channel mean and 1 / sqrt(var + eps): backward recomputes xhat from x.
  private readonly mean: Float64Array;
  private readonly invStd: Float64Array;
  private training = false;

  constructor(spec: BatchNormSpec) {
    const c = spec.inShape[0]!;
    this.type = spec.type;
    this.index = spec.index;
    this.channels = c;
    this.spatial = spec.inShape.slice(1).reduce((a, b) => a * b, 1);
    this.inSize = c * this.spatial;
    this.outSize = this.inSize;
    this.eps = spec.eps;
    this.paramSlots = [
      { kind: 'weight', shape: [c], size: c, init: 'ones' },
      { kind: 'bias', shape: [c], size: c, init: 'zeros' },
    ];
    const stat = (name: string, init: 'zeros' | 'ones'): BufferSlot => ({
      name,
      shape: [c],
      size: c,
      init,
      momentum: spec.momentum,
      valuesPerSample: this.spatial,
    });
    this.bufferSlots = [stat('running_mean', 'zeros'), stat('running_var', 'ones')];
    this.runningMean = new Float32Array(c);
    this.runningVar = new Float32Array(c).fill(1);
    this.batchMean = new Float32Array(c);
    this.batchVar = new Float32Array(c);
    this.mean = new Float64Array(c);
    this.invStd = new Float64Array(c);
  }

  bind(params: readonly Float32Array[], grads: readonly Float32Array[]): void {
    [this.gamma, this.beta] = params as [Float32Array, Float32Array];
    [this.dgamma, this.dbeta] = grads as [Float32Array, Float32Array];
  }

  bindBuffers(running: readonly Float32Array[], batch: readonly Float32Array[]): void {
    [this.runningMean, this.runningVar] = running as [Float32Array, Float32Array];
    [this.batchMean, this.batchVar] = batch as [Float32Array, Float32Array];
  }

  /** y = gamma * xhat + beta, per channel: scale = gamma / sqrt(var + eps), shift = beta - mu * scale. */
  forward(x: Float32Array, y: Float32Array, n: number, ctx: ForwardContext): void {
    const { channels: C, spatial: S } = this;
    const m = n * S;
    this.training = ctx.training;
    for (let c = 0; c < C; c++) {
      let mu: number;
      let variance: number;
      if (ctx.training) {
        let sum = 0;
        for (let s = 0; s < n; s++) for (let i = (s * C + c) * S, end = i + S; i < end; i++) sum += x[i]!;
        mu = sum / m;
        let sq = 0;
        for (let s = 0; s < n; s++) {
          for (let i = (s * C + c) * S, end = i + S; i < end; i++) sq += (x[i]! - mu) * (x[i]! - mu);
        }
        variance = sq / m;
        this.batchMean[c] = mu;
        this.batchVar[c] = m > 1 ? sq / (m - 1) : 0; // m = 1: no estimate (running-stats.ts skips it)
      } else {
        mu = this.runningMean[c]!;
        variance = this.runningVar[c]!;
      }
      const invStd = 1 / Math.sqrt(variance + this.eps);
      this.mean[c] = mu;
      this.invStd[c] = invStd;
      const scale = this.gamma[c]! * invStd;
      const shift = this.beta[c]! - mu * scale;
      for (let s = 0; s < n; s++) for (let i = (s * C + c) * S, end = i + S; i < end; i++) y[i] = x[i]! * scale + shift;
    }
  }

  backward(x: Float32Array, _y: Float32Array, dy: Float32Array, dx: Float32Array | null, n: number, ctx: BackwardContext): void {
    const { channels: C, spatial: S } = this;
    const m = n * S;
    const accumulate = ctx.accumulate !== false;
    for (let c = 0; c < C; c++) {
      const mu = this.mean[c]!;
      const invStd = this.invStd[c]!;
      let sumDy = 0;
      let sumDyXhat = 0;
      for (let s = 0; s < n; s++) {
        for (let i = (s * C + c) * S, end = i + S; i < end; i++) {
          sumDy += dy[i]!;
          sumDyXhat += dy[i]! * (x[i]! - mu) * invStd;
        }
      }
      this.dbeta[c] = (accumulate ? this.dbeta[c]! : 0) + sumDy;
      this.dgamma[c] = (accumulate ? this.dgamma[c]! : 0) + sumDyXhat;
      if (!dx) continue;
      const k = this.gamma[c]! * invStd;
      // At inference the statistics are constants: their share of dx is 0.
      const meanDy = this.training ? sumDy / m : 0;
      const meanDyXhat = this.training ? sumDyXhat / m : 0;
      for (let s = 0; s < n; s++) {
        for (let i = (s * C + c) * S, end = i + S; i < end; i++) {
          dx[i] = k * (dy[i]! - meanDy - (x[i]! - mu) * invStd * meanDyXhat);
        }
      }
    }
  }
}
