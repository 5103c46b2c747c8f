// safetensors bytes: byte-for-byte agreement with the reference implementation
// (Python `safetensors` 0.8.0), round trips, alignment, and clear errors on bad input.
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type NamedTensor } from '../../src/engine/safetensors.js';

// Made by safetensors 0.8.0 (Python):
//   save({'layers.0.weight': [[[[1.5, -2.0], [0.25, 3.0]]]], 'layers.0.bias': [0.125],
//         'layers.3.weight': arange(6).reshape(2, 3) / 4, 'scalar': 7.0}   (all float32),
//        metadata={'format': 'pt', 'note': 'héllo'})
// It sorts tensors by name, writes __metadata__ first and pads the header to 8 bytes.
const REFERENCE_BASE64 =
  'QAEAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJub3RlIjoiaMOpbGxvIiwiZm9ybWF0IjoicHQifSwibGF5ZXJzLjAuYmlhcyI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMV0sImRhdGFfb2Zmc2V0cyI6WzAsNF19LCJsYXllcnMuMC53ZWlnaHQiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzEsMSwyLDJdLCJkYXRhX29mZnNldHMiOls0LDIwXX0sImxheWVycy4zLndlaWdodCI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMiwzXSwiZGF0YV9vZmZzZXRzIjpbMjAsNDRdfSwic2NhbGFyIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOltdLCJkYXRhX29mZnNldHMiOls0NCw0OF19fSAgIAAAAD4AAMA/AAAAwAAAgD4AAEBAAAAAAAAAgD4AAAA/AABAPwAAgD8AAKA/AADgQA==';
const reference = Uint8Array.from(atob(REFERENCE_BASE64), (c) => c.charCodeAt(0));
const referenceTensors: NamedTensor[] = [
  { name: 'layers.0.bias', shape: [1], data: new Float32Array([0.125]) },
  { name: 'layers.0.weight', shape: [1, 1, 2, 2], data: new Float32Array([1.5, -2, 0.25, 3]) },
  { name: 'layers.3.weight', shape: [2, 3], data: new Float32Array([0, 0.25, 0.5, 0.75, 1, 1.25]) },
  { name: 'scalar', shape: [], data: new Float32Array([7]) },
];
const referenceMetadata = { note: 'héllo', format: 'pt' };

