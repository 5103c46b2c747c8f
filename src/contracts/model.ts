// The model spec over HTTP: a JSON Schema mirror of src/engine/spec.ts.
//
// Contracts never import the engine at runtime. test/contracts/spec-types.test.ts asserts that
// Static<typeof ModelSpecSchema> and the engine's ModelSpec are mutually assignable, so a field
// added on one side only fails the type check.
//
// The layer list is a `oneOf` with a `discriminator` on `type` (Ajv and OpenAPI 3.1 both read it),
// so a bad layer is reported by its own branch (`/model/layers/3/kernelSize must be <= 64`).
// A residual block holds a layer list of its own, so LayerSpec is recursive: the schema carries
// `$id: LayerSpec` and the block's `layers` items `$ref` it (`/model/layers/5/layers/1/filters`).
// (openapi.yaml lifts it into components/schemas/LayerSpec: src/server/openapi.ts.)
import Type, { type Static, type TSchema } from 'typebox';
import { LIMITS } from './limits.js';

export const ACTIVATION_NAMES = ['relu', 'leakyRelu', 'elu', 'sigmoid', 'tanh'] as const;
export const ActivationNameSchema = Type.Enum([...ACTIVATION_NAMES], {
  description: 'element-wise activation',
});
export type ActivationName = Static<typeof ActivationNameSchema>;

export const INIT_NAMES = ['heNormal', 'heUniform', 'glorotNormal', 'glorotUniform'] as const;
export const InitNameSchema = Type.Enum([...INIT_NAMES], {
  description: 'weight initialiser; default He normal before a relu-family activation, Glorot uniform otherwise',
});
export type InitName = Static<typeof InitNameSchema>;

const Dim = (max: number, description?: string) => Type.Integer({ minimum: 1, maximum: max, ...(description ? { description } : {}) });

export const Size2Schema = Type.Union([Dim(LIMITS.kernelSize), Type.Tuple([Dim(LIMITS.kernelSize), Dim(LIMITS.kernelSize)])], {
  description: 'n means [n, n]; [h, w] otherwise',
});

export const PaddingSchema = Type.Union([Type.Enum(['valid', 'same']), Type.Integer({ minimum: 0, maximum: LIMITS.padding })], {
  description: "'valid' = none, 'same' = output is ceil(input / stride), n = n zeros on every side",
});

const Alpha = Type.Number({
  minimum: 0,
  maximum: 100,
  description: 'leakyRelu slope (default 0.01) or elu alpha (default 1)',
});

export const Conv2dSpecSchema = Type.Object(
  {
    type: Type.Literal('conv2d'),
    filters: Dim(LIMITS.filters),
    kernelSize: Size2Schema,
    stride: Type.Optional(Size2Schema),
    padding: Type.Optional(PaddingSchema),
    useBias: Type.Optional(Type.Boolean()),
    activation: Type.Optional(ActivationNameSchema),
    alpha: Type.Optional(Alpha),
    init: Type.Optional(InitNameSchema),
  },
  { additionalProperties: false },
);

export const Pool2dSpecSchema = Type.Object(
  {
    type: Type.Enum(['maxPool2d', 'avgPool2d']),
    poolSize: Size2Schema,
    stride: Type.Optional(Size2Schema),
    padding: Type.Optional(PaddingSchema),
  },
  { additionalProperties: false },
);

export const DenseSpecSchema = Type.Object(
  {
    type: Type.Literal('dense'),
    units: Dim(LIMITS.units),
    useBias: Type.Optional(Type.Boolean()),
    activation: Type.Optional(ActivationNameSchema),
    alpha: Type.Optional(Alpha),
    init: Type.Optional(InitNameSchema),
  },
  { additionalProperties: false },
);

export const FlattenSpecSchema = Type.Object({ type: Type.Literal('flatten') }, { additionalProperties: false });

export const DropoutSpecSchema = Type.Object(
  {
    type: Type.Literal('dropout'),
    rate: Type.Number({ minimum: 0, exclusiveMaximum: 1, description: 'probability of zeroing, in [0, 1)' }),
  },
  { additionalProperties: false },
);

export const ActivationSpecSchema = Type.Object(
  { type: ActivationNameSchema, alpha: Type.Optional(Alpha) },
  { additionalProperties: false },
);

export const BatchNormSpecSchema = Type.Object(
  {
    type: Type.Enum(['batchNorm2d', 'batchNorm1d'], { description: 'batchNorm2d on [C, H, W], batchNorm1d on flat [F]' }),
    momentum: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: 'running = (1 - momentum) running + momentum * batch statistic; default 0.1' }),
    ),
    eps: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'added to the variance; default 1e-5' })),
  },
  { additionalProperties: false },
);

