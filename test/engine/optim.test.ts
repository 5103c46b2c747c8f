// Optimizers against PyTorch's update rules: hand-computed first steps, recorded
// torch.optim trajectories, TensorFlow.js where its semantics match ours, and
// state save/restore continuing bit for bit.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createOptimizer,
  decodeOptimizerState,
  encodeOptimizerState,
  restoreOptimizer,
  type Optimizer,
  type OptimizerConfig,
} from '../../src/engine/optim/index.js';

/** |actual - expected| <= atol + rtol * |expected|, element by element. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol = 0): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    const tolerance = atol + rtol * Math.abs(expected[i]!);
    if (!(diff <= tolerance)) {
      throw new Error(`element ${i}: got ${actual[i]}, expected ${expected[i]} (|diff| ${diff} > ${tolerance})`);
    }
  }
}

/** Float32 results against exactly computed values: within 2 float32 ulps. */
const F32 = 2.5e-7;

function bytesOf(array: Float32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** Deterministic values in [-1, 1) for tests (a 32-bit LCG). */
function randomArray(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Applies `steps` updates with the given gradients and learning rates; returns the weights. */
function run(optimizer: Optimizer, w0: ArrayLike<number>, grads: ArrayLike<number>[], lrs: number[]): Float32Array {
  const w = Float32Array.from(w0);
  grads.forEach((g, t) => {
    optimizer.step(w, Float32Array.from(g), lrs[t]!);
  });
  return w;
}

describe('first steps, computed by hand from the PyTorch update rules', () => {
  const w0 = [1, -2];
  const g = [0.5, 0.25];

  it('SGD: w - lr * g, with L2 weight decay added to g', () => {
    const plain = run(createOptimizer({ type: 'sgd' }, 2), w0, [g], [0.1]);
    expectClose(plain, [1 - 0.1 * 0.5, -2 - 0.1 * 0.25], F32);
    const decayed = run(createOptimizer({ type: 'sgd', weightDecay: 0.1 }, 2), w0, [g], [0.1]);
    // g + 0.1 * w = [0.6, 0.05]
    expectClose(decayed, [1 - 0.1 * 0.6, -2 - 0.1 * 0.05], F32);
  });

  it('SGD momentum: the buffer starts as g (no dampening on step 1), then b = m*b + (1-d)*g', () => {
    const opt = createOptimizer({ type: 'sgd', momentum: 0.9, dampening: 0.5 }, 2);
    const w = run(opt, w0, [g, g], [0.1, 0.1]);
    // step 1: b = g, w -= 0.1 g;  step 2: b = 0.9 g + 0.5 g = 1.4 g, w -= 0.1 * 1.4 g
    expectClose(w, [1 - 0.1 * 0.5 * 2.4, -2 - 0.1 * 0.25 * 2.4], F32);
    expectClose(opt.state().buffers.momentum!, [1.4 * 0.5, 1.4 * 0.25], F32);
    expect(opt.stepCount).toBe(2);
  });

  it('SGD Nesterov: the step is g + m*b', () => {
    const w = run(createOptimizer({ type: 'sgd', momentum: 0.9, nesterov: true }, 2), w0, [g, g], [0.1, 0.1]);
    // step 1: b = g, d = g + 0.9 g = 1.9 g;  step 2: b = 0.9 g + g = 1.9 g, d = g + 0.9 * 1.9 g = 2.71 g
    expectClose(w, [1 - 0.1 * 0.5 * (1.9 + 2.71), -2 - 0.1 * 0.25 * (1.9 + 2.71)], F32);
  });

  it('Adam: the first step is lr * g / (|g| + eps), since both bias-corrected moments equal g and g^2', () => {
    const opt = createOptimizer({ type: 'adam' }, 2);
    const w = run(opt, w0, [g], [0.1]);
    expectClose(w, [1 - (0.1 * 0.5) / (0.5 + 1e-8), -2 - (0.1 * 0.25) / (0.25 + 1e-8)], F32);
    const { m, v } = opt.state().buffers;
    expectClose(m!, [0.1 * 0.5, 0.1 * 0.25], F32); // (1 - beta1) g
    expectClose(v!, [0.001 * 0.25, 0.001 * 0.0625], F32); // (1 - beta2) g^2
  });

  it('Adam second step: bias corrections 1 - 0.9^2 and 1 - 0.999^2', () => {
    const g2 = [-0.5, 1];
    const w = run(createOptimizer({ type: 'adam' }, 2), w0, [g, g2], [0.1, 0.1]);
    const expected = [0, 1].map((i) => {
      const m = 0.9 * (0.1 * g[i]!) + 0.1 * g2[i]!;
      const v = 0.999 * (0.001 * g[i]! ** 2) + 0.001 * g2[i]! ** 2;
      const afterFirst = w0[i]! - 0.1 * Math.sign(g[i]!);
      return afterFirst - (0.1 * (m / (1 - 0.81))) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8);
    });
    expectClose(w, expected, F32);
  });

  it('Adam weight decay is L2 (added to g); AdamW decays the weights apart from the moments', () => {
    // Adam + L2: g' = g + 0.1 w = [0.6, 0.05], the first step is still lr * sign(g')
    const adam = run(createOptimizer({ type: 'adam', weightDecay: 0.1 }, 2), w0, [g], [0.1]);
    expectClose(adam, [1 - 0.1, -2 - 0.1], F32);
    // AdamW: w' = w * (1 - lr * wd), then the plain Adam step on g
    const adamw = run(createOptimizer({ type: 'adamw', weightDecay: 0.1 }, 2), [1, -2], [[0.5, -0.25]], [0.1]);
    expectClose(adamw, [1 * 0.99 - 0.1, -2 * 0.99 + 0.1], F32);
    // AdamW with weight decay 0 is Adam, bit for bit
    const a = run(createOptimizer({ type: 'adam' }, 2), w0, [g, [0.3, -0.7]], [0.1, 0.05]);
    const b = run(createOptimizer({ type: 'adamw', weightDecay: 0 }, 2), w0, [g, [0.3, -0.7]], [0.1, 0.05]);
    expect(bytesOf(b)).toEqual(bytesOf(a));
  });

  it('AdamW defaults to weight decay 0.01, Adam and SGD to 0, eps to 1e-8, betas to 0.9/0.999', () => {
    expect(createOptimizer({ type: 'adamw' }, 1).config).toEqual({ type: 'adamw', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
    expect(createOptimizer({ type: 'adam' }, 1).config).toEqual({ type: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
    expect(createOptimizer({ type: 'sgd' }, 1).config).toEqual({ type: 'sgd', momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 });
  });
});

// Recorded with torch 2.13.0 (CPU, float32, foreach=False): for each config, a
// Parameter starting at W0, gradients GRADS[t] and learning rates LRS[t] set
// before step t; the rows are the parameter after each step:
//   p = torch.nn.Parameter(torch.tensor(W0)); opt = Cls([p], lr=LRS[0], foreach=False, **kw)
//   for g, lr in zip(GRADS, LRS): opt.param_groups[0]['lr'] = lr; p.grad = torch.tensor(g); opt.step()
// PyTorch rounds to float32 after every tensor op where we keep float64 within an
// element's update, so the two agree to a few float32 ulps, not bit for bit.
const W0 = [0.5, -1.25, 2.0, -0.125];
const GRADS = [
  [0.25, -0.5, 1.0, 0.0],
  [-0.75, 0.125, 0.5, -2.0],
  [0.0625, 0.3, -1.5, 0.7],
  [1.1, -0.9, 0.2, 0.05],
  [-0.4, 0.6, -0.01, 3.0],
];
const LRS = [0.1, 0.05, 0.2, 0.1, 0.01];
const TORCH_CONFIGS: Record<string, { torch: string; config: OptimizerConfig }> = {
  'sgd-wd': { torch: 'SGD(weight_decay=0.1)', config: { type: 'sgd', weightDecay: 0.1 } },
  'sgd-momentum-dampening': {
    torch: 'SGD(momentum=0.9, dampening=0.3)',
    config: { type: 'sgd', momentum: 0.9, dampening: 0.3 },
  },
  'sgd-nesterov-wd': {
    torch: 'SGD(momentum=0.8, nesterov=True, weight_decay=0.05)',
    config: { type: 'sgd', momentum: 0.8, nesterov: true, weightDecay: 0.05 },
  },
  adam: { torch: 'Adam()', config: { type: 'adam' } },
  'adam-l2': {
    torch: 'Adam(betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)',
    config: { type: 'adam', beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1 },
  },
  adamw: { torch: 'AdamW(weight_decay=0.2)', config: { type: 'adamw', weightDecay: 0.2 } },
};
const TORCH_TRAJECTORIES: Record<string, number[][]> = {
  'sgd-wd': [
    [0.4699999988079071, -1.1875, 1.8799999952316284, -0.1237500011920929],
    [0.5051500201225281, -1.1878124475479126, 1.8456000089645386, -0.023131243884563446],
    [0.48254701495170593, -1.2240562438964844, 2.1086881160736084, -0.1626686155796051],
    [0.3677215278148651, -1.1218156814575195, 2.067601203918457, -0.16604192554950714],
    [0.37135380506515503, -1.126693844795227, 2.065633535385132, -0.195875883102417],
  ],
  'sgd-momentum-dampening': [
    [0.4749999940395355, -1.2000000476837158, 1.899999976158142, -0.125],
    [0.49000000953674316, -1.1818749904632568, 1.837499976158142, -0.054999999701976776],
    [0.5352500081062317, -1.1586250066757202, 1.8224999904632568, 0.0989999994635582],
    [0.4786125123500824, -1.0851625204086304, 1.8017499446868896, 0.1647999882698059],
    [0.47631514072418213, -1.082750916481018, 1.7999523878097534, 0.14972199499607086],
  ],
  'sgd-nesterov-wd': [
    [0.4505000114440918, -1.1487499475479126, 1.8020000457763672, -0.12387499958276749],
    [0.5071727633476257, -1.1368305683135986, 1.713690996170044, 0.05688244104385376],
    [0.5405004620552063, -1.1754156351089478, 2.0346717834472656, 0.06129137799143791],
    [0.3579957187175751, -0.9988182187080383, 1.995606780052185, 0.10973085463047028],
    [0.35928934812545776, -1.0022616386413574, 1.9932794570922852, 0.05993177741765976],
  ],
  adam: [
    [0.4000000059604645, -1.149999976158142, 1.899999976158142, -0.125],
    [0.4247094988822937, -1.1265265941619873, 1.8533910512924194, -0.08779315650463104],
    [0.4907990097999573, -1.1281346082687378, 1.8697863817214966, -0.02143913507461548],
    [0.4594614505767822, -1.0800365209579468, 1.8702809810638428, 0.0043577030301094055],
    [0.4584656357765198, -1.0791352987289429, 1.870351791381836, 0.0011573745869100094],
  ],
  'adam-l2': [
    [0.40000033378601074, -1.1500002145767212, 1.9000000953674316, -0.025007985532283783],
    [0.42391258478164673, -1.1191282272338867, 1.8531148433685303, 0.014372285455465317],
    [0.47342562675476074, -1.0745922327041626, 1.852720022201538, 0.07513149082660675],
    [0.42813774943351746, -1.0087471008300781, 1.8391457796096802, 0.09653820097446442],
    [0.4263424575328827, -1.006514310836792, 1.8374871015548706, 0.09209275245666504],
  ],
  adamw: [
    [0.39000001549720764, -1.125, 1.8600000143051147, -0.12250000238418579],
    [0.4108095169067383, -1.0902765989303589, 1.7947911024093628, -0.084068164229393],
    [0.4604666531085968, -1.0482735633850098, 1.7393947839736938, -0.014351412653923035],
    [0.4199197590351105, -0.9792100191116333, 1.705101490020752, 0.011732453480362892],
    [0.41808411478996277, -0.9763504266738892, 1.7017621994018555, 0.008508659899234772],
  ],
};

describe('recorded torch.optim trajectories', () => {
  for (const [name, { torch, config }] of Object.entries(TORCH_CONFIGS)) {
    it(`${name} matches torch.optim.${torch} over 5 steps with a changing learning rate`, () => {
      const optimizer = createOptimizer(config, W0.length);
      const w = Float32Array.from(W0);
      GRADS.forEach((g, t) => {
        optimizer.step(w, Float32Array.from(g), LRS[t]!);
        expectClose(w, TORCH_TRAJECTORIES[name]![t]!, 2e-7, 1e-7);
      });
    });
  }
});

describe('TensorFlow.js optimizers where the semantics match', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  const n = 1000;
  const steps = 10;
  const w0 = randomArray(n, 1);
  const grads = Array.from({ length: steps }, (_, t) => randomArray(n, 100 + t));

  /** Runs a tfjs optimizer; `l2` adds l2 * w to each gradient first (PyTorch's L2 weight decay). */
  function runTf(optimizer: tf.Optimizer, l2 = 0): Float32Array {
    const w = tf.variable(tf.tensor1d(w0), true);
    for (const g of grads) {
      tf.tidy(() => {
        const grad = l2 === 0 ? tf.tensor1d(g) : tf.add(tf.tensor1d(g), tf.mul(w, l2));
        optimizer.applyGradients({ [w.name]: grad as tf.Tensor });
      });
    }
    const result = w.dataSync() as Float32Array;
    w.dispose();
    optimizer.dispose();
    return Float32Array.from(result);
  }

  function runOurs(config: OptimizerConfig, lr: number): Float32Array {
    return run(createOptimizer(config, n), w0, grads, new Array<number>(steps).fill(lr));
  }

  it('SGD equals tf.train.sgd', () => {
    expectClose(runOurs({ type: 'sgd' }, 0.05), runTf(tf.train.sgd(0.05)), 1e-6, 1e-7);
  });

  it('SGD momentum (dampening 0) equals tf.train.momentum: its zero-initialised accumulator makes step 1 b = g too', () => {
    expectClose(runOurs({ type: 'sgd', momentum: 0.9 }, 0.05), runTf(tf.train.momentum(0.05, 0.9)), 1e-6, 1e-7);
  });

  it('SGD Nesterov equals tf.train.momentum with useNesterov', () => {
    expectClose(runOurs({ type: 'sgd', momentum: 0.9, nesterov: true }, 0.05), runTf(tf.train.momentum(0.05, 0.9, true)), 1e-6, 1e-7);
  });

  it('Adam equals tf.train.adam with epsilon 1e-8 (tfjs defaults to 1e-7)', () => {
    const ours = runOurs({ type: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8 }, 0.01);
    // tfjs keeps beta^t and the bias-corrected moments in float32: agreement to ~1e-6
    expectClose(ours, runTf(tf.train.adam(0.01, 0.9, 0.999, 1e-8)), 1e-5, 1e-6);
    // and moves every weight: the comparison is not vacuous
    expect(ours.some((x, i) => Math.abs(x - w0[i]!) > 0.05)).toBe(true);
  });

  it('Adam with L2 weight decay equals tf.train.adam fed g + wd * w', () => {
    expectClose(
      runOurs({ type: 'adam', beta1: 0.8, beta2: 0.99, eps: 1e-8, weightDecay: 0.3 }, 0.01),
      runTf(tf.train.adam(0.01, 0.8, 0.99, 1e-8), 0.3),
      1e-5,
      1e-6,
    );
  });
});

describe('state save and restore', () => {
  const n = 257;
  const w0 = randomArray(n, 7);
  const grads = Array.from({ length: 9 }, (_, t) => randomArray(n, 50 + t));
  const lrs = [0.01, 0.02, 0.03, 0.02, 0.01, 0.005, 0.02, 0.01, 0.03];
  const configs: OptimizerConfig[] = [
    { type: 'sgd', weightDecay: 0.01 },
    { type: 'sgd', momentum: 0.9, dampening: 0.1, weightDecay: 0.01 },
    { type: 'sgd', momentum: 0.9, nesterov: true },
    { type: 'adam', weightDecay: 0.01 },
    { type: 'adamw' },
  ];

  for (const config of configs) {
    it(`${JSON.stringify(config)}: 4 steps, save, 5 more equals an uninterrupted 9, bit for bit`, () => {
      const straight = run(createOptimizer(config, n), w0, grads, lrs);

      const first = createOptimizer(config, n);
      const w = run(first, w0, grads.slice(0, 4), lrs.slice(0, 4));
      const saved = first.state();
      const bytes = encodeOptimizerState(saved);
      // the original keeps going; the snapshot must not change with it
      const continued = Float32Array.from(w);
      grads.slice(4).forEach((g, t) => {
        first.step(continued, g, lrs[4 + t]!);
      });
      expect(bytesOf(continued)).toEqual(bytesOf(straight));
      expect(saved.step).toBe(4);

      for (const state of [saved, decodeOptimizerState(bytes)]) {
        const resumed = restoreOptimizer(state);
        expect(resumed.stepCount).toBe(4);
        const w2 = Float32Array.from(w);
        grads.slice(4).forEach((g, t) => {
          resumed.step(w2, g, lrs[4 + t]!);
        });
        expect(bytesOf(w2)).toEqual(bytesOf(straight));
        expect(encodeOptimizerState(resumed.state())).toEqual(encodeOptimizerState(first.state()));
      }
    });
  }

  it('restoring from a state, then stepping, leaves the state object untouched', () => {
    const opt = createOptimizer({ type: 'adam' }, n);
    run(opt, w0, grads.slice(0, 2), lrs);
    const state = opt.state();
    const m = state.buffers.m!.slice();
    restoreOptimizer(state).step(Float32Array.from(w0), grads[2]!, 0.01);
    expect(state.buffers.m).toEqual(m);
    expect(state.step).toBe(2);
  });

  it('rejects a state with wrong buffers, naming them', () => {
    const state = createOptimizer({ type: 'adam' }, 3).state();
    expect(() => restoreOptimizer({ ...state, buffers: { m: state.buffers.m! } })).toThrow(/needs buffers \[m, v\], got \[m\]/);
    expect(() => restoreOptimizer({ ...state, buffers: { ...state.buffers, v: new Float32Array(2) } })).toThrow(
      /buffer 'v' must be a Float32Array of length 3/,
    );
    expect(() => restoreOptimizer({ ...state, step: -1 })).toThrow(/step -1/);
    expect(() => decodeOptimizerState(new Uint8Array(16))).toThrow();
  });
});

describe('argument checks', () => {
  it('rejects impossible configs, naming the field', () => {
    expect(() => createOptimizer({ type: 'sgd', nesterov: true }, 1)).toThrow(/optimizer.nesterov/);
    expect(() => createOptimizer({ type: 'sgd', momentum: 0.9, dampening: 0.1, nesterov: true }, 1)).toThrow(/optimizer.nesterov/);
    expect(() => createOptimizer({ type: 'adam', beta1: 1 }, 1)).toThrow(/optimizer.beta1/);
    expect(() => createOptimizer({ type: 'adamw', beta2: -0.1 }, 1)).toThrow(/optimizer.beta2/);
    expect(() => createOptimizer({ type: 'adam', eps: Number.NaN }, 1)).toThrow(/optimizer.eps/);
    expect(() => createOptimizer({ type: 'sgd', weightDecay: -1 }, 1)).toThrow(/optimizer.weightDecay/);
    expect(() => createOptimizer({ type: 'sgd' }, -1)).toThrow(/size/);
  });

  it('rejects mismatched lengths and bad learning rates', () => {
    const opt = createOptimizer({ type: 'adam' }, 3);
    expect(() => opt.step(new Float32Array(3), new Float32Array(2), 0.1)).toThrow(/must both have 3 elements/);
    expect(() => opt.step(new Float32Array(3), new Float32Array(3), Number.POSITIVE_INFINITY)).toThrow(/learning rate/);
    expect(() => opt.step(new Float32Array(3), new Float32Array(3), -0.1)).toThrow(/learning rate/);
    expect(opt.stepCount).toBe(0);
  });
});