/** Builds a file by hand: 8-byte length, the header text as given (no padding added), then the data bytes. */
function rawFile(header: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('agreement with the reference implementation', () => {
  it('decodes a file written by Python safetensors', () => {
    const { tensors, metadata } = decodeSafetensors(reference);
    expect(metadata).toEqual(referenceMetadata);
    expect(tensors).toEqual(referenceTensors);
  });

  it('encodes the same tensors, in the same order, to the same bytes', () => {
    expect(encodeSafetensors(referenceTensors, referenceMetadata)).toEqual(reference);
  });
});

describe('layout', () => {
  it('writes a little-endian u64 header length, a space-padded header ending on an 8-byte boundary, then the data', () => {
    const bytes = encodeSafetensors([{ name: 'w', shape: [2], data: new Float32Array([1, -0.5]) }]);
    const view = new DataView(bytes.buffer);
    const n = view.getUint32(0, true);
    expect(view.getUint32(4, true)).toBe(0);
    expect((8 + n) % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(header).toBe('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'.padEnd(n, ' '));
    expect(bytes.length).toBe(8 + n + 8);
    expect(view.getFloat32(8 + n, true)).toBe(1);
    expect(view.getFloat32(8 + n + 4, true)).toBe(-0.5);
  });

  it('omits __metadata__ when there is none', () => {
    const bytes = encodeSafetensors([{ name: 'w', shape: [1], data: new Float32Array([1]) }], {});
    expect(new TextDecoder().decode(bytes)).not.toContain('__metadata__');
  });
});

describe('round trips', () => {
  it('keeps names, shapes, order, metadata and every bit (NaN payloads, -0, subnormals, infinities)', () => {
    const special = new Float32Array([0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-45, 3.4e38]);
    new Uint32Array(special.buffer)[2] = 0x7fc12345; // a NaN with a payload
    const tensors: NamedTensor[] = [
      { name: 'layers.2.weight', shape: [7], data: special },
      { name: 'layers.10.bias', shape: [3, 1], data: new Float32Array([1, 2, 3]) },
      { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
      { name: 'big', shape: [33, 31], data: Float32Array.from({ length: 33 * 31 }, (_, i) => Math.sin(i)) },
    ];
    const { tensors: back, metadata } = decodeSafetensors(encodeSafetensors(tensors, { epoch: '3' }));
    expect(metadata).toEqual({ epoch: '3' });
    expect(back.map((t) => t.name)).toEqual(tensors.map((t) => t.name));
    back.forEach((t, i) => {
      expect(t.shape).toEqual(tensors[i]!.shape);
      expect(new Uint8Array(t.data.buffer)).toEqual(new Uint8Array(tensors[i]!.data.buffer));
    });
  });

  it('reads from a view at any byte offset and copies the data out of it', () => {
    const bytes = encodeSafetensors(referenceTensors);
    const backing = new Uint8Array(bytes.length + 3);
    backing.set(bytes, 3);
    const view = backing.subarray(3);
    const { tensors } = decodeSafetensors(view);
    expect(tensors).toEqual(referenceTensors);
    backing.fill(0);
    expect(tensors[1]!.data[0]).toBe(1.5);
  });

  it('encodes views (subarrays) of a larger weight vector', () => {
    const flat = new Float32Array([9, 9, 1, 2, 3, 9]);
    const bytes = encodeSafetensors([{ name: 'w', shape: [3], data: flat.subarray(2, 5) }]);
    expect(Array.from(decodeSafetensors(bytes).tensors[0]!.data)).toEqual([1, 2, 3]);
  });

  it('accepts a header without padding, as other writers may produce', () => {
    const data = new Uint8Array(new Float32Array([2.5]).buffer);
    const { tensors } = decodeSafetensors(rawFile('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', data));
    expect(tensors).toEqual([{ name: 'x', shape: [1], data: new Float32Array([2.5]) }]);
  });
});

describe('errors', () => {
  const good = encodeSafetensors(referenceTensors);
  const f32 = (name: string, shape: number[], offsets: [number, number]): string =>
    `"${name}":{"dtype":"F32","shape":${JSON.stringify(shape)},"data_offsets":${JSON.stringify(offsets)}}`;
  const fourFloats = new Uint8Array(16);

  const cases: [string, Uint8Array, RegExp][] = [
    ['fewer than 8 bytes', new Uint8Array(5), /truncated: 5 bytes/],
    ['a header cut short', good.subarray(0, 40), /truncated: header length is \d+ bytes but only 32 follow/],
    ['data cut short', good.subarray(0, good.length - 4), /truncated: tensor 'scalar' ends at byte 48 of the data buffer, which has 44/],
    ['an absurd header length', new Uint8Array([255, 255, 255, 255, 255, 255, 0, 0, 0]), /exceeds the 100000000-byte limit/],
    ['a header that is not JSON', rawFile('{"x": '), /header is not valid JSON/],
    ['a header that is not an object', rawFile('[1, 2]'), /JSON object/],
    ['invalid UTF-8', rawFile('{"\u00ff"}').map((b) => (b === 0xc3 ? 0xff : b)), /not valid UTF-8/],
    [
      'an unsupported dtype',
      rawFile(`{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, new Uint8Array(4)),
      /tensor 'h': dtype "F16" is not supported \(only F32\)/,
    ],
    [
      'a bad shape',
      rawFile(`{${f32('x', [-1], [0, 4])}}`, new Uint8Array(4)),
      /tensor 'x': shape must be an array of non-negative integers/,
    ],
    [
      'missing data_offsets',
      rawFile('{"x":{"dtype":"F32","shape":[1]}}', new Uint8Array(4)),
      /tensor 'x': data_offsets must be \[begin, end\]/,
    ],
    [
      'a size that does not match the shape',
      rawFile(`{${f32('x', [3], [0, 8])}}`, new Uint8Array(8)),
      /tensor 'x': data_offsets \[0, 8\] hold 8 bytes, shape \[3\] of F32 needs 12/,
    ],
    [
      'a gap between tensors',
      rawFile(`{${f32('a', [1], [0, 4])},${f32('b', [2], [8, 16])}}`, fourFloats),
      /tensor 'b': data_offsets start at 8, expected 4/,
    ],
    [
      'overlapping tensors',
      rawFile(`{${f32('a', [2], [0, 8])},${f32('b', [2], [4, 12])}}`, new Uint8Array(12)),
      /tensor 'b': data_offsets start at 4, expected 8/,
    ],
    ['bytes after the last tensor', rawFile(`{${f32('a', [2], [0, 8])}}`, fourFloats), /8 bytes after the last tensor/],
    ['non-string metadata', rawFile('{"__metadata__":{"epoch":3}}'), /__metadata__.epoch must be a string/],
  ];
  for (const [what, bytes, message] of cases) {
    it(`rejects ${what}`, () => {
      expect(() => decodeSafetensors(bytes)).toThrow(SafetensorsError);
      expect(() => decodeSafetensors(bytes)).toThrow(message);
    });
  }

  it('refuses to encode inconsistent tensors, naming them', () => {
    const one = new Float32Array([1]);
    expect(() => encodeSafetensors([{ name: 'w', shape: [2], data: one }])).toThrow(/tensor 'w': shape \[2\] needs 2 values, data has 1/);
    expect(() =>
      encodeSafetensors([
        { name: 'w', shape: [1], data: one },
        { name: 'w', shape: [1], data: one },
      ]),
    ).toThrow(/tensor 'w' appears twice/);
    expect(() => encodeSafetensors([{ name: '__metadata__', shape: [1], data: one }])).toThrow(/reserved/);
    expect(() => encodeSafetensors([{ name: 'w', shape: [1.5], data: one }])).toThrow(/non-negative integers/);
    expect(() => encodeSafetensors([], { epoch: 3 as unknown as string })).toThrow(/metadata 'epoch'/);
  });
});
