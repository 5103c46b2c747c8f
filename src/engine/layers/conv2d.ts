// conv2d: 2-D cross-correlation (what every framework calls convolution), via im2col + GEMM.
//
//   x  [N, C, H, W]      w  [F, C, kh, kw] (PyTorch layout)   b [F]
//   y  [N, F, OH, OW]    K = C * kh * kw,  P = OH * OW
//   per sample: col[K, P] = im2col(x_n);  z_n[F, P] = w[F, K] · col[K, P] + b;  y_n = act(z_n)
//
// Backward (dz = dy * act'(z), see activations.ts):
//   dw[F, K]  += dz_n[F, P] · col[K, P]^T    (correlation of the input with the output gradient)
//   db[f]     += sum_p dz_n[f, p]
//   dx_n       = col2im(w^T[K, F] · dz_n[F, P])  (full convolution of dz with the flipped kernel)
//
// All of it (im2col, both GEMMs, bias, activation, col2im) runs in one call of the fused kernels
// conv2dForward / conv2dBackward (kernels/index.ts: WebAssembly SIMD inside wasm memory). Their
// plain-TypeScript definition, step by step, is kernels/conv-ref.ts; tests cross-check the two.

import { conv2dBackward, conv2dForward, type ConvShape, type FusedActivation } from '../kernels/index.js';
import type { ResolvedLayer } from '../describe.js';
import { WeightedLayer, type BackwardContext, type ForwardContext, type Layer } from './layer.js';

export class Conv2d extends WeightedLayer implements Layer {
  readonly type = 'conv2d' as const;
  readonly inSize: number;
  readonly outSize: number;
  private readonly shape: ConvShape;
  private readonly act: FusedActivation | null;
  // this.weight [F, C, kh, kw], this.bias [F], this.dweight, this.dbias, useBias, bind(): WeightedLayer (layer.ts)

  constructor(spec: Extract<ResolvedLayer, { type: 'conv2d' }>) {
    const [c, h, w] = spec.inShape as [number, number, number];
    const [f, oh, ow] = spec.outShape as [number, number, number];
    const { kh, kw, sh, sw, padTop, padLeft } = spec.window;
    super(spec.index, spec.useBias, [f, c, kh, kw], { name: spec.init, fanIn: c * kh * kw, fanOut: f * kh * kw });
    this.shape = { inC: c, inH: h, inW: w, outC: f, kH: kh, kW: kw, strideH: sh, strideW: sw, padTop, padLeft, outH: oh, outW: ow };
    this.act = spec.activation ? { kind: spec.activation, alpha: spec.alpha } : null;
    this.inSize = c * h * w;
    this.outSize = f * oh * ow;
  }

  /** y = act(w · im2col(x) + b), every sample. */
  forward(x: Float32Array, y: Float32Array, n: number, _ctx: ForwardContext): void {
    conv2dForward(this.shape, n, x, this.weight, this.useBias ? this.bias : null, y, this.act);
  }

  /** dz = dy * act'(y);  dw += dz · col^T;  db += sum_p dz;  dx = col2im(w^T · dz). */
  backward(x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array | null, n: number, ctx: BackwardContext): void {
    if (ctx.accumulate === false) this.zeroGrads(); // the kernel adds (over samples); a conv's dw is small
    const act = this.act ? { ...this.act, y } : null;
    conv2dBackward(this.shape, n, x, this.weight, dy, dx, this.dweight, this.useBias ? this.dbias : null, act);
  }
}
