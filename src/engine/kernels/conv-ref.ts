// Reference convolution in plain TypeScript: im2col + gemmRef. The definition the WebAssembly
// conv kernels (assembly/kernels.ts) are tested against, and the fallback without wasm SIMD.
//
// Shapes (NCHW): x [n, C, H, W], weights [F, C, KH, KW], bias [F], y [n, F, OH, OW].
//   R = C*KH*KW rows of the column matrix, P = OH*OW columns (output positions)
//   col[r][p] = x[c][oy*SH - PT + ky][ox*SW - PL + kx]   (0 outside the image), r = (c*KH+ky)*KW+kx
//   forward    y_n = W[F,R] · col_n[R,P] + b
//   backward   dW += dy_n · col_n^T,   db += sum_p dy_n,   dx_n = col2im(W^T · dy_n)
import { gemmRef, type Gemm } from './gemm-ref.js';

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

/** y = conv(x, w) + b over n samples (bias null: none). y is overwritten. */
export type Conv2dForward = (
  s: ConvShape,
  n: number,
  x: Float32Array,
  w: Float32Array,
  b: Float32Array | null,
  y: Float32Array,
) => void;

/** dw += dL/dw, db += dL/db (when given), dx = dL/dx (when given; overwritten) over n samples. */
export type Conv2dBackward = (
  s: ConvShape,
  n: number,
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  dx: Float32Array | null,
  dw: Float32Array,
  db: Float32Array | null,
) => void;

/** col[R, P] of sample x (offset xOff) */
export function im2colRef(s: ConvShape, x: Float32Array, xOff: number, col: Float32Array): void {
  const P = s.outH * s.outW;
  for (let c = 0; c < s.inC; c++) {
    for (let ky = 0; ky < s.kH; ky++) {
      for (let kx = 0; kx < s.kW; kx++) {
        const row = ((c * s.kH + ky) * s.kW + kx) * P;
        for (let oy = 0; oy < s.outH; oy++) {
          const iy = oy * s.strideH - s.padTop + ky;
          for (let ox = 0; ox < s.outW; ox++) {
            const ix = ox * s.strideW - s.padLeft + kx;
            const inside = iy >= 0 && iy < s.inH && ix >= 0 && ix < s.inW;
            col[row + oy * s.outW + ox] = inside ? x[xOff + (c * s.inH + iy) * s.inW + ix]! : 0;
          }
        }
      }
    }
  }
}

/** dx (offset dxOff) = col2im(dcol): each column entry added to the pixel it was read from. */
export function col2imRef(s: ConvShape, dcol: Float32Array, dx: Float32Array, dxOff: number): void {
  const P = s.outH * s.outW;
  dx.fill(0, dxOff, dxOff + s.inC * s.inH * s.inW);
  for (let c = 0; c < s.inC; c++) {
    for (let ky = 0; ky < s.kH; ky++) {
      for (let kx = 0; kx < s.kW; kx++) {
        const row = ((c * s.kH + ky) * s.kW + kx) * P;
        for (let oy = 0; oy < s.outH; oy++) {
          const iy = oy * s.strideH - s.padTop + ky;
          if (iy < 0 || iy >= s.inH) continue;
          for (let ox = 0; ox < s.outW; ox++) {
            const ix = ox * s.strideW - s.padLeft + kx;
            if (ix < 0 || ix >= s.inW) continue;
            dx[dxOff + (c * s.inH + iy) * s.inW + ix]! += dcol[row + oy * s.outW + ox]!;
          }
        }
      }
    }
  }
}

/** Builds forward/backward from any GEMM (the reference uses gemmRef). */
export function convFromGemm(gemm: Gemm): { forward: Conv2dForward; backward: Conv2dBackward } {
  const forward: Conv2dForward = (s, n, x, w, b, y) => {
    const R = s.inC * s.kH * s.kW;
    const P = s.outH * s.outW;
    const col = new Float32Array(R * P);
    const ys = new Float32Array(s.outC * P);
    for (let i = 0; i < n; i++) {
      im2colRef(s, x, i * s.inC * s.inH * s.inW, col);
      gemm(false, false, s.outC, P, R, w, col, ys, false);
      if (b) for (let f = 0; f < s.outC; f++) for (let p = 0; p < P; p++) ys[f * P + p]! += b[f]!;
      y.set(ys, i * s.outC * P);
    }
  };
  const backward: Conv2dBackward = (s, n, x, w, dy, dx, dw, db) => {
    const R = s.inC * s.kH * s.kW;
    const P = s.outH * s.outW;
    const col = new Float32Array(R * P);
    const dcol = new Float32Array(R * P);
    for (let i = 0; i < n; i++) {
      const dys = dy.subarray(i * s.outC * P, (i + 1) * s.outC * P);
      im2colRef(s, x, i * s.inC * s.inH * s.inW, col);
      gemm(false, true, s.outC, R, P, dys, col, dw, true);
      if (db) {
        for (let f = 0; f < s.outC; f++) {
          let sum = 0;
          for (let p = 0; p < P; p++) sum += dys[f * P + p]!;
          db[f]! += sum;
        }
      }
      if (dx) {
        gemm(true, false, R, P, s.outC, w, dys, dcol, false);
        col2imRef(s, dcol, dx, i * s.inC * s.inH * s.inW);
      }
    }
  };
  return { forward, backward };
}

const ref = convFromGemm(gemmRef);
export const conv2dForwardRef: Conv2dForward = ref.forward;
export const conv2dBackwardRef: Conv2dBackward = ref.backward;
