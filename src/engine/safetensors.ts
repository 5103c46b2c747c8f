// Named float32 tensors <-> safetensors bytes (the format PyTorch and Hugging Face load).
//
// Layout (https://huggingface.co/docs/safetensors, "Format"):
//   bytes 0..8      N, the header length, unsigned 64-bit little-endian
//   bytes 8..8+N    the header: UTF-8 JSON, an object
//                     { "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, ...,
//                       "__metadata__": { "<key>": "<string value>" } }        (metadata optional)
//                   padded with spaces (0x20) so that 8 + N is a multiple of 8
//   bytes 8+N..     the data buffer: each tensor's elements, row-major, little-endian;
//                   data_offsets are relative to the start of this buffer, and the
//                   tensors tile it exactly (no gaps, no overlap, nothing after the last)
// Pure: Uint8Array, DataView, TextEncoder/TextDecoder; no fs, no Buffer, so it runs
// in a thread, in a browser or in Node alike.

export interface NamedTensor {
  name: string;
  /** Dimensions, outermost first (PyTorch order). */
  shape: number[];
  /** prod(shape) elements, row-major. */
  data: Float32Array;
}

export interface Safetensors {
  tensors: NamedTensor[];
  metadata: Record<string, string>;
}

/** The largest header we accept, as the reference implementation (100 MB). */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
}

/** Serialises tensors (in the given order) and optional string metadata to safetensors bytes. */
export function encodeSafetensors(tensors: readonly NamedTensor[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') throw new SafetensorsError(`metadata '${key}': value must be a string, got ${typeof value}`);
    }
    header[METADATA_KEY] = metadata;
  }
  let offset = 0;
  const seen = new Set<string>();
  for (const { name, shape, data } of tensors) {
    if (name === '' || name === METADATA_KEY) throw new SafetensorsError(`tensor name '${name}' is reserved or empty`);
    if (seen.has(name)) throw new SafetensorsError(`tensor '${name}' appears twice`);
    seen.add(name);
    const count = elementCount(name, shape);
    if (data.length !== count) {
      throw new SafetensorsError(`tensor '${name}': shape [${shape.join(', ')}] needs ${count} values, data has ${data.length}`);
    }
    header[name] = { dtype: 'F32', shape: [...shape], data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const bytes = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, headerLength, true); // the high 32 bits stay 0: headers are far below 4 GB
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerLength);

  let position = 8 + headerLength;
  for (const { data } of tensors) {
    if (LITTLE_ENDIAN) {
      bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), position);
    } else {
      for (let i = 0; i < data.length; i++) view.setFloat32(position + 4 * i, data[i]!, true);
    }
    position += data.byteLength;
  }
  return bytes;
}

/**
 * Parses safetensors bytes. Tensors come back in data order, each with its own copy
 * of the data. Throws SafetensorsError naming what is wrong (truncated file, bad
 * header, unsupported dtype, offsets that do not tile the data buffer).
 */
export function decodeSafetensors(bytes: Uint8Array): Safetensors {
  if (bytes.length < 8) throw new SafetensorsError(`truncated: ${bytes.length} bytes, the header length alone takes 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const headerLength = high * 2 ** 32 + low;
  if (headerLength > MAX_HEADER_BYTES) {
    throw new SafetensorsError(`header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit: not a safetensors file?`);
  }
  if (8 + headerLength > bytes.length) {
    throw new SafetensorsError(`truncated: header length is ${headerLength} bytes but only ${bytes.length - 8} follow`);
  }

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    throw new SafetensorsError('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw new SafetensorsError("header must be a JSON object starting with '{'");
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    throw new SafetensorsError(`header is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(header)) throw new SafetensorsError('header must be a JSON object');

  const metadata: Record<string, string> = {};
  const entries: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      if (!isObject(value)) throw new SafetensorsError(`${METADATA_KEY} must be an object of strings`);
      for (const [key, item] of Object.entries(value)) {
        if (typeof item !== 'string') throw new SafetensorsError(`${METADATA_KEY}.${key} must be a string`);
        metadata[key] = item;
      }
      continue;
    }
    if (!isObject(value)) throw new SafetensorsError(`tensor '${name}': entry must be an object`);
    const { dtype, shape, data_offsets: offsets } = value;
    if (dtype !== 'F32') throw new SafetensorsError(`tensor '${name}': dtype ${JSON.stringify(dtype)} is not supported (only F32)`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`tensor '${name}': shape must be an array of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw new SafetensorsError(`tensor '${name}': data_offsets must be [begin, end], non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    const count = elementCount(name, shape as number[]);
    if (end - begin !== count * 4) {
      throw new SafetensorsError(
        `tensor '${name}': data_offsets [${begin}, ${end}] hold ${end - begin} bytes, shape [${shape.join(', ')}] of F32 needs ${count * 4}`,
      );
    }
    entries.push({ name, shape: shape as number[], begin, end });
  }

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const { name, begin, end } of entries) {
    if (end > dataLength) {
      throw new SafetensorsError(`truncated: tensor '${name}' ends at byte ${end} of the data buffer, which has ${dataLength}`);
    }
    if (begin !== expected) {
      throw new SafetensorsError(`tensor '${name}': data_offsets start at ${begin}, expected ${expected} (gap or overlap)`);
    }
    expected = end;
  }
  if (expected !== dataLength) {
    throw new SafetensorsError(`${dataLength - expected} bytes after the last tensor: data buffer does not match the header`);
  }

  const tensors = entries.map(({ name, shape, begin, end }) => {
    const data = new Float32Array((end - begin) / 4);
    if (LITTLE_ENDIAN) {
      new Uint8Array(data.buffer).set(bytes.subarray(dataStart + begin, dataStart + end));
    } else {
      for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(dataStart + begin + 4 * i, true);
    }
    return { name, shape: [...shape], data };
  });
  return { tensors, metadata };
}

function elementCount(name: string, shape: readonly number[]): number {
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new SafetensorsError(`tensor '${name}': shape [${shape.join(', ')}] must hold non-negative integers`);
    count *= d;
  }
  if (!Number.isSafeInteger(count * 4)) throw new SafetensorsError(`tensor '${name}': shape [${shape.join(', ')}] is too large`);
  return count;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
