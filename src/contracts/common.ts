// Small shapes shared by several contracts.
import Type, { type Static } from 'typebox';
import { LIMITS } from './limits.js';

/** Job and dataset ids: URL-safe, no `:` (Redis keys and BullMQ job ids embed them). */
export const IdSchema = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', maxLength: LIMITS.idLength });
export const IdParamsSchema = Type.Object({ id: IdSchema }, { additionalProperties: false });

/** ISO 8601 timestamp (UTC). */
export const TimestampSchema = Type.String({ format: 'date-time' });
export const NullableTimestampSchema = Type.Union([TimestampSchema, Type.Null()]);

export const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

export const ShapeSchema = Type.Array(Type.Integer({ minimum: 0 }), { maxItems: 8 });

export const ImageShapeSchema = Type.Tuple(
  [
    Type.Integer({ minimum: 1, maximum: LIMITS.channels }),
    Type.Integer({ minimum: 1, maximum: LIMITS.side }),
    Type.Integer({ minimum: 1, maximum: LIMITS.side }),
  ],
  { description: '[channels, height, width]' },
);
export type ImageShape = Static<typeof ImageShapeSchema>;

export const PaginationQuerySchema = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);
