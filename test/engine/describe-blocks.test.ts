// describe() for batch norm, global average pooling, channel dropout and residual blocks: shapes,
// parameters (buffers listed as tensors but not counted), FLOPs, nested descriptions and tensor
// names, the default initialisers inside blocks, and errors naming the nested field.
import { describe as suite, expect, it } from 'vitest';
import { describe, resolveSpec } from '../../src/engine/describe.js';
import { expectSpecError } from '../helpers/spec-error.js';
import { PRESETS } from '../../src/engine/presets.js';
import type { LayerSpec, ModelSpec } from '../../src/engine/spec.js';

const conv = (filters: number, o: Record<string, unknown> = {}): LayerSpec => ({
  type: 'conv2d',
  filters,
  kernelSize: 3,
  padding: 1,
  ...o,
});
const bn: LayerSpec = { type: 'batchNorm2d' };

suite('describe: new layers', () => {
  it('batchNorm2d: shape kept, 2C parameters, 4 tensors (running statistics are buffers), 2 FLOPs per element', () => {
    const d = describe({ input: [3, 4, 5], layers: [bn, { type: 'flatten' }] });
    expect(d.layers[0]).toEqual({
      index: 0,
      type: 'batchNorm2d',
      outputShape: [3, 4, 5],
      params: 6,
      flops: 120,
      tensors: [
        { name: 'layers.0.weight', shape: [3] },
        { name: 'layers.0.bias', shape: [3] },
        { name: 'layers.0.running_mean', shape: [3] },
        { name: 'layers.0.running_var', shape: [3] },
      ],
    });
    expect(d.params).toBe(6);
  });

  it('batchNorm1d on a flat input; defaults momentum 0.1 and eps 1e-5 as PyTorch', () => {
    const r = resolveSpec({ input: [2, 3, 3], layers: [{ type: 'flatten' }, { type: 'batchNorm1d' }] });
    expect(r.layers[1]).toMatchObject({ type: 'batchNorm1d', outShape: [18], params: 36, flops: 36, momentum: 0.1, eps: 1e-5 });
    const custom = resolveSpec({ input: [2, 3, 3], layers: [{ type: 'flatten' }, { type: 'batchNorm1d', momentum: 0, eps: 0.5 }] });
    expect(custom.layers[1]).toMatchObject({ momentum: 0, eps: 0.5 });
  });

  it('globalAvgPool2d: [C, H, W] -> [C], 1 FLOP per input, no tensors', () => {
    const d = describe({ input: [5, 6, 7], layers: [{ type: 'globalAvgPool2d' }] });
    expect(d.layers[0]).toMatchObject({ outputShape: [5], params: 0, flops: 210, tensors: [] });
    expect(d.outputShape).toEqual([5]);
  });

  it('dropout2d: shape kept, nothing to count', () => {
    const d = describe({ input: [4, 3, 3], layers: [{ type: 'dropout2d', rate: 0.2 }, { type: 'flatten' }] });
    expect(d.layers[0]).toMatchObject({ outputShape: [4, 3, 3], params: 0, flops: 0, tensors: [] });
  });
});

