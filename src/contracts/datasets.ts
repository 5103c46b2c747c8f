// Uploaded datasets: POST /v1/datasets and friends. Stored in Redis (`convoy:dataset:{id}`) so that
// every worker machine reads the same bytes (src/store/datasets.ts).
import Type, { type Static } from 'typebox';
import { IdSchema, ImageShapeSchema, TimestampSchema } from './common.js';
import { LIMITS } from './limits.js';
import { TenantSchema } from './auth.js';

/** `inline`: the samples of a job submission, stored once per tenant and content (src/store/datasets.ts). */
export const DATASET_FORMATS = ['idx', 'csv', 'inline'] as const;

export const DatasetInfoSchema = Type.Object({
  id: IdSchema,
  tenant: TenantSchema,
  name: Type.Union([Type.String(), Type.Null()]),
  format: Type.Enum([...DATASET_FORMATS]),
  count: Type.Integer({ minimum: 1 }),
  shape: ImageShapeSchema,
  classes: Type.Integer({ minimum: 1, maximum: LIMITS.classes }),
  bytes: Type.Integer({ minimum: 0, description: 'stored size' }),
  createdAt: TimestampSchema,
});
export type DatasetInfo = Static<typeof DatasetInfoSchema>;

export const DatasetListSchema = Type.Object({
  items: Type.Array(DatasetInfoSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const DatasetUploadQuerySchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.nameLength })),
    shape: Type.Optional(
      Type.String({
        pattern: '^[0-9]+,[0-9]+,[0-9]+$',
        description: 'CSV only: c,h,w of each row (default 1,s,s where s*s = pixels per row)',
      }),
    ),
  },
  { additionalProperties: false },
);
