// dense (fully connected): y = act(x · w^T + b), PyTorch's nn.Linear layout.
//
//   x [N, I]   w [U, I]   b [U]   y [N, U]
//   forward:  z = x · w^T + b;  y = act(z)
//   backward (dz = dy * act'(z), see activations.ts; '=' instead of '+=' when not accumulating):
//     dw[U, I] += dz^T[U, N] · x[N, I]
//     db[u]    += sum_n dz[n, u]
//     dx[N, I]  = dz[N, U] · w[U, I]

import { gemm } from '../kernels/index.js';
import type { ResolvedLayer } from '../describe.js';
import type { ActivationName } from '../spec.js';
import { activate, activationBackward } from './activations.js';
import { EMPTY, grow, WeightedLayer, type BackwardContext, type ForwardContext, type Layer } from './layer.js';

export class Dense extends WeightedLayer implements Layer {
  readonly type = 'dense' as const;
  readonly inSize: number;
  readonly outSize: number;
  private readonly activation: ActivationName | null;
  private readonly alpha: number;
  private dz = EMPTY;
  // this.weight [U, I], this.bias [U], this.dweight, this.dbias, useBias, bind(): WeightedLayer (layer.ts)

  constructor(spec: Extract<ResolvedLayer, { type: 'dense' }>) {
    const inputs = spec.inShape[0]!;
    super(spec.index, spec.useBias, [spec.units, inputs], { name: spec.init, fanIn: inputs, fanOut: spec.units });
    this.inSize = inputs;
    this.outSize = spec.units;
    this.activation = spec.activation;
    this.alpha = spec.alpha;
  }

  forward(x: Float32Array, y: Float32Array, n: number, _ctx: ForwardContext): void {
    const U = this.outSize;
    gemm(false, true, n, U, this.inSize, x, this.weight, y, false);
    if (this.useBias) {
      for (let s = 0; s < n; s++) {
        for (let u = 0, o = s * U; u < U; u++, o++) y[o] = y[o]! + this.bias[u]!;
      }
    }
    if (this.activation) activate(this.activation, this.alpha, y, n * U);
  }

  backward(x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array | null, n: number, ctx: BackwardContext): void {
    const U = this.outSize;
    const accumulate = ctx.accumulate !== false;
    let dz = dy;
    if (this.activation) {
      this.dz = grow(this.dz, n * U);
      activationBackward(this.activation, this.alpha, y, dy, this.dz, n * U);
      dz = this.dz;
    }
    gemm(true, false, U, this.inSize, n, dz, x, this.dweight, accumulate);
    if (this.useBias) {
      for (let u = 0; u < U; u++) {
        let sum = 0;
        for (let s = 0; s < n; s++) sum += dz[s * U + u]!;
        this.dbias[u] = accumulate ? this.dbias[u]! + sum : sum;
      }
    }
    if (dx) gemm(false, false, n, this.inSize, U, dz, this.weight, dx, false);
  }
}
