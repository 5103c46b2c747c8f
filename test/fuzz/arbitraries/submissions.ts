// Generators of POST /v1/jobs bodies: the examples and presets as sent, random model specs (layer
// lists of every kind with random parameters, residual blocks nested), and mutations of all of them.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { ACTIVATION_NAMES, INIT_NAMES, PRESET_NAMES } from '../../../src/contracts/index.js';
import { tinyJob } from '../../api/helpers.js';
import { encode, encoding, mutate, mutation, shown } from './values.js';

const example = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../../examples/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;

const training = { epochs: 1, batchSize: 8, optimizer: { type: 'adam', learningRate: 0.001 } };
const float32Base64 = (n: number) => Buffer.from(new Float32Array(n).fill(0.25).buffer).toString('base64');
const tiny = tinyJob() as { dataset: { inline: { samples: number[][] } } };

/** Valid submissions the API accepts as they are. */
export const VALID_BODIES: Record<string, unknown>[] = [
  example('first-lenet'),
  example('fashion-cnn'),
  tinyJob(),
  // Warm-start tensors (as arrays and as base64) for tinyJob's dense layer, and an inline dataset of floats.
  tinyJob({
    initialWeights: {
      tensors: [
        { name: 'layers.1.weight', shape: [2, 16], data: new Array(32).fill(0.01) },
        { name: 'layers.1.bias', shape: [2], data: float32Base64(2) },
      ],
    },
  }),
  tinyJob({
    dataset: { inline: { ...tiny.dataset.inline, samples: tiny.dataset.inline.samples.map((s) => s.map((v) => v / 255 - 0.5)) } },
  }),
  tinyJob({ name: 'tagged', metadata: { team: 'vision', 'run/id': '42', 'a.b:c': '' } }),
  // The fuzz app allows webhooks to hooks.example.com only (WEBHOOK_ALLOWED_HOSTS).
  tinyJob({ webhook: { url: 'https://hooks.example.com/convoy' } }),
  ...PRESET_NAMES.map((preset) => ({ model: { preset }, dataset: { builtin: 'fashion-mnist', trainSize: 64 }, training })),
  {
    name: 'every-field',
    priority: 2000,
    model: {
      input: [1, 28, 28],
      layers: [
        {
          type: 'conv2d',
          filters: 4,
          kernelSize: [3, 3],
          stride: 1,
          padding: 'same',
          activation: 'leakyRelu',
          alpha: 0.1,
          init: 'heUniform',
        },
        { type: 'batchNorm2d', momentum: 0.1, eps: 1e-5 },
        { type: 'residual', layers: [{ type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same' }], shortcut: { stride: 1 } },
        { type: 'maxPool2d', poolSize: 2 },
        { type: 'dropout2d', rate: 0.1 },
        { type: 'flatten' },
        { type: 'dense', units: 10, useBias: true },
      ],
    },
    dataset: { builtin: 'mnist', trainSize: 100, testSize: 10, validationSplit: 0.1 },
    training: {
      epochs: 2,
      batchSize: 16,
      optimizer: { type: 'sgd', learningRate: 0.01, momentum: 0.9, nesterov: true, weightDecay: 0.0001 },
      loss: 'cross-entropy',
      labelSmoothing: 0.1,
      seed: 7,
      shuffle: false,
      schedule: { type: 'step', stepEpochs: 1, gamma: 0.5, warmupSteps: 10 },
      clipNorm: 1,
      microShardSize: 8,
    },
    stopping: { maxRuntimeSeconds: 60, targetAccuracy: 0.9, patience: 2 },
  },
];

// ---- random model specs ------------------------------------------------------------------------

const small = (max: number) => fc.integer({ min: 1, max });
const size2 = fc.oneof(small(7), fc.tuple(small(7), small(7)));
const padding = fc.oneof(fc.constantFrom('valid', 'same'), fc.integer({ min: 0, max: 4 }));
const activation = fc.constantFrom(...ACTIVATION_NAMES);
const rate = fc.double({ min: 0, max: 0.99, noNaN: true });

const { layer } = fc.letrec((tie) => ({
  layer: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record(
      {
        type: fc.constant('conv2d'),
        filters: small(16),
        kernelSize: size2,
        stride: size2,
        padding,
        useBias: fc.boolean(),
        activation,
        alpha: fc.double({ min: 0, max: 100, noNaN: true }),
        init: fc.constantFrom(...INIT_NAMES),
      },
      { requiredKeys: ['type', 'filters', 'kernelSize'] },
    ),
    fc.record(
      { type: fc.constantFrom('maxPool2d', 'avgPool2d'), poolSize: size2, stride: size2, padding },
      { requiredKeys: ['type', 'poolSize'] },
    ),
    fc.record({ type: fc.constant('dense'), units: small(64), useBias: fc.boolean(), activation }, { requiredKeys: ['type', 'units'] }),
    fc.constant({ type: 'flatten' }),
    fc.record({ type: fc.constantFrom('dropout', 'dropout2d'), rate }),
    fc.record({ type: activation, alpha: fc.double({ min: 0, max: 100, noNaN: true }) }, { requiredKeys: ['type'] }),
    fc.record(
      { type: fc.constantFrom('batchNorm2d', 'batchNorm1d'), momentum: fc.double({ min: 0, max: 1, noNaN: true }) },
      { requiredKeys: ['type'] },
    ),
    fc.constant({ type: 'globalAvgPool2d' }),
    fc.record(
      {
        type: fc.constant('residual'),
        layers: fc.array(tie('layer'), { minLength: 1, maxLength: 3 }),
        shortcut: fc.record({ stride: size2, useBias: fc.boolean() }, { requiredKeys: [] }),
      },
      { requiredKeys: ['type', 'layers'] },
    ),
  ),
}));

/** A model spec: mostly shapes of the builtin datasets, a classifier head half the time. */
export const modelSpec = fc
  .record({
    input: fc.oneof({ weight: 3, arbitrary: fc.constant([1, 28, 28]) }, fc.tuple(small(4), small(40), small(40))),
    layers: fc.array(layer, { minLength: 1, maxLength: 8 }),
    head: fc.boolean(),
  })
  .map(({ input, layers, head }) => ({
    input,
    layers: head ? [...layers, { type: 'flatten' }, { type: 'dense', units: 10 }] : layers,
  }));

/** A model at the schema's limits: quotas (parameters, FLOPs, memory), not crashes, must stop it. */
export const hugeModel = fc
  .record({
    input: fc.tuple(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 1024 }), fc.integer({ min: 1, max: 1024 })),
    filters: fc.integer({ min: 1, max: 4096 }),
    kernel: fc.integer({ min: 1, max: 64 }),
    units: fc.integer({ min: 1, max: 65_536 }),
    blocks: fc.integer({ min: 1, max: 256 }),
  })
  .map(({ input, filters, kernel, units, blocks }) => ({
    input,
    layers: [
      ...Array.from({ length: blocks }, () => ({ type: 'conv2d', filters, kernelSize: kernel, padding: 'same' })),
      { type: 'flatten' },
      { type: 'dense', units },
      { type: 'dense', units: 10 },
    ],
  }));

