// safetensors bytes -> JSON tensors ({name, shape, dtype, data: base64 of the little-endian
// float32 bytes}). Reads the header and slices the buffer; no numbers are converted, so the JSON
// carries exactly the stored bits. (The engine's src/engine/safetensors.ts writes the files; the
// server may not import the engine beyond describe(), and only needs this much of the format.)
import type { TensorOutput } from '../contracts/index.js';

export function safetensorsToJson(bytes: Buffer): TensorOutput[] {
  if (bytes.length < 8) throw new Error('safetensors: too short');
  const n = Number(bytes.readBigUInt64LE(0));
  if (8 + n > bytes.length) throw new Error('safetensors: header length exceeds the file');
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const data = bytes.subarray(8 + n);
  const out: TensorOutput[] = [];
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (t.dtype !== 'F32') throw new Error(`safetensors: ${name} has dtype ${t.dtype}, expected F32`);
    const [begin, end] = t.data_offsets;
    out.push({ name, shape: t.shape, dtype: 'float32', data: data.subarray(begin, end).toString('base64') });
  }
  // Stable order: by layer index, weight before bias.
  const key = (s: string) => {
    const m = /^layers\.(\d+)\.(weight|bias)$/.exec(s);
    return m ? Number(m[1]) * 2 + (m[2] === 'bias' ? 1 : 0) : Number.MAX_SAFE_INTEGER;
  };
  return out.sort((a, b) => key(a.name) - key(b.name) || (a.name < b.name ? -1 : 1));
}
