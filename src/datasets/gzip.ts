// Transparent gunzip for uploads: bytes starting with 1f 8b are a gzip stream.
import { gunzipSync } from 'node:zlib';
import { DatasetError } from './types.js';

/** Default cap on decompressed size, against gzip bombs (a 60,000-image IDX file is 47 MB). */
export const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Returns the bytes unchanged, or decompressed when they are gzip. Throws DatasetError naming `field`. */
export function maybeGunzip(bytes: Uint8Array, field: string, maxBytes = DEFAULT_MAX_BYTES): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    const out = gunzipSync(bytes, { maxOutputLength: maxBytes });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new DatasetError('too_large', field, `${field}: decompressed size exceeds ${maxBytes} bytes`);
    }
    throw new DatasetError('bad_gzip', field, `${field}: starts like gzip (1f 8b) but does not decompress: ${(err as Error).message}`);
  }
}
