// The recursive layer schema over HTTP: residual blocks, batch norm and global average pooling
// validate; a bad field inside a block is named by its nested path, by the schema (Ajv) and by the
// engine's shape checks alike; batch norm's running statistics are tensors a warm start names;
// training.labelSmoothing and training.augment are part of the submission.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, tinyJob, type TestApp } from './helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t?.close();
});

const validate = (body: unknown) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/jobs/validate',
    payload: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });

const block = (layers: unknown[], shortcut?: unknown) => ({ type: 'residual', layers, ...(shortcut ? { shortcut } : {}) });
const model = (layers: unknown[]) => ({ input: [1, 4, 4], layers });
const good = model([
  { type: 'conv2d', filters: 3, kernelSize: 3, padding: 1, useBias: false },
  { type: 'batchNorm2d' },
  block(
    [
      { type: 'conv2d', filters: 4, kernelSize: 3, stride: 2, padding: 1 },
      { type: 'batchNorm2d', momentum: 0.2 },
    ],
    { stride: 2 },
  ),
  { type: 'relu' },
  { type: 'globalAvgPool2d' },
  { type: 'dense', units: 2 },
]);

describe('residual blocks and batch norm over HTTP', () => {
  it('validates a residual network with batch norm, label smoothing and augmentation', async () => {
    const res = await validate(
      tinyJob({
        model: good,
        training: {
          epochs: 1,
          batchSize: 4,
          optimizer: { type: 'adam', learningRate: 0.001 },
          labelSmoothing: 0.1,
          augment: { randomCrop: { padding: 1 }, horizontalFlip: true, randomErasing: { probability: 0.5, scale: [0.02, 0.2] } },
        },
      }),
    );
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(report.valid).toBe(true);
    expect(report.model.layers.map((l: { type: string; outputShape: number[] }) => [l.type, l.outputShape])).toEqual([
      ['conv2d', [3, 4, 4]],
      ['batchNorm2d', [3, 4, 4]],
      ['residual', [4, 2, 2]],
      ['relu', [4, 2, 2]],
      ['globalAvgPool2d', [4]],
      ['dense', [2]],
    ]);
    expect(report.model.params).toBe(27 + 6 + (108 + 4) + 8 + (12 + 4) + 10);
  });

  it('names a bad field inside a block: the schema, then the engine', async () => {
    const zero = await validate(tinyJob({ model: model([block([{ type: 'conv2d', filters: 0, kernelSize: 1 }]), { type: 'flatten' }]) }));
    expect(zero.statusCode).toBe(400);
    expect(zero.json()).toMatchObject({ field: '/model/layers/0/layers/0/filters' });
    const deep = await validate(tinyJob({ model: model([block([block([{ type: 'dropout2d', rate: 2 }])]), { type: 'flatten' }]) }));
    expect(deep.json()).toMatchObject({ status: 400, field: '/model/layers/0/layers/0/layers/0/rate' });
    const noShortcut = await validate(
      tinyJob({ model: model([block([{ type: 'conv2d', filters: 2, kernelSize: 3, stride: 2, padding: 1 }]), { type: 'flatten' }]) }),
    );
    expect(noShortcut.json()).toMatchObject({ status: 400, field: '/model/layers/0/shortcut', detail: expect.stringMatching(/is needed/) });
    const stride = await validate(
      tinyJob({
        model: model([block([{ type: 'conv2d', filters: 2, kernelSize: 3, stride: 2, padding: 1 }], { stride: 1 }), { type: 'flatten' }]),
      }),
    );
    expect(stride.json()).toMatchObject({ status: 400, field: '/model/layers/0/shortcut/stride' });
  });

  it('checks warm-start tensors against the nested names, running statistics included', async () => {
    const tensor = (name: string, shape: number[]) => ({ name, shape, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(0) });
    const ok = await validate(
      tinyJob({
        model: good,
        initialWeights: { tensors: [tensor('layers.2.layers.1.running_var', [4]), tensor('layers.2.shortcut.weight', [4, 3, 1, 1])] },
      }),
    );
    expect(ok.statusCode, ok.body).toBe(200);
    const wrong = await validate(tinyJob({ model: good, initialWeights: { tensors: [tensor('layers.2.layers.1.running_var', [3])] } }));
    expect(wrong.json()).toMatchObject({ status: 400, field: '/initialWeights/tensors/0/shape' });
    const unknown = await validate(tinyJob({ model: good, initialWeights: { tensors: [tensor('layers.0.running_mean', [3])] } }));
    expect(unknown.json()).toMatchObject({ status: 400, field: '/initialWeights/tensors/0/name' });
    const badName = await validate(tinyJob({ model: good, initialWeights: { tensors: [tensor('layers.2.blocks.0.weight', [1])] } }));
    expect(badName.json()).toMatchObject({ status: 400, field: '/initialWeights/tensors/0/name' });
  });

  it('rejects bad augmentation and label smoothing, naming the field', async () => {
    const training = { epochs: 1, batchSize: 4, optimizer: { type: 'sgd', learningRate: 0.1 } };
    const crop = await validate(tinyJob({ training: { ...training, augment: { randomCrop: { padding: 0 } } } }));
    expect(crop.json()).toMatchObject({ status: 400, field: '/training/augment/randomCrop/padding' });
    const extra = await validate(tinyJob({ training: { ...training, augment: { rotate: 10 } } }));
    expect(extra.json()).toMatchObject({ status: 400, field: '/training/augment/rotate' });
    const smoothing = await validate(tinyJob({ training: { ...training, labelSmoothing: 1 } }));
    expect(smoothing.json()).toMatchObject({ status: 400, field: '/training/labelSmoothing' });
    const mse = await validate(tinyJob({ training: { ...training, loss: 'mse', labelSmoothing: 0.1 } }));
    expect(mse.json()).toMatchObject({ status: 400, field: '/training/labelSmoothing', detail: expect.stringMatching(/cross-entropy/) });
    for (const [key, range] of [
      ['scale', [0.3, 0.1]],
      ['ratio', [2, 0.5]],
    ] as const) {
      const erasing = await validate(tinyJob({ training: { ...training, augment: { randomErasing: { [key]: range } } } }));
      expect(erasing.json()).toMatchObject({ status: 400, field: `/training/augment/randomErasing/${key}` });
    }
  });
});