export const GlobalAvgPool2dSpecSchema = Type.Object(
  { type: Type.Literal('globalAvgPool2d', { description: 'the mean of each channel: [C, H, W] -> [C]' }) },
  { additionalProperties: false },
);

export const Dropout2dSpecSchema = Type.Object(
  {
    type: Type.Literal('dropout2d'),
    rate: Type.Number({ minimum: 0, exclusiveMaximum: 1, description: 'probability of zeroing a whole channel, in [0, 1)' }),
  },
  { additionalProperties: false },
);

export const ShortcutSpecSchema = Type.Object(
  {
    stride: Type.Optional(Size2Schema),
    useBias: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, description: "a 1x1 conv2d with this stride to the block's output channels; default: the identity" },
);

/** Not exported alone: its `$ref` resolves only inside LayerSpecSchema. */
const ResidualSpecSchema = Type.Object(
  {
    type: Type.Literal('residual'),
    layers: Type.Array(Type.Ref('LayerSpec'), {
      minItems: 1,
      maxItems: LIMITS.layers,
      description: 'the block: output = layers(x) + shortcut(x)',
    }),
    shortcut: Type.Optional(ShortcutSpecSchema),
  },
  { additionalProperties: false },
);

const layerUnion = Type.Union([
  Conv2dSpecSchema,
  Pool2dSpecSchema,
  DenseSpecSchema,
  FlattenSpecSchema,
  DropoutSpecSchema,
  ActivationSpecSchema,
  BatchNormSpecSchema,
  GlobalAvgPool2dSpecSchema,
  Dropout2dSpecSchema,
  ResidualSpecSchema,
]);

/** The layer forms by name: openapi.yaml makes each a component the discriminator's mapping names. */
export const LAYER_FORMS = {
  Conv2dSpec: Conv2dSpecSchema,
  Pool2dSpec: Pool2dSpecSchema,
  DenseSpec: DenseSpecSchema,
  FlattenSpec: FlattenSpecSchema,
  DropoutSpec: DropoutSpecSchema,
  ActivationSpec: ActivationSpecSchema,
  BatchNormSpec: BatchNormSpecSchema,
  GlobalAvgPool2dSpec: GlobalAvgPool2dSpecSchema,
  Dropout2dSpec: Dropout2dSpecSchema,
  ResidualSpec: ResidualSpecSchema,
} as const;

/**
 * A `oneOf` + `discriminator` on `type`, typed as the union. Ajv (with `discriminator: true`) and
 * OpenAPI 3.1 tools both pick the branch by `type`, so errors name the right layer fields.
 */
export function discriminated<T extends TSchema>(union: T & { anyOf: TSchema[] }, tag: string, description?: string) {
  return Type.Unsafe<Static<T>>({
    type: 'object',
    required: [tag],
    properties: { [tag]: { type: 'string' } },
    discriminator: { propertyName: tag },
    oneOf: union.anyOf,
    ...(description ? { description } : {}),
  });
}

/** The layer union closed over itself (a residual block's `layers` are LayerSpecs): its static type. */
const layerCycle = Type.Cyclic({ LayerSpec: layerUnion }, 'LayerSpec');

/** One layer, recursive: the discriminated union with `$id` LayerSpec, which residual blocks' `layers` `$ref`. */
export const LayerSpecSchema = Type.Unsafe<Static<typeof layerCycle>>({
  ...discriminated(layerUnion, 'type', 'one layer; `type` picks the kind'),
  $id: 'LayerSpec',
});
export type LayerSpec = Static<typeof LayerSpecSchema>;

export const InputShapeSchema = Type.Tuple([Dim(LIMITS.channels, 'channels'), Dim(LIMITS.side, 'height'), Dim(LIMITS.side, 'width')], {
  description: '[channels, height, width]',
});

export const ModelSpecSchema = Type.Object(
  {
    input: InputShapeSchema,
    layers: Type.Array(LayerSpecSchema, { minItems: 1, maxItems: LIMITS.layers }),
  },
  { additionalProperties: false },
);
export type ModelSpec = Static<typeof ModelSpecSchema>;

export const PRESET_NAMES = ['lenet5', 'fashion-cnn', 'fashion-resnet'] as const;
export const PresetNameSchema = Type.Enum([...PRESET_NAMES]);
export type PresetName = Static<typeof PresetNameSchema>;

export const PresetModelSchema = Type.Object({ preset: PresetNameSchema }, { additionalProperties: false });

/** `model` in a submission: a full spec or a preset name (resolved to a full spec on submit). */
export const ModelInputSchema = Type.Union([ModelSpecSchema, PresetModelSchema]);
export type ModelInput = Static<typeof ModelInputSchema>;