suite('describe: residual blocks', () => {
  const block: ModelSpec = {
    input: [4, 8, 8],
    layers: [
      {
        type: 'residual',
        layers: [conv(6, { stride: 2, useBias: false }), bn, { type: 'relu' }, conv(6)],
        shortcut: { stride: 2 },
      },
      { type: 'relu' },
      { type: 'residual', layers: [conv(6)] },
      { type: 'globalAvgPool2d' },
    ],
  };

  it('sums its layers, its shortcut and the addition; names nested tensors as PyTorch would', () => {
    const d = describe(block);
    const [first, , second] = d.layers;
    const conv1 = 2 * 6 * 16 * 4 * 9; // no bias
    const norm = 2 * 96;
    const conv2 = 2 * 6 * 16 * 6 * 9 + 96;
    const shortcut = 2 * 6 * 16 * 4 + 96;
    expect(first).toMatchObject({ type: 'residual', outputShape: [6, 4, 4], params: 216 + 12 + 330 + 30 });
    expect(first!.flops).toBe(conv1 + norm + 96 + conv2 + shortcut + 96);
    expect(first!.tensors).toEqual([
      { name: 'layers.0.layers.0.weight', shape: [6, 4, 3, 3] },
      { name: 'layers.0.layers.1.weight', shape: [6] },
      { name: 'layers.0.layers.1.bias', shape: [6] },
      { name: 'layers.0.layers.1.running_mean', shape: [6] },
      { name: 'layers.0.layers.1.running_var', shape: [6] },
      { name: 'layers.0.layers.3.weight', shape: [6, 6, 3, 3] },
      { name: 'layers.0.layers.3.bias', shape: [6] },
      { name: 'layers.0.shortcut.weight', shape: [6, 4, 1, 1] },
      { name: 'layers.0.shortcut.bias', shape: [6] },
    ]);
    // the nested descriptions: shapes inside the block, and the shortcut on its own
    expect(first!.layers!.map((l) => [l.index, l.type, l.outputShape])).toEqual([
      [0, 'conv2d', [6, 4, 4]],
      [1, 'batchNorm2d', [6, 4, 4]],
      [2, 'relu', [6, 4, 4]],
      [3, 'conv2d', [6, 4, 4]],
    ]);
    expect(first!.layers![1]!.tensors[0]).toEqual({ name: 'layers.0.layers.1.weight', shape: [6] });
    expect(first!.shortcut).toMatchObject({ type: 'conv2d', outputShape: [6, 4, 4], params: 30, flops: shortcut });
    expect(second).toMatchObject({ outputShape: [6, 4, 4], params: 330 });
    expect(second!.shortcut).toBeUndefined();
    expect(d.params).toBe(first!.params + second!.params);
  });

  it('blocks nest: names and paths go one level deeper', () => {
    const nested = resolveSpec({
      input: [2, 4, 4],
      layers: [{ type: 'flatten' }, { type: 'residual', layers: [{ type: 'residual', layers: [{ type: 'dropout', rate: 0.5 }] }] }],
    });
    const outer = nested.layers[1]!;
    if (outer.type !== 'residual') throw new Error('expected a residual block');
    const inner = outer.layers[0]!;
    if (inner.type !== 'residual') throw new Error('expected a nested residual block');
    expect([outer.path, inner.path, inner.layers[0]!.path]).toEqual([[1], [1, 0], [1, 0, 0]]);
    const withConv = describe({
      input: [2, 4, 4],
      layers: [{ type: 'residual', layers: [{ type: 'residual', layers: [conv(2)] }] }, { type: 'flatten' }],
    });
    expect(withConv.layers[0]!.tensors.map((t) => t.name)).toEqual([
      'layers.0.layers.0.layers.0.weight',
      'layers.0.layers.0.layers.0.bias',
    ]);
  });

  it('fashion-resnet: 381,866 parameters, shapes 28 -> 14 -> 7 -> 4, ~28 MFLOP', () => {
    const d = describe(PRESETS['fashion-resnet']);
    expect(d.layers.map((l) => [l.type, l.outputShape])).toEqual([
      ['conv2d', [32, 28, 28]],
      ['batchNorm2d', [32, 28, 28]],
      ['relu', [32, 28, 28]],
      ['maxPool2d', [32, 14, 14]],
      ['residual', [32, 14, 14]],
      ['relu', [32, 14, 14]],
      ['residual', [64, 7, 7]],
      ['relu', [64, 7, 7]],
      ['residual', [64, 7, 7]],
      ['relu', [64, 7, 7]],
      ['residual', [128, 4, 4]],
      ['relu', [128, 4, 4]],
      ['globalAvgPool2d', [128]],
      ['dense', [10]],
    ]);
    expect(d.layers.map((l) => l.params)).toEqual([288, 64, 0, 0, 18_560, 0, 57_664, 0, 73_984, 0, 230_016, 0, 0, 1290]);
    expect(d.params).toBe(381_866);
    expect(d.layers[6]!.shortcut).toMatchObject({ outputShape: [64, 7, 7], params: 64 * 32 + 64 });
    expect(d.flops).toBeGreaterThan(28.0e6);
    expect(d.flops).toBeLessThan(28.2e6);
  });

  it('default initialisers inside blocks: He normal before batch norm + relu, and when the block is followed by a relu', () => {
    const r = resolveSpec(PRESETS['fashion-resnet']);
    const block = r.layers[6]!;
    if (block.type !== 'residual') throw new Error('expected a residual block');
    const inits = block.layers.flatMap((l) => (l.type === 'conv2d' ? [l.init] : []));
    expect(inits).toEqual(['heNormal', 'heNormal']); // conv -> BN -> relu; conv -> BN -> (block) -> relu
    expect(block.shortcut?.init).toBe('heNormal');
    const linear = resolveSpec({ input: [2, 4, 4], layers: [{ type: 'residual', layers: [conv(2), bn] }, { type: 'flatten' }] });
    const inner = linear.layers[0]!;
    expect(inner.type === 'residual' && inner.layers[0]!.type === 'conv2d' && inner.layers[0]!.init).toBe('glorotUniform');
  });
});

