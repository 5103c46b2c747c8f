// Shapes and sliding-window geometry: tiny pure helpers shared by describe.ts and the layers.
//
// A sample's shape is [C, H, W] before flatten and [F] after it; a batch adds N in front (NCHW).

import type { Padding } from './spec.js';

export type Shape = readonly number[];

/** Number of elements of one sample of this shape. */
export function shapeSize(shape: Shape): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** Output length and zero padding of a sliding window along one axis. */
export interface AxisWindow {
  out: number;
  padBefore: number;
  padAfter: number;
}

/**
 * One axis of a convolution or pooling window of size k, stride s over an input of length n.
 *   valid: out = floor((n - k) / s) + 1, no padding
 *   n:     out = floor((n + 2p - k) / s) + 1, p zeros on both sides
 *   same:  out = ceil(n / s); total = max((out - 1) s + k - n, 0) zeros, the odd one after
 *          (TensorFlow's convention; for stride 1 and odd k it is PyTorch's padding='same')
 * The caller checks that the window fits (out >= 1).
 */
export function axisWindow(n: number, k: number, s: number, padding: Padding): AxisWindow {
  if (padding === 'same') {
    const out = Math.ceil(n / s);
    const total = Math.max((out - 1) * s + k - n, 0);
    const padBefore = Math.floor(total / 2);
    return { out, padBefore, padAfter: total - padBefore };
  }
  const p = padding === 'valid' ? 0 : padding;
  return { out: Math.floor((n + 2 * p - k) / s) + 1, padBefore: p, padAfter: p };
}

/** A 2-D window: kernel (kh, kw), stride (sh, sw), zero padding before (padTop, padLeft). */
export interface Window2d {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

/**
 * Along one axis, the in-bounds input range [lo, hi) of each of the `out` windows of size k,
 * stride s, with padBefore zeros in front, over an input of length n (so padding is never read):
 *   ranges[2i] = max(i s - padBefore, 0),   ranges[2i + 1] = min(i s - padBefore + k, n)
 */
export function windowRanges(n: number, k: number, s: number, padBefore: number, out: number): Int32Array {
  const ranges = new Int32Array(2 * out);
  for (let i = 0; i < out; i++) {
    ranges[2 * i] = Math.max(i * s - padBefore, 0);
    ranges[2 * i + 1] = Math.min(i * s - padBefore + k, n);
  }
  return ranges;
}

// Which specialised kernel a layer's shape gets. Here, among the spec files, so that the layers and
// kernels that choose by these rules and memory.ts (which sizes their scratch) read the same ones.

/** Input channels (the Winograd GEMMs' K) from which a 3x3 stride-1 convolution uses Winograd. */
export const WINOGRAD_MIN_CHANNELS = 8;

/**
 * Output rows and columns from which it does. Tiles are 2x2 and a tile row is padded to 4 tiles, so
 * a 4x4 output computes 8 tiles for 4: there im2col was faster in all three products (forward, weight
 * and input gradient: 1.1-1.2x, 128 channels); from 7x7 up Winograd was (1.2-1.8x). 5x5 and 6x6
 * were not measured: 6 is the midpoint. docs/performance.md.
 */
export const WINOGRAD_MIN_OUTPUT = 6;

type ConvWindow = Omit<Window2d, 'padBottom' | 'padRight'>;

/**
 * Does a convolution with this window, `inC` input channels and an output of `outH` x `outW`
 * compute its forward pass and its weight gradient through Winograd F(2x2, 3x3)?
 */
export function winogradFits(win: ConvWindow, inC: number, outH: number, outW: number): boolean {
  const k3s1 = win.kh === 3 && win.kw === 3 && win.sh === 1 && win.sw === 1;
  const big = outH >= WINOGRAD_MIN_OUTPUT && outW >= WINOGRAD_MIN_OUTPUT;
  return k3s1 && big && inC >= WINOGRAD_MIN_CHANNELS && win.padTop <= 2 && win.padLeft <= 2;
}

/**
 * And its input gradient, a Winograd convolution of the output gradient with the flipped kernel?
 * Only for 'same' padding (1), where that convolution is as big as the forward one. With 'valid'
 * padding it is a 'full' convolution (padding 2, a bigger output over more input channels): 1.1x
 * slower than im2col + GEMM on fashion-cnn's second conv.
 */
export function winogradInputGradFits(win: ConvWindow, inC: number, outC: number, outH: number, outW: number): boolean {
  const same = win.padTop === 1 && win.padLeft === 1;
  return same && winogradFits(win, inC, outH, outW) && outC >= WINOGRAD_MIN_CHANNELS;
}

/** 2x2 window, stride 2, no padding, every window inside the input: max-pool's wasm kernel. */
export function isPool2x2(g: { win: Window2d; h: number; w: number; oh: number; ow: number }): boolean {
  const { kh, kw, sh, sw, padTop, padLeft } = g.win;
  return kh === 2 && kw === 2 && sh === 2 && sw === 2 && padTop === 0 && padLeft === 0 && 2 * g.oh <= g.h && 2 * g.ow <= g.w;
}
