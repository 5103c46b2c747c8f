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

import { gemm } from '../kernels/index.js';
import type { ResolvedLayer } from '../describe.js';
import type { Window2d } from '../shape.js';
import type { ActivationName, InitName } from '../spec.js';
import { activate, activationBackward } from './activations.js';
import { EMPTY, grow, type ForwardContext, type Layer, type ParamSlot } from './layer.js';

export class Conv2d implements Layer {
  readonly type = 'conv2d' as const;
  readonly index: number;
  readonly inSize: number;
  readonly outSize: number;
  readonly paramSlots: readonly ParamSlot[];
  private readonly c: number;
  private readonly h: number;
  private readonly w: number;
  private readonly f: number;
  private readonly oh: number;
  private readonly ow: number;
  private readonly win: Window2d;
  private readonly activation: ActivationName | null;
  private readonly alpha: number;
  private readonly useBias: boolean;
  private weight = EMPTY;
  private bias = EMPTY;
  private dweight = EMPTY;
  private dbias = EMPTY;
  private col = EMPTY; // [K, P] for one sample
  private dz = EMPTY; // [N, F, P] when an activation is fused

  constructor(spec: Extract<ResolvedLayer, { type: 'conv2d' }>) {
    this.index = spec.index;
    [this.c, this.h, this.w] = spec.inShape as [number, number, number];
    [this.f, this.oh, this.ow] = spec.outShape as [number, number, number];
    this.win = spec.window;
    this.activation = spec.activation;
    this.alpha = spec.alpha;
    this.useBias = spec.useBias;
    this.inSize = this.c * this.h * this.w;
    this.outSize = this.f * this.oh * this.ow;
    const { kh, kw } = this.win;
    const init: InitName = spec.init;
    const slots: ParamSlot[] = [
      {
        kind: 'weight',
        shape: [this.f, this.c, kh, kw],
        size: this.f * this.c * kh * kw,
        init: { name: init, fanIn: this.c * kh * kw, fanOut: this.f * kh * kw },
      },
    ];
    if (this.useBias) slots.push({ kind: 'bias', shape: [this.f], size: this.f, init: 'zeros' });
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

  forward(x: Float32Array, y: Float32Array, n: number, _ctx: ForwardContext): void {
    const { c, f, win } = this;
    const K = c * win.kh * win.kw;
    const P = this.oh * this.ow;
    this.col = grow(this.col, K * P);
    for (let s = 0; s < n; s++) {
      this.im2col(x, s * this.inSize, this.col);
      const ys = y.subarray(s * this.outSize, (s + 1) * this.outSize);
      gemm(false, false, f, P, K, this.weight, this.col, ys, false);
      if (this.useBias) {
        for (let o = 0; o < f; o++) {
          const b = this.bias[o]!;
          for (let p = o * P, end = p + P; p < end; p++) ys[p] = ys[p]! + b;
        }
      }
    }
    if (this.activation) activate(this.activation, this.alpha, y, n * this.outSize);
  }

  backward(x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array | null, n: number): void {
    const { c, f, win } = this;
    const K = c * win.kh * win.kw;
    const P = this.oh * this.ow;
    let dz = dy;
    if (this.activation) {
      this.dz = grow(this.dz, n * this.outSize);
      activationBackward(this.activation, this.alpha, y, dy, this.dz, n * this.outSize);
      dz = this.dz;
    }
    this.col = grow(this.col, K * P);
    for (let s = 0; s < n; s++) {
      const dzs = dz.subarray(s * this.outSize, (s + 1) * this.outSize);
      if (this.useBias) {
        for (let o = 0; o < f; o++) {
          let sum = 0;
          for (let p = o * P, end = p + P; p < end; p++) sum += dzs[p]!;
          this.dbias[o] = this.dbias[o]! + sum;
        }
      }
      this.im2col(x, s * this.inSize, this.col);
      gemm(false, true, f, K, P, dzs, this.col, this.dweight, true);
      if (dx) {
        gemm(true, false, K, P, f, this.weight, dzs, this.col, false); // col now holds dcol
        this.col2im(this.col, dx, s * this.inSize);
      }
    }
  }

  /** col[(ci * kh + ki) * kw + kj, oy * OW + ox] = x[ci, oy * sh - padTop + ki, ox * sw - padLeft + kj] or 0. */
  private im2col(x: Float32Array, xOffset: number, col: Float32Array): void {
    const { c, h, w, oh, ow, win } = this;
    let row = 0;
    for (let ci = 0; ci < c; ci++) {
      for (let ki = 0; ki < win.kh; ki++) {
        for (let kj = 0; kj < win.kw; kj++, row++) {
          let out = row * oh * ow;
          for (let oy = 0; oy < oh; oy++) {
            const iy = oy * win.sh - win.padTop + ki;
            const inRow = iy >= 0 && iy < h;
            const base = xOffset + (ci * h + iy) * w;
            for (let ox = 0; ox < ow; ox++, out++) {
              const ix = ox * win.sw - win.padLeft + kj;
              col[out] = inRow && ix >= 0 && ix < w ? x[base + ix]! : 0;
            }
          }
        }
      }
    }
  }

  /** The adjoint of im2col: dx[ci, iy, ix] = sum of the dcol entries im2col copied it to. */
  private col2im(dcol: Float32Array, dx: Float32Array, dxOffset: number): void {
    const { c, h, w, oh, ow, win } = this;
    dx.fill(0, dxOffset, dxOffset + this.inSize);
    let row = 0;
    for (let ci = 0; ci < c; ci++) {
      for (let ki = 0; ki < win.kh; ki++) {
        for (let kj = 0; kj < win.kw; kj++, row++) {
          let src = row * oh * ow;
          for (let oy = 0; oy < oh; oy++) {
            const iy = oy * win.sh - win.padTop + ki;
            if (iy < 0 || iy >= h) {
              src += ow;
              continue;
            }
            const base = dxOffset + (ci * h + iy) * w;
            for (let ox = 0; ox < ow; ox++, src++) {
              const ix = ox * win.sw - win.padLeft + kj;
              if (ix >= 0 && ix < w) dx[base + ix] = dx[base + ix]! + dcol[src]!;
            }
          }
        }
      }
    }
  }
}
