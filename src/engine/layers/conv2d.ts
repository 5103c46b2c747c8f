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
import type { InitName } from '../spec.js';
import { EMPTY, type ForwardContext, type Layer, type ParamSlot } from './layer.js';

export class Conv2d implements Layer {
  readonly type = 'conv2d' as const;
  readonly index: number;
  readonly inSize: number;
  readonly outSize: number;
  readonly paramSlots: readonly ParamSlot[];
  private readonly shape: ConvShape;
  private readonly act: FusedActivation | null;
  private readonly useBias: boolean;
  private weight = EMPTY;
  private bias = EMPTY;
  private dweight = EMPTY;
  private dbias = EMPTY;

  constructor(spec: Extract<ResolvedLayer, { type: 'conv2d' }>) {
    this.index = spec.index;
    const [c, h, w] = spec.inShape as [number, number, number];
    const [f, oh, ow] = spec.outShape as [number, number, number];
    const { kh, kw, sh, sw, padTop, padLeft } = spec.window;
    this.shape = { inC: c, inH: h, inW: w, outC: f, kH: kh, kW: kw, strideH: sh, strideW: sw, padTop, padLeft, outH: oh, outW: ow };
    this.act = spec.activation ? { kind: spec.activation, alpha: spec.alpha } : null;
    this.useBias = spec.useBias;
    this.inSize = c * h * w;
    this.outSize = f * oh * ow;
    const init: InitName = spec.init;
    const slots: ParamSlot[] = [
      {
        kind: 'weight',
        shape: [f, c, kh, kw],
        size: f * c * kh * kw,
        init: { name: init, fanIn: c * kh * kw, fanOut: f * kh * kw },
      },
    ];
    if (this.useBias) slots.push({ kind: 'bias', shape: [f], size: f, init: 'zeros' });
    this.paramSlots = slots;
  }

  bind(params: readonly Float32Array[], grads: readonly Float32Array[]): void {
    this.weight = params[0]!;
    this.dweight = grads[0]!;
    if (this.useBias) {
      this.bias = params[1]!;
      this.dbias = grads[1]!;
    }
  }

  /** y = act(w · im2col(x) + b), every sample. */
  forward(x: Float32Array, y: Float32Array, n: number, _ctx: ForwardContext): void {
    conv2dForward(this.shape, n, x, this.weight, this.useBias ? this.bias : null, y, this.act);
  }

  /** dz = dy * act'(y);  dw += dz · col^T;  db += sum_p dz;  dx = col2im(w^T · dz). */
  backward(x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array | null, n: number): void {
    const act = this.act ? { ...this.act, y } : null;
    conv2dBackward(this.shape, n, x, this.weight, dy, dx, this.dweight, this.useBias ? this.dbias : null, act);
  }
}
