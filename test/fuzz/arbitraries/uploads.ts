// Generators of POST /v1/datasets requests: IDX image and label files (random magic, element type,
// dimension counts and sizes, data that fits the header or not), CSVs (random cells, quotes,
// widths, headers, line endings, BOMs), gzip (whole, truncated, corrupted, bombs), and how they
// are sent (multipart with any mix of parts and fields, a raw text/csv or application/gzip body).
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { clip, shown } from './values.js';

// ---- IDX -----------------------------------------------------------------------------------------

/** An IDX file: header fields drawn near the valid ones, data whose length may disagree with them. */
export const idxFile = (kind: 'images' | 'labels') =>
  fc
    .record({
      zeros: fc.oneof({ weight: 9, arbitrary: fc.constant([0, 0]) }, fc.tuple(fc.nat(255), fc.nat(255))),
      type: fc.oneof({ weight: 9, arbitrary: fc.constant(0x08) }, fc.constantFrom(0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0x00, 0xff)),
      dims: fc.oneof(
        {
          weight: 6,
          arbitrary:
            kind === 'images'
              ? fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 }))
              : fc.tuple(fc.integer({ min: 0, max: 12 })),
        },
        { weight: 2, arbitrary: fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 5 }) },
        { weight: 1, arbitrary: fc.array(fc.constantFrom(0, 1, 65_535, 65_536, 2 ** 31, 2 ** 32 - 1), { minLength: 1, maxLength: 4 }) },
      ),
      extra: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, fc.integer({ min: -20, max: 20 })),
      declaredDims: fc.option(fc.nat(255), { freq: 8 }),
      fill: fc.nat(255),
    })
    .map(({ zeros, type, dims, extra, declaredDims, fill }) => {
      const elements = dims.reduce((a, d) => a * d, 1);
      const dataLength = Math.max(0, Math.min(elements, 4096) + extra);
      const out = Buffer.alloc(4 + 4 * dims.length + dataLength, fill);
      out[0] = zeros[0]!;
      out[1] = zeros[1]!;
      out[2] = type;
      out[3] = declaredDims ?? dims.length;
      dims.forEach((d, i) => {
        out.writeUInt32BE(d, 4 + 4 * i);
      });
      // Labels drawn from the bytes after the header: small class counts mostly, any byte sometimes.
      for (let i = 4 + 4 * dims.length; i < out.length; i++) out[i] = (fill + i * 7) % (kind === 'labels' ? 1 + (fill % 12) : 256);
      return out;
    });

// ---- CSV -----------------------------------------------------------------------------------------

const goodCell = fc.oneof(fc.nat(255).map(String), fc.double({ min: -1e3, max: 1e3, noNaN: true }).map(String));
const badCell = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '0x10',
    '0b11',
    '0o7',
    '1e39',
    '-1e39',
    'NaN',
    'Infinity',
    '-0',
    '+1',
    '.5',
    '5.',
    '1_0',
    '"1"',
    '"',
    "'1'",
    '1,5',
    '١',
    '\t3',
    '1e-400',
    '256',
    '-1',
  ),
  fc.string({ maxLength: 6 }),
);
const cell = fc.oneof({ weight: 12, arbitrary: goodCell }, { weight: 1, arbitrary: badCell });

