// The builtin cache file: both splits of a builtin dataset in one binary file.
//
// Layout, little-endian:
//   0  u8[4] magic "CVBC"
//   4  u32   cache format version (CACHE_FORMAT_VERSION)
//   8  u32   fingerprint length L
//  12  L bytes UTF-8 fingerprint (source package and version, split rule); a
//      different fingerprint means a stale cache, rebuilt on load
//  ..  zero padding to a multiple of 8
//  ..  encodeDataset(train)   (codec.ts; its header gives its length)
//  ..  encodeDataset(test)    (ends exactly at the end of the file)
// Written atomically (temporary file in the same directory, fsync, rename), so
// a reader in another process sees either no file or a whole one.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { decodeDataset, encodeDataset, encodedSize, readDatasetHeader } from './codec.js';
import { DatasetError, type Dataset } from './types.js';

export const CACHE_MAGIC = 0x43425643; // "CVBC" as a little-endian u32
export const CACHE_FORMAT_VERSION = 1;

function headerLength(fingerprint: Uint8Array): number {
  return Math.ceil((12 + fingerprint.length) / 8) * 8;
}

export function encodeCache(fingerprint: string, train: Dataset, test: Dataset): Uint8Array {
  const fp = new TextEncoder().encode(fingerprint);
  const head = headerLength(fp);
  const out = new Uint8Array(head + encodedSize(train) + encodedSize(test));
  const view = new DataView(out.buffer);
  view.setUint32(0, CACHE_MAGIC, true);
  view.setUint32(4, CACHE_FORMAT_VERSION, true);
  view.setUint32(8, fp.length, true);
  out.set(fp, 12);
  const trainBytes = encodeDataset(train);
  out.set(trainBytes, head);
  out.set(encodeDataset(test), head + trainBytes.length);
  return out;
}

/**
 * Decodes a cache file's bytes; the datasets are views into `bytes`. Throws
 * DatasetError when the bytes are not a complete cache for `fingerprint`.
 */
export function decodeCache(bytes: Uint8Array, fingerprint: string): { train: Dataset; test: Dataset } {
  if (bytes.length < 12) throw new DatasetError('bad_length', 'cache', `cache: ${bytes.length} bytes is shorter than its header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== CACHE_MAGIC) throw new DatasetError('bad_magic', 'cache', 'cache: bad magic (expected "CVBC")');
  const version = view.getUint32(4, true);
  if (version !== CACHE_FORMAT_VERSION)
    throw new DatasetError('unsupported_version', 'cache', `cache: format version ${version}, expected ${CACHE_FORMAT_VERSION}`);
  const fpLength = view.getUint32(8, true);
  if (12 + fpLength > bytes.length) throw new DatasetError('bad_length', 'cache', 'cache: truncated header');
  const found = new TextDecoder().decode(bytes.subarray(12, 12 + fpLength));
  if (found !== fingerprint) throw new DatasetError('unsupported_version', 'cache', `cache: built from ${found}, wanted ${fingerprint}`);
  const head = headerLength(bytes.subarray(12, 12 + fpLength));
  const trainLength = readDatasetHeader(bytes.subarray(head)).byteLength;
  const train = decodeDataset(bytes.subarray(head, head + trainLength));
  const test = decodeDataset(bytes.subarray(head + trainLength));
  return { train, test };
}

/** Reads a whole file into a fresh buffer (a SharedArrayBuffer when `shared`); undefined when it does not exist. */
export async function readWholeFile(file: string, shared = false): Promise<Uint8Array | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const bytes = new Uint8Array(shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
    let offset = 0;
    while (offset < size) {
      const { bytesRead } = await handle.read(bytes, offset, size - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return offset === size ? bytes : bytes.subarray(0, offset);
  } finally {
    await handle.close();
  }
}

/** Writes `bytes` to `file` atomically: a temporary file in the same directory, fsync, then rename. */
export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(tmp, 'wx');
    try {
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
