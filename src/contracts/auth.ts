// Who may call what: API keys (a role and a tenant each), short-lived stream tokens for browsers'
// EventSource, and tenants with their quotas and usage. docs/api.md "Authentication" explains them.
import Type, { type Static } from 'typebox';
import { NullableTimestampSchema, TimestampSchema } from './common.js';
import { LIMITS } from './limits.js';

export const ROLES = ['admin', 'member'] as const;
export const RoleSchema = Type.Enum([...ROLES], { description: 'admin: every tenant and the key/tenant routes; member: its own tenant' });
export type Role = Static<typeof RoleSchema>;

/** Tenant names: lower-case, URL- and Redis-key-safe. */
export const TenantSchema = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'a tenant name: a-z, 0-9, _ and -' });
export const TenantParamsSchema = Type.Object({ tenant: TenantSchema }, { additionalProperties: false });

/** The tenant of the bootstrap admin key (and of jobs stored before tenants existed). */
export const DEFAULT_TENANT = 'default';

/** Every API key starts with this, so a leaked one is recognisable (secret scanners, logs). */
export const API_KEY_PREFIX = 'cvy_';
/** Stream tokens start with this; they are accepted only as `?token=` on the event routes. */
export const STREAM_TOKEN_PREFIX = 'cvyst_';

export const ApiKeyIdSchema = Type.String({ pattern: '^key_[A-Za-z0-9]{1,40}$' });
export const ApiKeyIdParamsSchema = Type.Object({ id: ApiKeyIdSchema }, { additionalProperties: false });

export const ApiKeyCreateSchema = Type.Object(
  {
    tenant: TenantSchema,
    name: Type.String({ minLength: 1, maxLength: LIMITS.nameLength, description: 'what the key is for, e.g. "ci"' }),
    role: Type.Optional(RoleSchema),
  },
  { additionalProperties: false },
);
export type ApiKeyCreate = Static<typeof ApiKeyCreateSchema>;

/** A key as listed: never its secret (only its hash is stored). */
export const ApiKeyInfoSchema = Type.Object({
  id: ApiKeyIdSchema,
  tenant: TenantSchema,
  role: RoleSchema,
  name: Type.String(),
  createdAt: TimestampSchema,
  lastUsedAt: NullableTimestampSchema,
});
export type ApiKeyInfo = Static<typeof ApiKeyInfoSchema>;

export const ApiKeyCreatedSchema = Type.Object({
  ...ApiKeyInfoSchema.properties,
  key: Type.String({ description: 'the secret: shown once, never again' }),
});
export type ApiKeyCreated = Static<typeof ApiKeyCreatedSchema>;

export const ApiKeyListSchema = Type.Object({ items: Type.Array(ApiKeyInfoSchema) });

export const StreamTokenSchema = Type.Object({
  token: Type.String({ description: 'pass as ?token= on GET /v1/jobs/{id}/events and GET /v1/events' }),
  tenant: TenantSchema,
  expiresAt: TimestampSchema,
});
export type StreamToken = Static<typeof StreamTokenSchema>;

const limit = (what: string) => Type.Integer({ minimum: 0, description: `${what}; 0 = none allowed` });

export const QuotasSchema = Type.Object({
  maxActiveJobs: limit('queued + running jobs'),
  maxRunningJobs: limit('jobs training at once'),
  maxStoredBytes: limit('bytes of uploaded datasets and job weights'),
  maxDatasets: limit('uploaded datasets'),
});
export type Quotas = Static<typeof QuotasSchema>;
export const QUOTA_NAMES = Object.keys(QuotasSchema.properties) as (keyof Quotas)[];

/** PUT /v1/tenants/{tenant}: overrides of the deployment's defaults; null removes one. */
export const QuotaOverridesSchema = Type.Object(
  Object.fromEntries(QUOTA_NAMES.map((q) => [q, Type.Optional(Type.Union([QuotasSchema.properties[q], Type.Null()]))])) as {
    [K in keyof Quotas]: Type.TOptional<Type.TUnion<[Type.TInteger, Type.TNull]>>;
  },
  { additionalProperties: false },
);
export type QuotaOverrides = Partial<Record<keyof Quotas, number | null>>;

export const UsageSchema = Type.Object({
  activeJobs: Type.Integer({ minimum: 0 }),
  runningJobs: Type.Integer({ minimum: 0 }),
  storedBytes: Type.Integer({ minimum: 0 }),
  datasets: Type.Integer({ minimum: 0 }),
});
export type Usage = Static<typeof UsageSchema>;

export const TenantInfoSchema = Type.Object({
  tenant: TenantSchema,
  quotas: QuotasSchema,
  overrides: Type.Object(Object.fromEntries(QUOTA_NAMES.map((q) => [q, Type.Optional(Type.Integer({ minimum: 0 }))]))),
  usage: UsageSchema,
});
export type TenantInfo = Static<typeof TenantInfoSchema>;

export const TenantListSchema = Type.Object({ items: Type.Array(TenantInfoSchema) });

/** Which usage figure each quota limits. */
export const QUOTA_USAGE: Record<keyof Quotas, keyof Usage> = {
  maxActiveJobs: 'activeJobs',
  maxRunningJobs: 'runningJobs',
  maxStoredBytes: 'storedBytes',
  maxDatasets: 'datasets',
};
