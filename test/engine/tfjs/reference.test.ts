// The tfjs reference itself, checked against a naive float64 loop: layout conversions (NCHW <-> NHWC,
// PyTorch weight layouts, C,H,W flatten order), asymmetric 'same' padding, pooling padding, both
// losses, batch norm with the batch's statistics, residual blocks (nested names, shortcuts), global
// average pooling, and that gradients come back in Convoy's layouts (central differences of the naive loop).
// If this file fails, the engine cross-check in engine.test.ts cannot be trusted.
import { describe, expect, test } from 'vitest';
import type { LayerSpec, ModelSpec } from '../../../src/engine/spec.js';
import {
  type NamedTensor,
  type ReferenceConventions,
  DEFAULT_CONVENTIONS,
  paddingFor,
  relativeError,
  runReference,
  seededUniform,
} from '../../helpers/tfjs-reference.js';

// ---- a naive float64 forward for the layers the checks below use ----------------------------
type T = { shape: number[]; data: Float64Array };

function naiveForward(spec: ModelSpec, weights: Map<string, Float64Array>, x: Float64Array, n: number, conv: ReferenceConventions): T {
  return naiveLayers(spec.layers, 'layers.', weights, { shape: [n, ...spec.input], data: x }, conv);
}

function naiveLayers(layers: LayerSpec[], names: string, weights: Map<string, Float64Array>, input: T, conv: ReferenceConventions): T {
  let cur = input;
  layers.forEach((layer, li) => {
    const prefix = `${names}${li}`;
    if (layer.type === 'conv2d' || layer.type === 'maxPool2d' || layer.type === 'avgPool2d') {
      const [N, C, H, W] = cur.shape as [number, number, number, number];
      const ks = layer.type === 'conv2d' ? layer.kernelSize : layer.poolSize;
      const [kh, kw] = typeof ks === 'number' ? [ks, ks] : ks;
      const st = layer.stride ?? (layer.type === 'conv2d' ? 1 : ks);
      const [sh, sw] = typeof st === 'number' ? [st, st] : st;
      const [pt, pb, pl, pr] = paddingFor(layer.padding, [H, W], [kh, kw], [sh, sw], conv.sameExtra);
      const OH = Math.floor((H + pt + pb - kh) / sh) + 1;
      const OW = Math.floor((W + pl + pr - kw) / sw) + 1;
      const OC = layer.type === 'conv2d' ? layer.filters : C;
      const out = new Float64Array(N * OC * OH * OW);
      const wt = weights.get(`${prefix}.weight`);
      const bias = weights.get(`${prefix}.bias`);
      const at = (b: number, c: number, y: number, xx: number): number | undefined =>
        y < 0 || y >= H || xx < 0 || xx >= W ? undefined : cur.data[((b * C + c) * H + y) * W + xx]!;
      for (let b = 0; b < N; b++)
        for (let o = 0; o < OC; o++)
          for (let oy = 0; oy < OH; oy++)
            for (let ox = 0; ox < OW; ox++) {
              let acc = layer.type === 'maxPool2d' ? -Infinity : 0;
              let count = 0;
              for (let ky = 0; ky < kh; ky++)
                for (let kx = 0; kx < kw; kx++) {
                  const y = oy * sh + ky - pt;
                  const xx = ox * sw + kx - pl;
                  if (layer.type === 'conv2d') {
                    for (let c = 0; c < C; c++) acc += (at(b, c, y, xx) ?? 0) * wt![((o * C + c) * kh + ky) * kw + kx]!;
                  } else {
                    const v = at(b, o, y, xx);
                    if (v !== undefined) count++;
                    acc = layer.type === 'maxPool2d' ? Math.max(acc, v ?? -Infinity) : acc + (v ?? 0);
                  }
                }
              if (layer.type === 'conv2d' && bias) acc += bias[o]!;
              if (layer.type === 'avgPool2d') acc /= conv.avgPoolCountPadding ? kh * kw : count;
              out[((b * OC + o) * OH + oy) * OW + ox] = acc;
            }
      cur = { shape: [N, OC, OH, OW], data: out };
    } else if (layer.type === 'flatten') {
      cur = { shape: [cur.shape[0]!, cur.data.length / cur.shape[0]!], data: cur.data };
    } else if (layer.type === 'dense') {
      const N = cur.shape[0]!;
      const F = cur.data.length / N; // a spatial input is read in C, H, W order
      const wt = weights.get(`${prefix}.weight`)!;
      const bias = weights.get(`${prefix}.bias`);
      const out = new Float64Array(N * layer.units);
      for (let b = 0; b < N; b++)
        for (let u = 0; u < layer.units; u++) {
          let acc = bias ? bias[u]! : 0;
          for (let f = 0; f < F; f++) acc += cur.data[b * F + f]! * wt[u * F + f]!;
          out[b * layer.units + u] = acc;
        }
      cur = { shape: [N, layer.units], data: out };
    } else if (layer.type === 'elu') {
      const a = layer.alpha ?? 1;
      cur = { shape: cur.shape, data: cur.data.map((v) => (v > 0 ? v : a * Math.expm1(v))) };
    } else if (layer.type === 'tanh') {
      cur = { shape: cur.shape, data: cur.data.map(Math.tanh) };
    } else if (layer.type === 'relu') {
      cur = { shape: cur.shape, data: cur.data.map((v) => Math.max(v, 0)) };
    } else if (layer.type === 'batchNorm2d') {
      // the batch's own statistics, per channel over N, H, W (biased variance)
      const [N, C, H, W] = cur.shape as [number, number, number, number];
      const gamma = weights.get(`${prefix}.weight`)!;
      const beta = weights.get(`${prefix}.bias`)!;
      const out = new Float64Array(cur.data.length);
      for (let c = 0; c < C; c++) {
        const idx = Array.from({ length: N * H * W }, (_, k) => (Math.floor(k / (H * W)) * C + c) * H * W + (k % (H * W)));
        const mean = idx.reduce((a, i) => a + cur.data[i]!, 0) / idx.length;
        const variance = idx.reduce((a, i) => a + (cur.data[i]! - mean) ** 2, 0) / idx.length;
        for (const i of idx) out[i] = (gamma[c]! * (cur.data[i]! - mean)) / Math.sqrt(variance + (layer.eps ?? 1e-5)) + beta[c]!;
      }
      cur = { shape: cur.shape, data: out };
    } else if (layer.type === 'globalAvgPool2d') {
      const [N, C, H, W] = cur.shape as [number, number, number, number];
      const out = new Float64Array(N * C).map((_, o) => cur.data.subarray(o * H * W, (o + 1) * H * W).reduce((a, v) => a + v, 0) / (H * W));
      cur = { shape: [N, C], data: out };
    } else if (layer.type === 'residual') {
      const branch = naiveLayers(layer.layers, `${prefix}.layers.`, weights, cur, conv);
      const skip = layer.shortcut
        ? naiveLayers(
            [{ type: 'conv2d', filters: branch.shape[1]!, kernelSize: 1, ...layer.shortcut }],
            '',
            new Map(
              [...weights].flatMap(([k, v]) => (k.startsWith(`${prefix}.shortcut.`) ? [[k.replace(`${prefix}.shortcut.`, '0.'), v]] : [])),
            ),
            cur,
            conv,
          )
        : cur;
      cur = { shape: branch.shape, data: branch.data.map((v, i) => v + skip.data[i]!) };
    } else {
      throw new Error(`naive: ${layer.type} not needed here`);
    }
  });
  return cur;
}

