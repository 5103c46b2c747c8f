// Loads the WebAssembly SIMD kernels (assembly/kernels.ts, embedded as base64 by
// scripts/build-wasm.mjs) synchronously and wraps them with the same signatures as the
// TypeScript reference. One instance per thread (module state): each Piscina thread that imports
// the engine gets its own memory.
//
// Memory: a zero-import module whose linear memory JS grows on demand. Each call lays out its
// operands from heapBase() upwards (64-byte aligned), copies inputs in with Float32Array.set
// (memcpy), runs, and copies outputs out. Memory only grows (peak = the largest call).
import type { Gemm } from './gemm-ref.js';
import type { Conv2dBackward, Conv2dForward } from './conv-ref.js';
import { ACTIVATION_CODES, type ActivationBackward, type ActivationForward, type FusedActivation } from './activation-ref.js';
import { wasmConv, type ConvExports } from './wasm-conv.js';
import type { AdamUpdate } from './adam-ref.js';
import type { SumInto } from './sum-ref.js';
import type { MaxPool2x2 } from './pool-ref.js';
import { RELAXED_WASM_BASE64, SIMD_WASM_BASE64 } from './wasm/kernels.generated.js';

// @types/node 20 does not declare the WebAssembly namespace: the part used here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

export type Fn = (...args: number[]) => number;
interface Exports extends ConvExports {
  memory: WasmMemory;
  heapBase: Fn;
  relaxed: Fn;
  gemm: Fn;
  activate: Fn;
  activationBackward: Fn;
  adam: Fn;
  sumInto: Fn;
  maxPool2x2: Fn;
  packedABytes: Fn;
  packedBBytes: Fn;
}

export type WasmVariant = 'wasm-relaxed-simd' | 'wasm-simd';

export interface WasmKernels {
  variant: WasmVariant;
  gemm: Gemm;
  conv2dForward: Conv2dForward;
  conv2dBackward: Conv2dBackward;
  /** buf[0..len) = act(buf) in place. */
  activate(act: FusedActivation, buf: Float32Array, len: number): void;
  activationForward: ActivationForward;
  activationBackward: ActivationBackward;
  adamUpdate: AdamUpdate;
  sumInto: SumInto;
  maxPool2x2: MaxPool2x2;
  /** Current size of the linear memory in bytes. */
  memoryBytes(): number;
}

