// Values that break assumptions, and mutations of a JSON document built from them: the raw
// material of the submission and cursor generators.
import fc from 'fast-check';

/** A bounded pile of nested arrays (or objects): what a recursive parser or validator chokes on. */
export const deepNesting: fc.Arbitrary<unknown> = fc.tuple(fc.integer({ min: 20, max: 1000 }), fc.boolean()).map(([depth, objects]) => {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = objects ? { a: v } : [v];
  return v;
});

/** Long arrays (bounded: the body limit, not the generator, is what we probe). */
export const hugeArray: fc.Arbitrary<unknown[]> = fc
  .tuple(fc.integer({ min: 1000, max: 20_000 }), fc.constantFrom<unknown>(0, 255, 1.5, 'x', null, [0]))
  .map(([n, item]) => new Array(n).fill(item));

/** Numbers at and past every edge the schemas draw (JSON cannot carry NaN or Infinity: strings can). */
export const edgeNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(0, -0, -1, 1, 0.5, 1.5, 255, 256, 4096, 4097, 65_535, 65_536, 2 ** 31, 2 ** 32, 2 ** 53 + 2, 1e21, 1e308, -1e308, 5e-324),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e999', '0x10', '0b11', '1e39', '', ' 1', '1_000'),
);

/** Any JSON value of a shape the schemas do not expect. */
export const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: 'small' },
  edgeNumber,
  fc.constantFrom(null, true, false, '__proto__', 'constructor', '\u0000', '\ud800', '😀'.repeat(64), 'a'.repeat(10_000)),
  fc.string({ maxLength: 40 }),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), { maxLength: 8 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), { maxKeys: 4 }),
  deepNesting,
  hugeArray,
);

type Json = unknown;
type Path = (string | number)[];

/** The paths into a JSON document (its root is []), 40 levels deep at most; of a long array, its first 32 items'. */
function paths(v: Json, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (at.length >= 40) return out;
  if (Array.isArray(v)) for (let i = 0; i < Math.min(v.length, 32); i++) paths(v[i], [...at, i], out);
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

export type Mutation =
  | { op: 'replace'; at: number; value: unknown }
  | { op: 'delete'; at: number }
  | { op: 'unknown-field'; at: number; name: string; value: unknown }
  | { op: 'duplicate'; at: number; times: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: weirdValue }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('unknown-field' as const),
      at: fc.nat(),
      name: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'type')),
      value: weirdValue,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), times: fc.integer({ min: 1, max: 300 }) }) },
);

/** A deep copy sharing nothing (structuredClone keeps shared references: one [0] filled into 20,000 slots). */
const clone = (v: Json): Json => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
const sizeOf = (v: Json) => JSON.stringify(v)?.length ?? 0;
const MAX_DOCUMENT_CHARS = 512 * 1024;

/** Applies the mutations to a copy of `doc`; each picks its target among the paths the document has then. */
export function mutate(doc: Json, mutations: Mutation[]): Json {
  let root = clone(doc);
  for (const m of mutations) {
    // Copies of copies multiply: a mutation that would pass MAX_DOCUMENT_CHARS is dropped.
    if (sizeOf(root) > MAX_DOCUMENT_CHARS) break;
    const all = paths(root);
    const path = all[m.at % all.length]!;
    const parent = path.length ? path.slice(0, -1).reduce<Json>((o, k) => (o as Record<string | number, Json>)[k], root) : undefined;
    const key = path[path.length - 1];
    const target = path.reduce<Json>((o, k) => (o as Record<string | number, Json>)[k], root);
    const set = (value: Json) => {
      if (parent === undefined) root = value;
      else (parent as Record<string | number, Json>)[key!] = value;
    };
    switch (m.op) {
      case 'replace':
        set(clone(m.value));
        break;
      case 'delete':
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else if (parent !== undefined) delete (parent as Record<string, Json>)[key as string];
        break;
      case 'unknown-field':
        if (target !== null && typeof target === 'object' && !Array.isArray(target)) {
          // defineProperty: a plain assignment to `__proto__` would set the prototype, not a key.
          Object.defineProperty(target, m.name, { value: clone(m.value), enumerable: true, writable: true, configurable: true });
        } else set({ [m.name]: target });
        break;
      case 'duplicate':
        // Many copies of something small; a big subtree (a long array) is copied once.
        if (Array.isArray(parent)) {
          // Copies, not one shared object: a later mutation must change one of them, not all.
          const n = sizeOf(target) > 200 ? 1 : m.times;
          parent.splice(key as number, 0, ...Array.from({ length: n }, () => clone(target)));
        } else set([target, clone(target)]);
        break;
    }
  }
  return root;
}

/** How the document goes on the wire: mostly as JSON, sometimes broken JSON text. */
export const encoding = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ kind: 'json' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ minLength: 1, maxLength: 6 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'proto' as const }) },
);
export type Encoding = typeof encoding extends fc.Arbitrary<infer T> ? T : never;

export function encode(doc: Json, how: Encoding): string {
  const text = JSON.stringify(doc) ?? 'null';
  switch (how.kind) {
    case 'json':
      return text;
    case 'truncate':
      return text.slice(0, how.at % Math.max(1, text.length));
    case 'insert': {
      const at = how.at % (text.length + 1);
      return text.slice(0, at) + how.text + text.slice(at);
    }
    case 'proto':
      // A prototype-pollution attempt the JSON parser must refuse (or ignore), never apply.
      return text.startsWith('{') && text.length > 2 ? `{"__proto__":{"polluted":1},${text.slice(1)}` : text;
  }
}

/** `text` cut to a readable length, saying how much was left out. */
export function clip(text: string, max = 1500): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} chars)`;
}

/** `value`, printed in a failure report as `text` (fast-check would print a huge body whole). */
export function shown<T extends object>(value: T, text: string): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => clip(text), enumerable: false });
  return value;
}