function naiveLoss(out: T, labels: number[], kind: 'cross-entropy' | 'mse', conv: ReferenceConventions): number {
  const [n, k] = [out.shape[0]!, out.data.length / out.shape[0]!];
  let total = 0;
  for (let b = 0; b < n; b++) {
    const row = out.data.subarray(b * k, (b + 1) * k);
    if (kind === 'cross-entropy') {
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      total += lse - row[labels[b]!]!;
    } else {
      const se = row.reduce((s, v, j) => s + (v - (j === labels[b] ? 1 : 0)) ** 2, 0);
      total += conv.mse === 'sum' ? se : se / k;
    }
  }
  return total / n;
}

// ---- the checks -------------------------------------------------------------------------------
const N = 2;
type Shapes = { name: string; shape: number[] }[];
const cases: [name: string, spec: ModelSpec, loss: 'cross-entropy' | 'mse', conv: Partial<ReferenceConventions>, shapes?: Shapes][] = [
  [
    'batch norm (batch statistics), residual block with a 1x1 stride-2 shortcut, relu, global average pooling',
    {
      input: [2, 5, 5],
      layers: [
        { type: 'conv2d', filters: 3, kernelSize: 3, padding: 1 },
        { type: 'batchNorm2d', eps: 0.01 },
        {
          type: 'residual',
          layers: [
            { type: 'conv2d', filters: 4, kernelSize: 3, stride: 2, padding: 1 },
            { type: 'relu' },
            { type: 'conv2d', filters: 4, kernelSize: 3, padding: 1 },
          ],
          shortcut: { stride: 2 },
        },
        { type: 'globalAvgPool2d' },
        { type: 'dense', units: 3 },
      ],
    },
    'cross-entropy',
    {},
    [
      { name: 'layers.0.weight', shape: [3, 2, 3, 3] },
      { name: 'layers.0.bias', shape: [3] },
      { name: 'layers.1.weight', shape: [3] },
      { name: 'layers.1.bias', shape: [3] },
      { name: 'layers.2.layers.0.weight', shape: [4, 3, 3, 3] },
      { name: 'layers.2.layers.0.bias', shape: [4] },
      { name: 'layers.2.layers.2.weight', shape: [4, 4, 3, 3] },
      { name: 'layers.2.layers.2.bias', shape: [4] },
      { name: 'layers.2.shortcut.weight', shape: [4, 3, 1, 1] },
      { name: 'layers.2.shortcut.bias', shape: [4] },
      { name: 'layers.4.weight', shape: [3, 4] },
      { name: 'layers.4.bias', shape: [3] },
    ],
  ],
  [
    'identity residual block around a tanh conv, flatten, dense',
    {
      input: [2, 4, 3],
      layers: [
        { type: 'residual', layers: [{ type: 'conv2d', filters: 2, kernelSize: 3, padding: 'same', useBias: false }, { type: 'tanh' }] },
        { type: 'flatten' },
        { type: 'dense', units: 3 },
      ],
    },
    'mse',
    {},
    [
      { name: 'layers.0.layers.0.weight', shape: [2, 2, 3, 3] },
      { name: 'layers.2.weight', shape: [3, 24] },
      { name: 'layers.2.bias', shape: [3] },
    ],
  ],
  [
    'conv even kernel same stride 2 (asymmetric pad), flatten, dense',
    {
      input: [2, 5, 6],
      layers: [
        { type: 'conv2d', filters: 3, kernelSize: [2, 4], stride: 2, padding: 'same' },
        { type: 'flatten' },
        { type: 'dense', units: 4 },
      ],
    },
    'cross-entropy',
    {},
  ],
  [
    'same padding with the odd pixel before',
    {
      input: [1, 5, 6],
      layers: [
        { type: 'conv2d', filters: 2, kernelSize: 4, padding: 'same', useBias: false },
        { type: 'flatten' },
        { type: 'dense', units: 3 },
      ],
    },
    'cross-entropy',
    { sameExtra: 'before' },
  ],
  [
    'maxPool pad 1, elu(0.5), avgPool same counting padding, dense on a spatial input',
    {
      input: [2, 6, 5],
      layers: [
        { type: 'maxPool2d', poolSize: 3, stride: 2, padding: 1 },
        { type: 'elu', alpha: 0.5 },
        { type: 'avgPool2d', poolSize: 2, stride: 1, padding: 'same' },
        { type: 'dense', units: 3 },
      ],
    },
    'cross-entropy',
    {},
  ],
  [
    'avgPool excluding padding, tanh, mse summed over outputs',
    {
      input: [2, 5, 5],
      layers: [
        { type: 'avgPool2d', poolSize: 3, stride: 2, padding: 1 },
        { type: 'tanh' },
        { type: 'flatten' },
        { type: 'dense', units: 3 },
      ],
    },
    'mse',
    { avgPoolCountPadding: false, mse: 'sum' },
  ],
  [
    'conv padding 2 stride [2,1], mse averaged over outputs',
    {
      input: [3, 4, 4],
      layers: [{ type: 'conv2d', filters: 2, kernelSize: 3, stride: [2, 1], padding: 2 }, { type: 'flatten' }, { type: 'dense', units: 3 }],
    },
    'mse',
    { mse: 'mean' },
  ],
];

