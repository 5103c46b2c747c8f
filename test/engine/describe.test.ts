// describe(spec): shapes, parameter counts, FLOPs, and errors that name layers[i].field.
import { describe as suite, expect, it } from 'vitest';
import { describe, resolveSpec } from '../../src/engine/describe.js';
import { expectSpecError } from '../helpers/spec-error.js';
import { PRESETS, presetSpec } from '../../src/engine/presets.js';

suite('describe presets', () => {
  it('lenet5: shapes, 61,706 parameters, FLOPs per layer', () => {
    const d = describe(PRESETS.lenet5);
    expect(d.input).toEqual([1, 28, 28]);
    expect(d.layers.map((l) => [l.type, l.outputShape, l.params, l.flops])).toEqual([
      ['conv2d', [6, 28, 28], 156, 2 * 4704 * 25 + 4704],
      ['relu', [6, 28, 28], 0, 4704],
      ['maxPool2d', [6, 14, 14], 0, 6 * 14 * 14 * 4],
      ['conv2d', [16, 10, 10], 2416, 2 * 1600 * 150 + 1600],
      ['relu', [16, 10, 10], 0, 1600],
      ['maxPool2d', [16, 5, 5], 0, 1600],
      ['flatten', [400], 0, 0],
      ['dense', [120], 48_120, 2 * 400 * 120 + 120 + 120],
      ['dense', [84], 10_164, 2 * 120 * 84 + 84 + 84],
      ['dense', [10], 850, 2 * 84 * 10 + 10],
    ]);
    expect(d.params).toBe(61_706);
    expect(d.flops).toBe(852_370);
    expect(d.outputShape).toEqual([10]);
    expect(d.layers.map((l) => l.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('fashion-cnn: shapes, 1,199,882 parameters, ~24 MFLOP forward', () => {
    const d = describe(PRESETS['fashion-cnn']);
    expect(d.layers.map((l) => l.outputShape)).toEqual([[32, 26, 26], [64, 24, 24], [64, 12, 12], [9216], [128], [10]]);
    expect(d.layers.map((l) => l.params)).toEqual([320, 18_496, 0, 0, 1_179_776, 1290]);
    expect(d.params).toBe(1_199_882);
    expect(d.flops).toBeGreaterThan(23.9e6);
    expect(d.flops).toBeLessThan(24.2e6);
  });

  it('presetSpec returns an independent copy', () => {
    const copy = presetSpec('lenet5');
    copy.layers.pop();
    expect(PRESETS.lenet5.layers).toHaveLength(10);
    expect(() => PRESETS.lenet5.layers.pop()).toThrow(TypeError); // the presets themselves are frozen
  });
});

suite('default initialisers', () => {
  const inits = (spec: unknown) =>
    resolveSpec(spec).layers.flatMap((l) => (l.type === 'conv2d' || l.type === 'dense' ? [[l.index, l.init]] : []));

  it('He normal before relu-family activations (fused or a following layer), Glorot uniform otherwise', () => {
    expect(inits(PRESETS.lenet5)).toEqual([
      [0, 'heNormal'], // conv -> relu layer
      [3, 'heNormal'],
      [7, 'heNormal'], // fused relu
      [8, 'heNormal'],
      [9, 'glorotUniform'], // the output layer
    ]);
    expect(
      inits({
        input: [1, 8, 8],
        layers: [
          { type: 'conv2d', filters: 2, kernelSize: 3 },
          { type: 'maxPool2d', poolSize: 2 },
          { type: 'elu' }, // after pooling: still feeds an elu
          { type: 'conv2d', filters: 2, kernelSize: 3, activation: 'tanh' },
          { type: 'flatten' },
          { type: 'dense', units: 4, init: 'glorotNormal' }, // explicit init wins
          { type: 'sigmoid' },
          { type: 'dense', units: 3, activation: 'leakyRelu', init: 'heUniform' },
        ],
      }),
    ).toEqual([
      [0, 'heNormal'],
      [3, 'glorotUniform'],
      [5, 'glorotNormal'],
      [7, 'heUniform'],
    ]);
  });
});

suite('describe shape rules', () => {
  const one = (input: [number, number, number], layer: object) =>
    describe({ input, layers: [layer, { type: 'flatten' }] }).layers[0]!.outputShape;

  it.each([
    ['valid 3x3', [1, 7, 6], { type: 'conv2d', filters: 2, kernelSize: 3 }, [2, 5, 4]],
    ['same stride 1', [1, 7, 6], { type: 'conv2d', filters: 2, kernelSize: 5, padding: 'same' }, [2, 7, 6]],
    ['same stride 2 = ceil(n / 2)', [3, 7, 8], { type: 'conv2d', filters: 4, kernelSize: 3, stride: 2, padding: 'same' }, [4, 4, 4]],
    [
      'numeric padding, [h,w] kernel and stride',
      [1, 6, 5],
      { type: 'conv2d', filters: 1, kernelSize: [2, 3], stride: [2, 1], padding: 2 },
      [1, 5, 7],
    ],
    ['pool stride defaults to size, floor', [2, 7, 5], { type: 'maxPool2d', poolSize: 2 }, [2, 3, 2]],
    ['pool 3 stride 2 pad 1', [2, 6, 7], { type: 'avgPool2d', poolSize: 3, stride: 2, padding: 1 }, [2, 3, 4]],
    ['pool same', [2, 5, 7], { type: 'maxPool2d', poolSize: [2, 3], padding: 'same' }, [2, 3, 3]],
  ] as const)('%s', (_name, input, layer, expected) => {
    expect(one(input as unknown as [number, number, number], layer)).toEqual(expected);
  });

  it('counts no bias when useBias is false', () => {
    const d = describe({ input: [3, 4, 4], layers: [{ type: 'conv2d', filters: 2, kernelSize: 3, useBias: false }, { type: 'flatten' }] });
    expect(d.layers[0]!.params).toBe(2 * 3 * 9);
    expect(d.layers[0]!.flops).toBe(2 * (2 * 2 * 2) * 27);
  });
});

suite('describe rejects impossible specs, naming the field', () => {
  const ok = () => presetSpec('lenet5') as unknown as { input: unknown; layers: Record<string, unknown>[] };
  const cases: [string, (s: ReturnType<typeof ok>) => unknown, string, RegExp][] = [
    [
      'kernel larger than the input',
      (s) => ({ input: [1, 4, 4], layers: [{ type: 'conv2d', filters: 1, kernelSize: 5 }, ...s.layers.slice(6)] }),
      'layers[0].kernelSize',
      /^layers\[0\]\.kernelSize: 5 exceeds input height 4$/,
    ],
    [
      'kernel larger than a later input',
      (s) => {
        s.layers[3]!.kernelSize = 15;
        return s;
      },
      'layers[3].kernelSize',
      /15 exceeds input height 14/,
    ],
    [
      'kernel width too large',
      (s) => {
        s.layers[3]!.kernelSize = [3, 20];
        return s;
      },
      'layers[3].kernelSize',
      /20 exceeds input width 14/,
    ],
    [
      'kernel larger than the padded input',
      (_s) => ({ input: [1, 2, 2], layers: [{ type: 'conv2d', filters: 1, kernelSize: 5, padding: 1 }, { type: 'flatten' }] }),
      'layers[0].kernelSize',
      /5 exceeds padded input height 4/,
    ],
    [
      'pool larger than the input',
      (_s) => ({ input: [1, 3, 3], layers: [{ type: 'maxPool2d', poolSize: 4 }, { type: 'flatten' }] }),
      'layers[0].poolSize',
      /4 exceeds input height 3/,
    ],
    [
      'zero filters',
      (s) => {
        s.layers[0]!.filters = 0;
        return s;
      },
      'layers[0].filters',
      /positive integer, got 0/,
    ],
    [
      'fractional units',
      (s) => {
        s.layers[7]!.units = 12.5;
        return s;
      },
      'layers[7].units',
      /positive integer, got 12.5/,
    ],
    [
      'negative stride',
      (s) => {
        s.layers[2]!.stride = -1;
        return s;
      },
      'layers[2].stride',
      /positive integer/,
    ],
    [
      'bad stride pair',
      (s) => {
        s.layers[2]!.stride = [2, 0];
        return s;
      },
      'layers[2].stride[1]',
      /positive integer/,
    ],
    [
      'three-element kernel size',
      (s) => {
        s.layers[0]!.kernelSize = [3, 3, 3];
        return s;
      },
      'layers[0].kernelSize',
      /n or \[height, width\]/,
    ],
    [
      'bad padding word',
      (s) => {
        s.layers[0]!.padding = 'full';
        return s;
      },
      'layers[0].padding',
      /"valid", "same" or a non-negative integer/,
    ],
    [
      'negative padding',
      (s) => {
        s.layers[0]!.padding = -2;
        return s;
      },
      'layers[0].padding',
      /non-negative/,
    ],
    [
      'pool padding over half the pool',
      (s) => {
        s.layers[2]!.padding = 2;
        return s;
      },
      'layers[2].padding',
      /exceeds half the pool size/,
    ],
    [
      'dropout rate 1',
      (s) => {
        s.layers.splice(7, 0, { type: 'dropout', rate: 1 });
        return s;
      },
      'layers[7].rate',
      /\[0, 1\)/,
    ],
    [
      'dropout rate negative',
      (s) => {
        s.layers.splice(7, 0, { type: 'dropout', rate: -0.1 });
        return s;
      },
      'layers[7].rate',
      /\[0, 1\)/,
    ],
    [
      'dropout without rate',
      (s) => {
        s.layers.splice(7, 0, { type: 'dropout' });
        return s;
      },
      'layers[7].rate',
      /\[0, 1\)/,
    ],
    [
      'dense on an image (no flatten)',
      (s) => {
        s.layers.splice(6, 1);
        return s;
      },
      'layers[6]',
      /dense needs a flat input but gets \[16, 5, 5\]: add a flatten/,
    ],
    [
      'conv after flatten',
      (s) => {
        s.layers.splice(7, 0, { type: 'conv2d', filters: 1, kernelSize: 1 });
        return s;
      },
      'layers[7]',
      /conv2d needs a \[C, H, W\] input but gets \[400\]/,
    ],
    [
      'flatten twice',
      (s) => {
        s.layers.splice(7, 0, { type: 'flatten' });
        return s;
      },
      'layers[7]',
      /flatten needs a \[C, H, W\] input/,
    ],
    [
      'unknown layer type',
      (s) => {
        s.layers[4] = { type: 'softmax' };
        return s;
      },
      'layers[4].type',
      /unknown layer type "softmax"/,
    ],
    [
      'missing layer type',
      (s) => {
        s.layers[4] = {};
        return s;
      },
      'layers[4].type',
      /unknown layer type undefined/,
    ],
    [
      'unknown field',
      (s) => {
        s.layers[0]!.kernel_size = 3;
        return s;
      },
      'layers[0].kernel_size',
      /unknown field for conv2d/,
    ],
    [
      'unknown activation',
      (s) => {
        s.layers[7]!.activation = 'gelu';
        return s;
      },
      'layers[7].activation',
      /unknown activation "gelu"/,
    ],
    [
      'alpha without leakyRelu/elu',
      (s) => {
        s.layers[7]!.alpha = 0.1;
        return s;
      },
      'layers[7].alpha',
      /only to a leakyRelu or elu/,
    ],
    [
      'negative alpha',
      (s) => {
        s.layers[1] = { type: 'leakyRelu', alpha: -1 };
        return s;
      },
      'layers[1].alpha',
      />= 0/,
    ],
    [
      'unknown init',
      (s) => {
        s.layers[0]!.init = 'orthogonal';
        return s;
      },
      'layers[0].init',
      /unknown initialiser/,
    ],
    [
      'useBias not boolean',
      (s) => {
        s.layers[0]!.useBias = 'yes';
        return s;
      },
      'layers[0].useBias',
      /true or false/,
    ],
    ['empty layer list', () => ({ input: [1, 28, 28], layers: [] }), 'layers', /non-empty list/],
    ['layers not a list', () => ({ input: [1, 28, 28], layers: {} }), 'layers', /non-empty list/],
    [
      'a layer that is not an object',
      (s) => {
        (s.layers as unknown[])[2] = 'relu';
        return s;
      },
      'layers[2]',
      /must be an object/,
    ],
    ['input of rank 2', (s) => ({ ...s, input: [28, 28] }), 'input', /\[channels, height, width\]/],
    ['zero input height', (s) => ({ ...s, input: [1, 0, 28] }), 'input[1]', /positive integer, got 0/],
    ['infinite input width', (s) => ({ ...s, input: [1, 28, Infinity] }), 'input[2]', /positive integer/],
    ['spec not an object', () => null, 'spec', /must be an object/],
    ['unknown top-level field', (s) => ({ ...s, preset: 'lenet5' }), 'preset', /unknown field/],
    ['ends in an image', (s) => ({ input: s.input, layers: s.layers.slice(0, 3) }), 'layers', /last layer outputs \[6, 14, 14\]/],
  ];

  it.each(cases)('%s', (_name, mutate, field, message) => {
    expectSpecError(() => describe(mutate(ok())), field, message);
  });

  it('accepts every preset unchanged', () => {
    expect(() => describe(ok())).not.toThrow();
  });
});

suite('describe.ts stays importable by the server', () => {
  it('imports only pure spec files: spec.ts, shape.ts, spec-fields.ts, resolve-layer.ts, resolve-residual.ts, memory.ts, kernel-bytes.ts, fuse.ts', async () => {
    const { readFile } = await import('node:fs/promises');
    const seen = new Set<string>();
    const visit = async (file: string): Promise<void> => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = await readFile(new URL(`../../src/engine/${file}`, import.meta.url), 'utf8');
      for (const [, from] of src.matchAll(/from '([^']+)'/g)) {
        expect(from!.startsWith('./'), `${file} imports ${from}`).toBe(true);
        await visit(from!.slice(2).replace(/\.js$/, '.ts'));
      }
    };
    await visit('describe.ts');
    expect([...seen].sort()).toEqual([
      'describe.ts',
      'fuse.ts',
      'kernel-bytes.ts',
      'memory.ts',
      'resolve-layer.ts',
      'resolve-residual.ts',
      'shape.ts',
      'spec-fields.ts',
      'spec.ts',
    ]);
  });
});
