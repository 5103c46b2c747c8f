// Large dataset bytes go to Redis in pieces. ioredis copies each command's arguments into one buffer
// before it writes them, on the event loop: one 256 MiB argument stalled every other request for
// ~190 ms (bench/README.md, bench:upload). Written as 4 MiB SETRANGEs into a staging key instead,
// each copy takes a millisecond or two; the put script (dataset-scripts.ts) then renames the staged
// bytes into place or deletes them, so readers never see part of a dataset.
import type { Redis } from 'ioredis';

/** Bytes above this are staged in pieces of this size; smaller ones go with the put script itself. */
export const DATASET_WRITE_CHUNK = 4 * 1024 * 1024;

/** A staging key outlives a writer that died between pieces by at most this long. */
const STAGING_TTL_MS = 15 * 60 * 1000;

/**
 * Writes `bytes` to `key` (a new staging key) in DATASET_WRITE_CHUNK pieces, one command at a time.
 * The last piece goes first, so Redis sizes the string once instead of growing it piece by piece.
 * On any failure the key is deleted (best effort; its expiry covers the rest) and the error thrown.
 */
export async function writeStaged(redis: Redis, key: string, bytes: Uint8Array, chunk = DATASET_WRITE_CHUNK): Promise<void> {
  const offsets: number[] = [];
  for (let at = 0; at < bytes.byteLength; at += chunk) offsets.push(at);
  const last = offsets.pop() ?? 0;
  const piece = (at: number) => Buffer.from(bytes.buffer, bytes.byteOffset + at, Math.min(chunk, bytes.byteLength - at));
  try {
    // Sent back to back, not as a pipeline (which would copy the piece once more to join the two).
    await Promise.all([redis.setrange(key, last, piece(last)), redis.pexpire(key, STAGING_TTL_MS)]);
    for (const at of offsets) await redis.setrange(key, at, piece(at));
  } catch (err) {
    await redis.del(key).catch(() => undefined);
    throw err;
  }
}
