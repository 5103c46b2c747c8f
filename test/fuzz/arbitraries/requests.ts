// Generators of the parts of a request around its body: cursors (`?cursor=` of the list routes,
// `?after=` and Last-Event-ID of the event routes), querystrings with unknown and repeated keys,
// and headers (Authorization variants, Content-Type, Accept, Idempotency-Key).
import fc from 'fast-check';

/** Header-safe text: visible ASCII, spaces and tabs, and some Latin-1 (legal obs-text in HTTP). */
export const headerText = (maxLength: number) =>
  fc
    .array(fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) }, fc.constantFrom(0x09, 0xa0, 0xe9, 0xff)), {
      maxLength,
    })
    .map((codes) => String.fromCharCode(...codes));

/** Redis stream ids and near misses: past 64 bits, signs, the special ids XREAD/XRANGE take, junk. */
export const streamIdLike: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 70n }), fc.bigInt({ min: 0n, max: 2n ** 70n })).map(([a, b]) => `${a}-${b}`),
  fc.tuple(fc.nat(), fc.nat(5)).map(([a, b]) => `${Date.now() - a}-${b}`),
  fc.constantFrom(
    '0-0',
    '0',
    '-',
    '+',
    '$',
    '>',
    '*',
    '0-',
    '-0',
    '1-2-3',
    '18446744073709551615-18446744073709551615',
    '18446744073709551616-0',
    '99999999999999999999-0',
    '00000000000000000001-1',
    ' 1-1',
    '1-1 ',
    '１-１',
  ),
  fc.nat().map(String),
  headerText(30),
);

/** Page cursors: base64url JSON of every shape (the real ones are [score, id]), and junk. */
export const pageCursor = (real: () => string[]): fc.Arbitrary<string> =>
  fc.oneof(
    fc
      .tuple(
        fc.oneof(fc.double(), fc.integer(), fc.string({ maxLength: 6 }), fc.constant(null)),
        fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.constant(null)),
      )
      .map((pair) => Buffer.from(JSON.stringify(pair)).toString('base64url')),
    fc.json({ maxDepth: 3 }).map((j) => Buffer.from(j).toString('base64url')),
    fc.base64String({ maxLength: 60 }),
    fc.constantFrom('', '=', 'W10', 'bnVsbA', 'W251bGwsbnVsbF0', 'x'.repeat(200), 'x'.repeat(201)),
    headerText(40),
    // A real cursor with one character changed.
    fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0x21, max: 0x7e })).map(([which, at, code]) => {
      const cursors = real();
      const c = cursors[which % Math.max(1, cursors.length)] ?? 'AAAA';
      const i = at % c.length;
      return c.slice(0, i) + String.fromCharCode(code) + c.slice(i + 1);
    }),
  );

const limitValue = fc.oneof(
  fc.integer({ min: -5, max: 300 }).map(String),
  fc.constantFrom('', '1.5', '1e2', 'NaN', '0x10', '99999999999999999999', 'ten'),
);

/** A querystring: known keys with fuzzed values, unknown keys, a key twice. */
export const query = (known: Record<string, fc.Arbitrary<string>>) =>
  fc
    .record({
      known: fc.record(
        Object.fromEntries(Object.entries({ limit: limitValue, ...known }).map(([k, a]) => [k, a])) as Record<string, fc.Arbitrary<string>>,
        {
          requiredKeys: [],
        },
      ),
      unknown: fc.option(fc.tuple(fc.constantFrom('foo', 'offset', '__proto__', 'constructor', ''), fc.string({ maxLength: 5 })), {
        freq: 6,
      }),
      twice: fc.option(fc.constantFrom(...Object.keys({ limit: 0, ...known })), { freq: 8 }),
    })
    .map(({ known: values, unknown, twice }) => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(values)) if (v !== undefined) q.append(k, v);
      if (unknown) q.append(unknown[0], unknown[1]);
      if (twice !== null) q.append(twice, values[twice] ?? '1');
      return q.toString();
    });

/** Authorization as clients get it wrong, and right (the caller maps the named keys to real ones). */
export const authorization = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('admin', 'member', 'revoked', 'none') },
  fc.constantFrom(
    'Bearer',
    'Bearer ',
    'bearer {admin}',
    'BEARER {admin}',
    'Bearer  {admin}  ',
    'Bearer {admin} extra',
    'Basic {admin}',
    '{admin}',
    'Bearer cvy_',
    'Bearer {admin}x',
    'Token {admin}',
    'Bearer\t{admin}',
  ),
  headerText(80).map((s) => `Bearer ${s}`),
  headerText(40),
  fc.constant(`Bearer cvy_${'a'.repeat(4000)}`),
);

export const contentType = fc.oneof(
  { weight: 4, arbitrary: fc.constant('application/json') },
  fc.constantFrom(
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'application/JSON',
    'application/merge-patch+json',
    'text/plain',
    'text/csv',
    'application/x-www-form-urlencoded',
    'multipart/form-data',
    'application/gzip',
    '',
    ';',
    'application/json;;;',
  ),
  headerText(30),
);

export const accept = fc.oneof(
  fc.constantFrom(
    'application/json',
    'text/event-stream',
    '*/*',
    'application/json;q=0',
    'application/json, text/event-stream;q=0.5',
    'text/event-stream;q=0.1, application/json',
    'application/json;q=abc',
  ),
  headerText(40),
);

export const idempotencyKey = fc.oneof(fc.constantFrom('', 'k', ' ', 'x'.repeat(255), 'x'.repeat(256)), headerText(20));

/** `?tag=key=value` filters: valid pairs, patterns a store might treat specially, junk. */
export const tagFilter = fc.oneof(
  fc.tuple(fc.stringMatching(/^[A-Za-z0-9_.:/-]{1,8}$/), fc.string({ maxLength: 12 })).map(([k, v]) => `${k}=${v}`),
  fc.constantFrom('team=vision', 'run/id=42', 'a.b:c=', '=x', 'k', 'k==', '*=*', 'team=*', 'team=[a-z]', 'team=\\', `k=${'v'.repeat(600)}`),
  headerText(20),
);

/** `?name=` prefixes, with the characters lexicographic ranges and glob patterns give meaning to. */
export const namePrefix = fc.oneof(
  fc.constantFrom('tag', 't', '[', '(', '-', '+', '*', '?', '\\', '\xff', '\u{10ffff}', 'x'.repeat(201)),
  fc.string({ maxLength: 12 }),
);

/** ISO timestamps at and past the edges of what Date and the store's scores hold. */
export const timestamp = fc.oneof(
  fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom(
    '1970-01-01T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999Z',
    '+275760-09-13T00:00:00.000Z',
    '2026-02-30T00:00:00Z',
    '2026-12-05T25:00:00Z',
    '2026-12-05',
    'now',
    '',
  ),
);
