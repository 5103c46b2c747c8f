// The convolution wrappers of the WebAssembly kernels (wasm.ts instantiates the module; this file
// lays out one conv call in its linear memory). Calls run in chunks of samples so that the memory
// stays near `chunkBytes` whatever n is (inference over a large set, say); weights stay put.
//
// 3x3 stride-1 convolutions with at least WINOGRAD_MIN_CHANNELS input channels and an output of at
// least WINOGRAD_MIN_OUTPUT (shape.ts) run through Winograd F(2x2, 3x3) (assembly/kernels.ts: 2.25x
// fewer multiplications): the forward pass (1.6x faster on fashion-cnn's second conv) and the weight
// gradient (its transpose: dU = sum dM . V, then G^T dU G; 1.7x). The input gradient, a Winograd
// convolution of dz with the flipped kernel (winogradWeights' `flip`), only with 'same' padding: for
// 'valid' it is a bigger 'full' convolution and im2col + GEMM was faster (docs/performance.md).
// Results agree with im2col to float rounding (test/engine/kernels.test.ts); a given shape always
// takes the same path, so runs stay bit-identical.
import { ACTIVATION_CODES, type FusedActivation } from './activation-ref.js';
import type { Conv2dBackward, Conv2dForward, ConvShape } from './conv-ref.js';
import { winogradFits, winogradInputGradFits } from '../shape.js';

type Fn = (...args: number[]) => number;

export interface ConvExports {
  conv2dForward: Fn;
  conv2dBackward: Fn;
  convWorkBytes: Fn;
  winogradWeights: Fn;
  winogradWeightBytes: Fn;
  winogradWorkBytes: Fn;
  winogradConv3x3: Fn;
  winogradGradWorkBytes: Fn;
  winogradWeightGrad: Fn;
}

interface Memory {
  ex: ConvExports;
  base: number;
  chunkBytes: number;
  reserve(bytes: number): void;
  copyIn(src: Float32Array, count: number, at: number): void;
  copyOut(at: number, count: number, dst: Float32Array): void;
}

const align = (n: number): number => (n + 63) & ~63;

const windowOf = (s: ConvShape) => ({ kh: s.kH, kw: s.kW, sh: s.strideH, sw: s.strideW, padTop: s.padTop, padLeft: s.padLeft });

/** Do this convolution's forward pass and weight gradient run through Winograd? (shape.ts, which memory.ts reads too) */
export function winogradForward(s: ConvShape): boolean {
  return winogradFits(windowOf(s), s.inC, s.outH, s.outW);
}

/** And its input gradient? */
export function winogradInputGrad(s: ConvShape): boolean {
  return winogradInputGradFits(windowOf(s), s.inC, s.outC, s.outH, s.outW);
}