function paramShapes(spec: ModelSpec, conv: ReferenceConventions): { name: string; shape: number[] }[] {
  // Discover shapes by running the naive loop layer by layer is overkill; derive them directly.
  const out: { name: string; shape: number[] }[] = [];
  let [c, h, w] = spec.input;
  let flat: number | undefined;
  spec.layers.forEach((l, i) => {
    if (l.type === 'conv2d' || l.type === 'maxPool2d' || l.type === 'avgPool2d') {
      const ks = l.type === 'conv2d' ? l.kernelSize : l.poolSize;
      const [kh, kw] = typeof ks === 'number' ? [ks, ks] : ks;
      const st = l.stride ?? (l.type === 'conv2d' ? 1 : ks);
      const [sh, sw] = typeof st === 'number' ? [st, st] : st;
      const [pt, pb, pl, pr] = paddingFor(l.padding, [h, w], [kh, kw], [sh, sw], conv.sameExtra);
      if (l.type === 'conv2d') {
        out.push({ name: `layers.${i}.weight`, shape: [l.filters, c, kh, kw] });
        if (l.useBias !== false) out.push({ name: `layers.${i}.bias`, shape: [l.filters] });
        c = l.filters;
      }
      h = Math.floor((h + pt + pb - kh) / sh) + 1;
      w = Math.floor((w + pl + pr - kw) / sw) + 1;
    } else if (l.type === 'flatten') {
      flat = c * h * w;
    } else if (l.type === 'dense') {
      out.push({ name: `layers.${i}.weight`, shape: [l.units, flat ?? c * h * w] });
      if (l.useBias !== false) out.push({ name: `layers.${i}.bias`, shape: [l.units] });
      flat = l.units;
    }
  });
  return out;
}

