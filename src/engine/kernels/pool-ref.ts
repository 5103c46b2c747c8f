// Reference max pooling over 2x2 windows, stride 2, no padding (every window inside): the
// definition the WebAssembly `maxPool2x2` is tested against, and the fallback without wasm.
//
//   y[p, i, j] = max over x[p, 2i + a, 2j + b], (a, b) visited (0,0) (0,1) (1,0) (1,1); the first
//   maximum wins, NaN propagates (PyTorch's); sw[p, i, j] = that input's index into x (the switch
//   the backward pass scatters dy to).

export type MaxPool2x2 = (
  planes: number,
  h: number,
  w: number,
  oh: number,
  ow: number,
  x: Float32Array,
  y: Float32Array,
  sw: Int32Array,
) => void;

export const maxPool2x2Ref: MaxPool2x2 = (planes, h, w, oh, ow, x, y, sw) => {
  let out = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * h * w;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0, i = base + 2 * oy * w; ox < ow; ox++, out++, i += 2) {
        let best = i;
        let max = x[i]!;
        for (let q = 1; q < 4; q++) {
          const j = q === 1 ? i + 1 : q === 2 ? i + w : i + w + 1;
          const v = x[j]!;
          if (beats(v, max)) {
            max = v;
            best = j;
          }
        }
        y[out] = max;
        sw[out] = best;
      }
    }
  }
};

/** v replaces the running maximum: larger, or NaN over a number (NaN propagates, as in PyTorch). */
export function beats(v: number, max: number): boolean {
  return v > max || (Number.isNaN(v) && !Number.isNaN(max));
}
