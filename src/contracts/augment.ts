// training.augment: the engine's AugmentSpec (src/engine/augment.ts), torchvision's semantics.
// test/contracts/spec-types.check.ts holds the two types equal, field for field.
import Type, { type Static } from 'typebox';
import { LIMITS } from './limits.js';

const Fraction = Type.Number({ exclusiveMinimum: 0, maximum: 1 });
const Ratio = Type.Number({ exclusiveMinimum: 0, maximum: 100 });

export const AugmentSchema = Type.Object(
  {
    randomCrop: Type.Optional(
      Type.Object(
        { padding: Type.Integer({ minimum: 1, maximum: LIMITS.padding, description: 'zeros added on every side before the crop' }) },
        { additionalProperties: false, description: 'pad, then cut a window of the image size at a random offset' },
      ),
    ),
    horizontalFlip: Type.Optional(Type.Boolean({ description: 'mirror left-right with probability 0.5' })),
    randomErasing: Type.Optional(
      Type.Object(
        {
          probability: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'default 0.5' })),
          scale: Type.Optional(
            Type.Tuple([Fraction, Fraction], { description: "[min, max] fraction of the image's area; default [0.02, 0.33]" }),
          ),
          ratio: Type.Optional(Type.Tuple([Ratio, Ratio], { description: '[min, max] aspect ratio h / w; default [0.3, 3.3]' })),
          value: Type.Optional(Type.Number({ minimum: -LIMITS.pixel, maximum: LIMITS.pixel, description: 'default 0' })),
        },
        { additionalProperties: false, description: 'set a random rectangle to `value` (PyTorch RandomErasing)' },
      ),
    ),
  },
  {
    additionalProperties: false,
    description:
      "random transformations of each training image, in this order: crop, flip, erasing; drawn from (seed, epoch, the sample's index), so a job's batches are the same on any worker, any thread count and after a resume",
  },
);
export type Augment = Static<typeof AugmentSchema>;