suite('describe rejects impossible blocks, naming the nested field', () => {
  const base = (): ModelSpec => structuredClone(PRESETS['fashion-resnet']) as ModelSpec;
  type Case = [name: string, spec: () => unknown, field: string, message: RegExp];
  const at6 = (change: (block: Record<string, unknown>) => void) => () => {
    const s = base();
    change(s.layers[6] as unknown as Record<string, unknown>);
    return s;
  };
  const cases: Case[] = [
    [
      'a bad field of a layer inside a block',
      at6((b) => {
        (b.layers as Record<string, unknown>[])[3]!.filters = 0;
      }),
      'layers[6].layers[3].filters',
      /positive integer, got 0/,
    ],
    [
      'unknown field inside a block',
      at6((b) => {
        (b.layers as Record<string, unknown>[])[1]!.affine = false;
      }),
      'layers[6].layers[1].affine',
      /unknown field for batchNorm2d/,
    ],
    [
      'shape changes without a shortcut',
      at6((b) => delete b.shortcut),
      'layers[6].shortcut',
      /is needed: .* \[32, 14, 14\] into \[64, 7, 7\]/,
    ],
    [
      'a shortcut stride that does not match',
      at6((b) => (b.shortcut = { stride: 1 })),
      'layers[6].shortcut.stride',
      /\[64, 14, 14\], but .* \[64, 7, 7\]/,
    ],
    ['a shortcut without the needed stride', at6((b) => (b.shortcut = {})), 'layers[6].shortcut', /stride \[1, 1\] turns/],
    ['a shortcut stride of 0', at6((b) => (b.shortcut = { stride: 0 })), 'layers[6].shortcut.stride', /positive integer/],
    ['a shortcut with a kernel', at6((b) => (b.shortcut = { stride: 2, kernelSize: 3 })), 'layers[6].shortcut.kernelSize', /unknown field/],
    ['a shortcut that is not an object', at6((b) => (b.shortcut = 2)), 'layers[6].shortcut', /must be an object/],
    [
      'useBias not boolean in a shortcut',
      at6((b) => (b.shortcut = { stride: 2, useBias: 1 })),
      'layers[6].shortcut.useBias',
      /true or false/,
    ],
    ['an empty block', at6((b) => (b.layers = [])), 'layers[6].layers', /non-empty list/],
    [
      'a block nested in a block',
      () => ({
        input: [1, 6, 6],
        layers: [
          { type: 'residual', layers: [{ type: 'residual', layers: [{ type: 'conv2d', filters: 1, kernelSize: 9 }] }] },
          { type: 'flatten' },
        ],
      }),
      'layers[0].layers[0].layers[0].kernelSize',
      /9 exceeds input height 6/,
    ],
    [
      'a shortcut after a block that flattens',
      () => ({ input: [1, 4, 4], layers: [{ type: 'residual', layers: [{ type: 'flatten' }], shortcut: {} }] }),
      'layers[0].shortcut',
      /must output \[C, H, W\]/,
    ],
    [
      'batchNorm2d on a flat input',
      () => ({ input: [1, 4, 4], layers: [{ type: 'flatten' }, bn] }),
      'layers[1]',
      /batchNorm2d needs a \[C, H, W\] input/,
    ],
    [
      'batchNorm1d on an image',
      () => ({ input: [1, 4, 4], layers: [{ type: 'batchNorm1d' }, { type: 'flatten' }] }),
      'layers[0]',
      /use batchNorm2d/,
    ],
    [
      'momentum above 1',
      () => ({ input: [1, 4, 4], layers: [{ type: 'batchNorm2d', momentum: 1.5 }, { type: 'flatten' }] }),
      'layers[0].momentum',
      /\[0, 1\]/,
    ],
    [
      'eps 0',
      () => ({ input: [1, 4, 4], layers: [{ type: 'batchNorm2d', eps: 0 }, { type: 'flatten' }] }),
      'layers[0].eps',
      /must be a number in/,
    ],
    [
      'globalAvgPool2d on a flat input',
      () => ({ input: [1, 4, 4], layers: [{ type: 'flatten' }, { type: 'globalAvgPool2d' }] }),
      'layers[1]',
      /\[C, H, W\]/,
    ],
    [
      'dropout2d rate 1',
      () => ({ input: [1, 4, 4], layers: [{ type: 'dropout2d', rate: 1 }, { type: 'flatten' }] }),
      'layers[0].rate',
      /\[0, 1\)/,
    ],
    [
      'dropout2d on a flat input',
      () => ({ input: [1, 4, 4], layers: [{ type: 'flatten' }, { type: 'dropout2d', rate: 0.1 }] }),
      'layers[1]',
      /\[C, H, W\]/,
    ],
  ];

  it.each(cases)('%s', (_name, spec, field, message) => {
    expectSpecError(() => describe(spec()), field, message);
  });
});
