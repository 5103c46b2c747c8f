// The window geometry maxPool2d and avgPool2d share, computed once per layer.
//
//   x [N, C, H, W]  ->  y [N, C, OH, OW]
//   output (i, j) pools the input rows [rows[2i], rows[2i+1]) and columns [cols[2j], cols[2j+1]):
//   its window clipped to the input, so padding is never read (see shape.ts windowRanges).

import type { ResolvedLayer } from '../describe.js';
import { windowRanges, type Window2d } from '../shape.js';

export type PoolSpec = Extract<ResolvedLayer, { type: 'maxPool2d' | 'avgPool2d' }>;

export interface PoolGeometry {
  c: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
  win: Window2d;
  /** [OH, 2]: each output row's in-bounds input rows [lo, hi). */
  rows: Int32Array;
  /** [OW, 2]: each output column's in-bounds input columns [lo, hi). */
  cols: Int32Array;
  /** Elements per sample: C * H * W and C * OH * OW. */
  inSize: number;
  outSize: number;
}

export function poolGeometry(spec: PoolSpec): PoolGeometry {
  const [c, h, w] = spec.inShape as [number, number, number];
  const [, oh, ow] = spec.outShape as [number, number, number];
  const win = spec.window;
  return {
    c,
    h,
    w,
    oh,
    ow,
    win,
    rows: windowRanges(h, win.kh, win.sh, win.padTop, oh),
    cols: windowRanges(w, win.kw, win.sw, win.padLeft, ow),
    inSize: c * h * w,
    outSize: c * oh * ow,
  };
}
