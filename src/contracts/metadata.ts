// Job metadata ("tags"): up to 16 string pairs given on submit, stored on the job and returned with
// it; GET /v1/jobs?tag=key=value finds jobs by them. Keys are restricted (no `=`, no spaces) so a
// `key=value` tag reads one way; values are any string up to the limit.
import Type, { type Static } from 'typebox';
import { LIMITS } from './limits.js';

export const METADATA_KEY_PATTERN = `^[A-Za-z0-9_.:/-]{1,${LIMITS.metadataKeyLength}}$`;

export const MetadataSchema = Type.Unsafe<Record<string, string>>({
  type: 'object',
  maxProperties: LIMITS.metadataPairs,
  propertyNames: { pattern: METADATA_KEY_PATTERN },
  additionalProperties: { type: 'string', maxLength: LIMITS.metadataValueLength },
  description: `up to ${LIMITS.metadataPairs} string pairs (keys: 1-${LIMITS.metadataKeyLength} of A-Z a-z 0-9 _ . : / -; values: at most ${LIMITS.metadataValueLength} characters), returned with the job; GET /v1/jobs?tag=key=value finds it`,
});
export type Metadata = Static<typeof MetadataSchema>;

/** `?tag=key=value` (repeatable; every pair must match): the key as in metadata, the value after the first `=`. */
export const TagQuerySchema = Type.Array(
  Type.String({
    pattern: `^[A-Za-z0-9_.:/-]{1,${LIMITS.metadataKeyLength}}=`,
    maxLength: LIMITS.metadataKeyLength + 1 + LIMITS.metadataValueLength,
  }),
  { maxItems: LIMITS.metadataPairs, description: 'key=value: only jobs whose metadata has this pair (repeat for more: all must match)' },
);

/** `key=value` -> [key, value]: the key ends at the first `=` (keys have none). */
export function parseTag(tag: string): [string, string] {
  const at = tag.indexOf('=');
  return [tag.slice(0, at), tag.slice(at + 1)];
}
