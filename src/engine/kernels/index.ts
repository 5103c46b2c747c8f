// The hot kernels the layers call. This module picks the fastest implementation the host runs:
//   1. WebAssembly relaxed SIMD (FMA)  - Node 20 needs `--experimental-wasm-relaxed-simd`
//   2. WebAssembly SIMD128             - every Node >= 16.4 and current browser
//   3. the plain TypeScript reference  - gemm-ref.ts, conv-ref.ts (the definition tests check against)
// Tests cross-check every wasm kernel against the reference (test/engine/kernels.test.ts).
//
// The API (one line per kernel) and how the WebAssembly side works: README.md in this folder.
// Results of the wasm and reference paths agree to float rounding, not bit for bit (different
// summation order; FMA in the relaxed variant). Within one process the choice is fixed, so runs
// are deterministic. The element-wise optimizer kernels (adamUpdate, sumInto's dst) are exact:
// same bits on every path.
import { gemmRef, type Gemm } from './gemm-ref.js';
import { conv2dBackwardRef, conv2dForwardRef, type Conv2dBackward, type Conv2dForward } from './conv-ref.js';
import { adamUpdateRef, type AdamUpdate } from './adam-ref.js';
import { sumIntoRef, type SumInto } from './sum-ref.js';
import { maxPool2x2Ref, type MaxPool2x2 } from './pool-ref.js';
import { loadWasmKernels, type WasmKernels } from './wasm.js';
import { activationBackwardRefFn, activationForwardRef, type ActivationBackward, type ActivationForward } from './activation-ref.js';

export type { Gemm } from './gemm-ref.js';
export type { ConvShape, Conv2dForward, Conv2dBackward } from './conv-ref.js';
export type { FusedActivation } from './activation-ref.js';
export type { ActivationForward, ActivationBackward } from './activation-ref.js';
export { activateRef, activationBackwardRef, activationForwardRef, activationBackwardRefFn } from './activation-ref.js';
export { gemmRef } from './gemm-ref.js';
export { adamUpdateRef, type AdamCoefficients, type AdamUpdate } from './adam-ref.js';
export { sumIntoRef, type SumInto } from './sum-ref.js';
export { maxPool2x2Ref, beats, type MaxPool2x2 } from './pool-ref.js';
export { conv2dForwardRef, conv2dBackwardRef } from './conv-ref.js';

const wasm: WasmKernels | null = loadWasmKernels('wasm-relaxed-simd') ?? loadWasmKernels('wasm-simd');

export const kernelVariant: 'wasm-relaxed-simd' | 'wasm-simd' | 'ts-reference' = wasm ? wasm.variant : 'ts-reference';
export const gemm: Gemm = wasm ? wasm.gemm : gemmRef;
export const conv2dForward: Conv2dForward = wasm ? wasm.conv2dForward : conv2dForwardRef;
export const conv2dBackward: Conv2dBackward = wasm ? wasm.conv2dBackward : conv2dBackwardRef;
export const activationForward: ActivationForward = wasm ? wasm.activationForward : activationForwardRef;
export const activationBackward: ActivationBackward = wasm ? wasm.activationBackward : activationBackwardRefFn;
export const adamUpdate: AdamUpdate = wasm ? wasm.adamUpdate : adamUpdateRef;
export const sumInto: SumInto = wasm ? wasm.sumInto : sumIntoRef;
export const maxPool2x2: MaxPool2x2 = wasm ? wasm.maxPool2x2 : maxPool2x2Ref;