describe('tfjs reference agrees with a naive float64 loop (relative error vs max |naive|)', () => {
  test.each(cases)('%s', async (_name, spec, lossKind, partial, given) => {
    const conv = { ...DEFAULT_CONVENTIONS, ...partial };
    const shapes = given ?? paramShapes(spec, conv);
    const weights: NamedTensor[] = shapes.map((s, k) => ({
      ...s,
      data: seededUniform(
        s.shape.reduce((a, b) => a * b, 1),
        100 + k,
        -0.5,
        0.5,
      ),
    }));
    const x = seededUniform(N * spec.input[0] * spec.input[1] * spec.input[2], 7);
    const labels = [1, 2];
    const ref = await runReference(spec, weights, { x, n: N, labels }, { loss: lossKind, conventions: partial, batchNorm: 'batch' });

    const w64 = new Map(weights.map((t) => [t.name, Float64Array.from(t.data)]));
    const x64 = Float64Array.from(x);
    const f = (): number => naiveLoss(naiveForward(spec, w64, x64, N, conv), labels, lossKind, conv);
    const naiveOut = naiveForward(spec, w64, x64, N, conv);
    expect(ref.outputShape).toEqual(naiveOut.shape);
    expect(relativeError(ref.output, naiveOut.data)).toBeLessThan(1e-5);
    expect(Math.abs(ref.loss! - f()) / Math.abs(f())).toBeLessThan(1e-5);

    // Central differences in float64 (h = 1e-6: truncation and rounding both far below 1e-5).
    const numeric = (v: Float64Array): Float64Array =>
      v.map((_, i) => {
        const keep = v[i]!;
        v[i] = keep + 1e-6;
        const up = f();
        v[i] = keep - 1e-6;
        const down = f();
        v[i] = keep;
        return (up - down) / 2e-6;
      });
    expect(relativeError(ref.dx!, numeric(x64))).toBeLessThan(1e-4);
    for (const { name } of shapes) {
      expect(relativeError(ref.grads!.get(name)!, numeric(w64.get(name)!)), name).toBeLessThan(1e-4);
    }
  });

  test('relativeError measures against the largest reference magnitude', () => {
    expect(relativeError([1, 2.5], [1, 2])).toBeCloseTo(0.25);
    expect(relativeError([0.001, 10], [0, 10])).toBeCloseTo(1e-4);
    expect(relativeError([NaN], [1])).toBe(Infinity);
  });
});