/** A CSV text: a grid of mostly good cells, ragged rows, maybe a header, blank lines, CRLF, a BOM. */
export const csvText = fc
  .record({
    rows: fc.integer({ min: 0, max: 12 }),
    width: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 30 }) }, fc.constantFrom(785, 3073)),
    seedCells: fc.array(cell, { minLength: 1, maxLength: 64 }),
    labels: fc.array(fc.oneof({ weight: 8, arbitrary: fc.nat(9).map(String) }, badCell), { minLength: 1, maxLength: 16 }),
    ragged: fc.option(fc.tuple(fc.nat(), fc.integer({ min: -3, max: 3 })), { freq: 4 }),
    header: fc.boolean(),
    eol: fc.constantFrom('\n', '\r\n', '\r', '\n\n'),
    bom: fc.boolean(),
    trailer: fc.constantFrom('', '\n', ' ', ',', '\u0000'),
  })
  .map(({ rows, width, seedCells, labels, ragged, header, eol, bom, trailer }) => {
    const lines: string[] = [];
    if (header) lines.push(['label', ...Array.from({ length: width - 1 }, (_, j) => `p${j}`)].join(','));
    for (let r = 0; r < rows; r++) {
      const w = ragged && ragged[0] % Math.max(1, rows) === r ? Math.max(0, width + ragged[1]) : width;
      const cells = Array.from({ length: Math.max(0, w - 1) }, (_, j) => seedCells[(r * 31 + j) % seedCells.length]!);
      lines.push([labels[r % labels.length]!, ...cells].join(','));
    }
    return (bom ? '\ufeff' : '') + lines.join(eol) + trailer;
  });

/** A CSV wider than 65,535 columns: a shape dimension stored in 16 bits must not overflow into a 500. */
export const wideCsv = fc
  .tuple(fc.integer({ min: 65_530, max: 65_545 }), fc.integer({ min: 1, max: 2 }))
  .map(([width, rows]) => Array.from({ length: rows }, (_, r) => `${r % 2},${new Array(width - 1).fill('1').join(',')}`).join('\n'));

// ---- gzip ----------------------------------------------------------------------------------------

export type Wrap =
  | { kind: 'plain' }
  | { kind: 'gzip' }
  | { kind: 'truncated'; at: number }
  | { kind: 'corrupt'; at: number; byte: number }
  | { kind: 'magic-only' };

export const wrap: fc.Arbitrary<Wrap> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: 'plain' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'gzip' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncated' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('corrupt' as const), at: fc.nat(), byte: fc.nat(255) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'magic-only' as const }) },
);

export function applyWrap(bytes: Buffer, how: Wrap): Buffer {
  switch (how.kind) {
    case 'plain':
      return bytes;
    case 'gzip':
      return gzipSync(bytes);
    case 'truncated': {
      const z = gzipSync(bytes);
      return z.subarray(0, 2 + (how.at % Math.max(1, z.length - 2)));
    }
    case 'corrupt': {
      const z = Buffer.from(gzipSync(bytes));
      z[2 + (how.at % Math.max(1, z.length - 2))] = how.byte;
      return z;
    }
    case 'magic-only':
      return Buffer.concat([Buffer.from([0x1f, 0x8b]), bytes]);
  }
}

/** Gzip that inflates past DATASET_MAX_BYTES (the fuzz app's is 4 MiB) from a few KB; made once. */
const BOMBS = [5, 9].map((mib) => gzipSync(Buffer.alloc(mib * 1024 * 1024, 0x31)));
export const gzipBomb = fc.constantFrom(...BOMBS);

// ---- requests ------------------------------------------------------------------------------------

export interface UploadRequest {
  contentType: string;
  url: string;
  body: Buffer;
  what: string;
}

const nameValue = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('', 'x'.repeat(201), 'ok-name'));
const shapeValue = fc.oneof(
  fc.tuple(fc.nat(4), fc.nat(40), fc.nat(40)).map((d) => d.join(',')),
  fc.constantFrom('1,5,5', '1, 28 ,28', '0,1,1', '1,1,65536', '99999999999999999999,1,1', '-1,2,2', '1,2', 'a,b,c', ''),
);

type Part = { field: string; file?: Buffer; value?: string };

const multipart = (parts: Part[]) => {
  const form = new FormData();
  for (const p of parts) {
    if (p.file) form.append(p.field, new Blob([p.file]), `${p.field}.bin`);
    else form.append(p.field, p.value ?? '');
  }
  return form;
};

