// Reference convolution in plain TypeScript: im2col + GEMM, the definition the WebAssembly conv
// kernels (assembly/kernels.ts) are tested against, the fallback without wasm SIMD, and the code
// docs/backprop.md walks through. The conv2d layer calls the fused kernel through kernels/index.ts.
//
// Shapes (NCHW): x [n, C, H, W], weights [F, C, KH, KW], bias [F], y [n, F, OH, OW].
//   R = C*KH*KW rows of the column matrix, P = OH*OW columns (output positions)
//   col[r][p] = x[c][oy*SH - PT + ky][ox*SW - PL + kx]   (0 outside the image), r = (c*KH+ky)*KW+kx
//   forward    z_n = W[F,R] · col_n[R,P] + b;  y_n = act(z_n)
//   backward   dz = dy * act'(y);  dW += dz_n · col_n^T,   db += sum_p dz_n,   dx_n = col2im(W^T · dz_n)
import { gemmRef, type Gemm } from './gemm-ref.js';
import { activateRef, activationBackwardRef, type FusedActivation } from './activation-ref.js';

/** Geometry of a 2-D convolution (one sample); padBottom/padRight follow from outH/outW. */
export interface ConvShape {
  inC: number;
  inH: number;
  inW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  outH: number;
  outW: number;
}

/** y = act(conv(x, w) + b) over n samples (bias null: none; act null: identity). y is overwritten. */
export type Conv2dForward = (
  s: ConvShape,
  n: number,
  x: Float32Array,
  w: Float32Array,
  b: Float32Array | null,
  y: Float32Array,
  act?: FusedActivation | null,
) => void;

/**
 * Backward of Conv2dForward over n samples, dz = dy * act'(y) (y = the forward output, needed
 * only with an activation): dw += dL/dw, db += dL/db (when given), dx = dL/dx (when given;
 * overwritten). dy is not modified.
 */
export type Conv2dBackward = (
  s: ConvShape,
  n: number,
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  dx: Float32Array | null,
  dw: Float32Array,
  db: Float32Array | null,
  act?: (FusedActivation & { y: Float32Array }) | null,
) => void;

/** col[(c * kH + ky) * kW + kx, oy * outW + ox] = x[c, oy * strideH - padTop + ky, ox * strideW - padLeft + kx] or 0. */
export function im2colRef(s: ConvShape, x: Float32Array, xOff: number, col: Float32Array): void {
  let out = 0;
  for (let c = 0; c < s.inC; c++) {
    for (let ky = 0; ky < s.kH; ky++) {
      for (let kx = 0; kx < s.kW; kx++) {
        for (let oy = 0; oy < s.outH; oy++) {
          const iy = oy * s.strideH - s.padTop + ky;
          const inRow = iy >= 0 && iy < s.inH;
          const base = xOff + (c * s.inH + iy) * s.inW;
          for (let ox = 0; ox < s.outW; ox++, out++) {
            const ix = ox * s.strideW - s.padLeft + kx;
            col[out] = inRow && ix >= 0 && ix < s.inW ? x[base + ix]! : 0;
          }
        }
      }
    }
  }
}

/** The adjoint of im2col: dx[c, iy, ix] = sum of the dcol entries im2col copied it to. */
export function col2imRef(s: ConvShape, dcol: Float32Array, dx: Float32Array, dxOff: number): void {
  dx.fill(0, dxOff, dxOff + s.inC * s.inH * s.inW);
  let src = 0;
  for (let c = 0; c < s.inC; c++) {
    for (let ky = 0; ky < s.kH; ky++) {
      for (let kx = 0; kx < s.kW; kx++) {
        for (let oy = 0; oy < s.outH; oy++) {
          const iy = oy * s.strideH - s.padTop + ky;
          if (iy < 0 || iy >= s.inH) {
            src += s.outW;
            continue;
          }
          const base = dxOff + (c * s.inH + iy) * s.inW;
          for (let ox = 0; ox < s.outW; ox++, src++) {
            const ix = ox * s.strideW - s.padLeft + kx;
            if (ix >= 0 && ix < s.inW) dx[base + ix] = dx[base + ix]! + dcol[src]!;
          }
        }
      }
    }
  }
}

/** Builds forward/backward from any GEMM (the reference uses gemmRef). */
export function convFromGemm(gemm: Gemm): { forward: Conv2dForward; backward: Conv2dBackward } {
  const forward: Conv2dForward = (s, n, x, w, b, y, act) => {
    const R = s.inC * s.kH * s.kW;
    const P = s.outH * s.outW;
    const col = new Float32Array(R * P);
    for (let i = 0; i < n; i++) {
      im2colRef(s, x, i * s.inC * s.inH * s.inW, col);
      const z = y.subarray(i * s.outC * P, (i + 1) * s.outC * P);
      gemm(false, false, s.outC, P, R, w, col, z, false); // z = W · col
      if (b) for (let f = 0; f < s.outC; f++) for (let p = f * P; p < (f + 1) * P; p++) z[p] = z[p]! + b[f]!;
    }
    if (act) activateRef(act.kind, act.alpha, y, n * s.outC * P);
  };

  const backward: Conv2dBackward = (s, n, x, w, dy, dx, dw, db, act) => {
    const R = s.inC * s.kH * s.kW;
    const P = s.outH * s.outW;
    let dz = dy;
    if (act) {
      dz = new Float32Array(n * s.outC * P); // dz = dy * act'(y)
      activationBackwardRef(act.kind, act.alpha, act.y, dy, dz, n * s.outC * P);
    }
    const col = new Float32Array(R * P);
    for (let i = 0; i < n; i++) {
      const dzs = dz.subarray(i * s.outC * P, (i + 1) * s.outC * P);
      if (db) {
        for (let f = 0; f < s.outC; f++) {
          let sum = 0;
          for (let p = f * P; p < (f + 1) * P; p++) sum += dzs[p]!;
          db[f] = db[f]! + sum; // db[f] += sum_p dz[f, p]
        }
      }
      im2colRef(s, x, i * s.inC * s.inH * s.inW, col);
      gemm(false, true, s.outC, R, P, dzs, col, dw, true); // dW += dz · col^T
      if (dx) {
        gemm(true, false, R, P, s.outC, w, dzs, col, false); // col now holds dcol = W^T · dz
        col2imRef(s, col, dx, i * s.inC * s.inH * s.inW);
      }
    }
  };
  return { forward, backward };
}

const ref = convFromGemm(gemmRef);
export const conv2dForwardRef: Conv2dForward = ref.forward;
export const conv2dBackwardRef: Conv2dBackward = ref.backward;