function decodeBase64(text: string): Uint8Array {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

export const align = (n: number): number => (n + 63) & ~63;

/** Elements per block of the element-wise optimizer kernels: a block's arrays (4 x 64 KB for Adam)
 *  stay in the core's L2 cache between copy-in, update and copy-out. */
const BLOCK = 16384;

/** Bytes of per-sample data one conv call keeps in wasm memory at a time (then it loops). */
const DEFAULT_CHUNK_BYTES = 32 << 20;

/** Instantiates one variant, or returns null when the host cannot run it. */
export function loadWasmKernels(variant: WasmVariant, options: { chunkBytes?: number } = {}): WasmKernels | null {
  const CHUNK_BYTES = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!WA) return null;
  const bytes = decodeBase64(variant === 'wasm-relaxed-simd' ? RELAXED_WASM_BASE64 : SIMD_WASM_BASE64);
  if (!WA.validate(bytes)) return null;
  const ex = new WA.Instance(new WA.Module(bytes), {}).exports as unknown as Exports;
  const base = align(ex.heapBase());
  let f32 = new Float32Array(ex.memory.buffer);

  /** Makes sure [base, base + bytes) exists; refreshes the view after a grow. */
  function reserve(bytes: number): void {
    const need = base + bytes;
    const have = ex.memory.buffer.byteLength;
    if (need > have) ex.memory.grow(Math.ceil((need - have) / 65536));
    if (f32.buffer !== ex.memory.buffer) f32 = new Float32Array(ex.memory.buffer);
  }
  function copyIn(src: Float32Array, count: number, at: number): void {
    f32.set(src.length === count ? src : src.subarray(0, count), at >> 2);
  }
  function copyOut(at: number, count: number, dst: Float32Array): void {
    dst.set(f32.subarray(at >> 2, (at >> 2) + count));
  }

  const gemm: Gemm = (transA, transB, M, N, K, A, B, C, accumulate) => {
    if (M <= 0 || N <= 0) return;
    const pA = base;
    const pB = pA + align(M * K * 4);
    const pC = pB + align(N * K * 4);
    const pWork = pC + align(M * N * 4);
    reserve(pWork - base + align(ex.packedABytes(M, K)) + align(ex.packedBBytes(N, K)));
    copyIn(A, M * K, pA);
    copyIn(B, N * K, pB);
    if (accumulate) copyIn(C, M * N, pC);
    ex.gemm(transA ? 1 : 0, transB ? 1 : 0, M, N, K, pA, pB, pC, accumulate ? 1 : 0, pWork);
    copyOut(pC, M * N, C);
  };

  const { conv2dForward, conv2dBackward } = wasmConv({ ex, base, chunkBytes: CHUNK_BYTES, reserve, copyIn, copyOut });

  function activate(act: FusedActivation, buf: Float32Array, len: number): void {
    reserve(align(len * 4));
    copyIn(buf, len, base);
    ex.activate(ACTIVATION_CODES[act.kind], act.alpha, base, len);
    copyOut(base, len, buf);
  }

  const activationForward: ActivationForward = (act, x, y, len) => {
    if (len <= 0) return;
    reserve(align(len * 4));
    copyIn(x, len, base);
    ex.activate(ACTIVATION_CODES[act.kind], act.alpha, base, len);
    copyOut(base, len, y);
  };

  const activationBackward: ActivationBackward = (act, y, dy, dx, len) => {
    if (len <= 0) return;
    const pY = base;
    const pDY = pY + align(len * 4);
    reserve(2 * align(len * 4));
    copyIn(y, len, pY);
    copyIn(dy, len, pDY);
    ex.activationBackward(ACTIVATION_CODES[act.kind], act.alpha, pY, pDY, pDY, len);
    copyOut(pDY, len, dx);
  };

  // Block by block: copy w, g, m, v in, update, copy w, m, v out.
  const adamUpdate: AdamUpdate = (w, g, m, v, c) => {
    const block = align(Math.min(w.length, BLOCK) * 4);
    const [pW, pG, pM, pV] = [base, base + block, base + 2 * block, base + 3 * block];
    reserve(4 * block);
    for (let from = 0; from < w.length; from += BLOCK) {
      const n = Math.min(BLOCK, w.length - from);
      copyIn(w.subarray(from, from + n), n, pW);
      copyIn(g.subarray(from, from + n), n, pG);
      copyIn(m.subarray(from, from + n), n, pM);
      copyIn(v.subarray(from, from + n), n, pV);
      ex.adam(pW, pG, pM, pV, n, c.beta1, c.beta2, 1 - c.beta1, 1 - c.beta2, c.l2, c.decay, c.stepSize, c.bc2Sqrt, c.eps);
      copyOut(pW, n, w.subarray(from));
      copyOut(pM, n, m.subarray(from));
      copyOut(pV, n, v.subarray(from));
    }
  };

  // Block by block: copy dst and the sources in, sum, copy dst out. Blocks are fixed, so the
  // order the squares are added in is too.
  const sumInto: SumInto = (dst, srcs) => {
    const block = align(Math.min(dst.length, BLOCK) * 4);
    reserve((srcs.length + 1) * block);
    let sumsq = 0;
    for (let from = 0; from < dst.length; from += BLOCK) {
      const n = Math.min(BLOCK, dst.length - from);
      copyIn(dst.subarray(from, from + n), n, base);
      srcs.forEach((src, k) => {
        copyIn(src.subarray(from, from + n), n, base + (k + 1) * block);
      });
      sumsq += ex.sumInto(base, base + block, srcs.length, block, n);
      if (srcs.length > 0) copyOut(base, n, dst.subarray(from)); // else dst is unchanged
    }
    return sumsq;
  };

  // In chunks of planes (CHUNK_BYTES of x, y and switches); switches index the whole x.
  const maxPool2x2: MaxPool2x2 = (planes, h, w, oh, ow, x, y, sw) => {
    const [inPer, outPer] = [h * w, oh * ow];
    const chunk = Math.max(1, Math.min(planes, Math.floor(CHUNK_BYTES / ((inPer + 2 * outPer) * 4))));
    const pY = base + align(chunk * inPer * 4);
    const pSw = pY + align(chunk * outPer * 4);
    reserve(pSw - base + align(chunk * outPer * 4));
    for (let from = 0; from < planes; from += chunk) {
      const m = Math.min(chunk, planes - from);
      copyIn(x.subarray(from * inPer), m * inPer, base);
      ex.maxPool2x2(m, h, w, oh, ow, base, pY, pSw, from * inPer);
      copyOut(pY, m * outPer, y.subarray(from * outPer));
      sw.set(new Int32Array(f32.buffer, pSw, m * outPer), from * outPer);
    }
  };

  return {
    variant,
    gemm,
    conv2dForward,
    conv2dBackward,
    activate,
    activationForward,
    activationBackward,
    adamUpdate,
    sumInto,
    maxPool2x2,
    memoryBytes: () => ex.memory.buffer.byteLength,
  };
}