/** A multipart request: IDX images + labels, a CSV file, any mix of those, and optional text fields. */
const multipartRequest = fc
  .record({
    images: fc.option(fc.tuple(idxFile('images'), wrap), { freq: 5 }),
    labels: fc.option(fc.tuple(idxFile('labels'), wrap), { freq: 5 }),
    file: fc.option(fc.tuple(csvText, wrap), { freq: 3 }),
    stray: fc.option(fc.constantFrom('weights', 'file2', 'images'), { freq: 10 }),
    name: fc.option(nameValue, { freq: 3 }),
    shape: fc.option(shapeValue, { freq: 3 }),
    unknownField: fc.option(fc.constantFrom('classes', 'format', 'tenant'), { freq: 10 }),
  })
  .map(({ images, labels, file, stray, name, shape, unknownField }) => {
    const parts: Part[] = [];
    if (name !== null) parts.push({ field: 'name', value: name });
    if (shape !== null) parts.push({ field: 'shape', value: shape });
    if (unknownField !== null) parts.push({ field: unknownField, value: '1' });
    if (images) parts.push({ field: 'images', file: applyWrap(images[0], images[1]) });
    if (labels) parts.push({ field: 'labels', file: applyWrap(labels[0], labels[1]) });
    if (file) parts.push({ field: 'file', file: applyWrap(Buffer.from(file[0]), file[1]) });
    if (stray) parts.push({ field: stray, file: Buffer.from('0,1\n') });
    const what = parts.map((p) =>
      p.file ? `${p.field}(${p.file.length} B: ${p.file.subarray(0, 24).toString('hex')})` : `${p.field}=${JSON.stringify(p.value)}`,
    );
    return { form: multipart(parts), what: `multipart ${what.join(' ')}` };
  });

/** A raw body: text/csv, application/gzip, or a content type the route does not take. */
const rawRequest = fc
  .record({
    csv: fc.oneof({ weight: 12, arbitrary: csvText }, { weight: 1, arbitrary: wideCsv }),
    how: wrap,
    contentType: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('text/csv', 'application/gzip') },
      fc.constantFrom(
        'text/csv; charset=utf-16',
        'application/octet-stream',
        'application/json',
        'text/plain',
        'multipart/form-data',
        'multipart/form-data; boundary=x',
      ),
    ),
    name: fc.option(nameValue, { freq: 3 }),
    shape: fc.option(shapeValue, { freq: 3 }),
  })
  .map(({ csv, how, contentType, name, shape }) => {
    const query = new URLSearchParams();
    if (name !== null) query.set('name', name);
    if (shape !== null) query.set('shape', shape);
    const body = applyWrap(Buffer.from(csv), how);
    const url = `/v1/datasets${query.size ? `?${query}` : ''}`;
    return { contentType, url, body, what: `${contentType} ${url} ${clip(JSON.stringify(csv), 300)} (${how.kind})` };
  });

/** Any upload request; `make()` encodes it for inject (multipart bodies by undici, as fetch sends them). */
export const uploadRequest: fc.Arbitrary<{ make(): Promise<UploadRequest> }> = fc.oneof(
  { weight: 5, arbitrary: multipartRequest.map(({ form, what }) => shown({ make: () => encodeForm(form, what) }, what)) },
  { weight: 5, arbitrary: rawRequest.map((r) => shown({ make: async () => r }, r.what)) },
  {
    weight: 1,
    arbitrary: gzipBomb.map((body) => {
      const what = `gzip bomb (${body.length} B)`;
      return shown({ make: async () => ({ contentType: 'application/gzip', url: '/v1/datasets', body, what }) }, what);
    }),
  },
);

async function encodeForm(form: FormData, what: string): Promise<UploadRequest> {
  const res = new Response(form);
  return { contentType: res.headers.get('content-type') ?? '', url: '/v1/datasets', body: Buffer.from(await res.arrayBuffer()), what };
}