export function wasmConv({ ex, base, chunkBytes, reserve, copyIn, copyOut }: Memory): {
  conv2dForward: Conv2dForward;
  conv2dBackward: Conv2dBackward;
} {
  /** Bytes of Winograd's transformed weights, their scratch and its per-sample work. */
  function winogradBytes(rows: number, cols: number, outH: number, outW: number): number {
    return align(ex.winogradWeightBytes(rows, cols)) + align(16 * rows * cols * 4) + align(ex.winogradWorkBytes(cols, rows, outH, outW));
  }
  function workBytes(s: ConvShape): number {
    return align(ex.convWorkBytes(s.inC, s.kH, s.kW, s.outC, s.outH, s.outW)) + 512;
  }

  const conv2dForward: Conv2dForward = (s, n, x, w, b, y, act) => {
    if (n <= 0) return;
    const xPer = s.inC * s.inH * s.inW;
    const yPer = s.outC * s.outH * s.outW;
    const wCount = s.outC * s.inC * s.kH * s.kW;
    const wino = winogradForward(s);
    const chunk = Math.max(1, Math.min(n, Math.floor(chunkBytes / ((xPer + yPer) * 4))));
    const pW = base;
    const pB = pW + align(wCount * 4);
    const pX = pB + align(s.outC * 4);
    const pY = pX + align(chunk * xPer * 4);
    const pWork = pY + align(chunk * yPer * 4);
    reserve(pWork - base + (wino ? winogradBytes(s.outC, s.inC, s.outH, s.outW) : workBytes(s)));
    copyIn(w, wCount, pW);
    if (b) copyIn(b, s.outC, pB);
    const pScratch = pWork + align(ex.winogradWeightBytes(s.outC, s.inC));
    const pWinoWork = pScratch + align(16 * s.outC * s.inC * 4);
    if (wino) ex.winogradWeights(s.outC, s.inC, pW, 0, pWork, pScratch);
    for (let from = 0; from < n; from += chunk) {
      const m = Math.min(chunk, n - from);
      copyIn(x.subarray(from * xPer), m * xPer, pX);
      if (wino) {
        const g = [s.inC, s.inH, s.inW, s.outC, s.padTop, s.padLeft, s.outH, s.outW];
        ex.winogradConv3x3(m, ...g, pX, pWork, b ? pB : 0, pY, ...actArgs(act), pWinoWork);
      } else {
        ex.conv2dForward(m, ...geometry(s), pX, pW, b ? pB : 0, pY, ...actArgs(act), pWork);
      }
      copyOut(pY, m * yPer, y.subarray(from * yPer));
    }
  };

  const conv2dBackward: Conv2dBackward = (s, n, x, w, dy, dx, dw, db, act) => {
    if (n <= 0) return;
    const xPer = s.inC * s.inH * s.inW;
    const yPer = s.outC * s.outH * s.outW;
    const wCount = s.outC * s.inC * s.kH * s.kW;
    const perSample = (xPer * (dx ? 2 : 1) + yPer * (act ? 2 : 1)) * 4;
    const chunk = Math.max(1, Math.min(n, Math.floor(chunkBytes / perSample)));
    const pW = base;
    const pDW = pW + align(wCount * 4);
    const pDB = pDW + align(wCount * 4);
    const pX = pDB + align(s.outC * 4);
    const pY = pX + align(chunk * xPer * 4);
    const pDY = pY + (act ? align(chunk * yPer * 4) : 0);
    const pDX = pDY + align(chunk * yPer * 4);
    const wino = winogradForward(s);
    const winoDx = dx !== null && winogradInputGrad(s);
    // dx's Winograd weights (the flipped kernel, rows C) stay for every chunk; the rest is per call
    const pU = pDX + (dx ? align(chunk * xPer * 4) : 0);
    const pWork = pU + (winoDx ? align(ex.winogradWeightBytes(s.inC, s.outC)) : 0);
    const dxPad = [2 - s.padTop, 2 - s.padLeft];
    reserve(
      pWork -
        base +
        Math.max(
          workBytes(s),
          wino ? align(ex.winogradGradWorkBytes(s.inC, s.outC, s.outH, s.outW)) + 64 : 0,
          winoDx ? align(16 * s.inC * s.outC * 4) + align(ex.winogradWorkBytes(s.outC, s.inC, s.inH, s.inW)) : 0,
        ),
    );
    copyIn(w, wCount, pW);
    copyIn(dw, wCount, pDW);
    if (db) copyIn(db, s.outC, pDB);
    if (winoDx) ex.winogradWeights(s.outC, s.inC, pW, 1, pU, pWork);
    for (let from = 0; from < n; from += chunk) {
      const m = Math.min(chunk, n - from);
      copyIn(x.subarray(from * xPer), m * xPer, pX);
      if (act) copyIn(act.y.subarray(from * yPer), m * yPer, pY);
      copyIn(dy.subarray(from * yPer), m * yPer, pDY);
      const args = [pX, pW, pY, pDY, dx && !winoDx ? pDX : 0, wino ? 0 : pDW, db ? pDB : 0];
      ex.conv2dBackward(m, ...geometry(s), ...args, ...actArgs(act), pWork); // leaves dz in pDY
      if (wino) ex.winogradWeightGrad(m, s.inC, s.inH, s.inW, s.outC, s.padTop, s.padLeft, s.outH, s.outW, pX, pDY, pDW, pWork);
      if (winoDx) {
        // dx = dz correlated with the kernel rotated 180 degrees, padded by 2 - pad (a "full" convolution)
        const g = [s.outC, s.outH, s.outW, s.inC, ...dxPad, s.inH, s.inW];
        ex.winogradConv3x3(m, ...g, pDY, pU, 0, pDX, 0, 0, pWork);
      }
      if (dx) copyOut(pDX, m * xPer, dx.subarray(from * xPer));
    }
    copyOut(pDW, wCount, dw);
    if (db) copyOut(pDB, s.outC, db);
  };

  return { conv2dForward, conv2dBackward };
}

function actArgs(act: FusedActivation | null | undefined): [number, number] {
  return act ? [ACTIVATION_CODES[act.kind], act.alpha] : [0, 0];
}

function geometry(s: ConvShape): number[] {
  return [s.inC, s.inH, s.inW, s.outC, s.kH, s.kW, s.strideH, s.strideW, s.padTop, s.padLeft, s.outH, s.outW];
}