/** Residual blocks nested hundreds deep: recursion in the validator and the shape inference. */
export const deepResidual = fc.integer({ min: 50, max: 600 }).map((depth) => {
  let layers: unknown[] = [{ type: 'relu' }];
  for (let i = 0; i < depth; i++) layers = [{ type: 'residual', layers }];
  return { input: [1, 28, 28], layers: [...layers, { type: 'flatten' }, { type: 'dense', units: 10 }] };
});

/** Webhook URLs around the one allowed host: ports, credentials, IPs, encodings, other schemes. */
export const webhookUrl = fc.oneof(
  fc.constantFrom(
    'https://hooks.example.com/x',
    'https://hooks.example.com:99999/',
    'https://hooks.example.com:0/',
    'https://user:pass@hooks.example.com/',
    'https://HOOKS.EXAMPLE.COM./',
    'https://hooks.example.com%00.evil.test/',
    'https://hooks.example.com.evil.test/',
    'https://hööks.example.com/',
    'https://xn--hks-qoaa.example.com/',
    'http://127.0.0.1:6379/',
    'http://[::1]/',
    'http://0x7f.1/',
    'http://169.254.169.254/latest/meta-data',
    'https:///nohost',
    'https://',
    'ftp://hooks.example.com/',
    'javascript:alert(1)',
    `https://hooks.example.com/${'a'.repeat(2100)}`,
  ),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.string({ maxLength: 40 }).map((s) => `https://${s}`),
);

const withModel = (model: unknown) => ({ model, dataset: { builtin: 'fashion-mnist', trainSize: 64 }, training });

/** A submission document before any mutation. */
export const submissionDocument: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...VALID_BODIES) },
  { weight: 4, arbitrary: modelSpec.map(withModel) },
  { weight: 1, arbitrary: deepResidual.map(withModel) },
  { weight: 1, arbitrary: hugeModel.map(withModel) },
  { weight: 1, arbitrary: webhookUrl.map((url) => tinyJob({ webhook: { url } })) },
);

/** A body as sent: a document, zero to three mutations, and its encoding on the wire. */
export const submissionBody: fc.Arbitrary<{ body: string }> = fc
  .tuple(submissionDocument, fc.array(mutation, { maxLength: 3 }), encoding)
  .map(([doc, mutations, how]) => {
    const body = encode(mutate(doc, mutations), how);
    return shown({ body }, body);
  });
