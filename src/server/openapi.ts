// Small fixes that turn the schemas @fastify/swagger collects into OpenAPI 3.1 (JSON Schema
// 2020-12): TypeBox emits draft-07 tuples (`items: [...]`, `additionalItems`), which 3.1 spells
// `prefixItems` (+ `items: false`).
export function toOpenApi31<T>(doc: T): T {
  return fix(doc) as T;
}

function fix(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(fix);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) out[k] = fix(v);
  if (Array.isArray(out.items)) {
    out.prefixItems = out.items;
    if (out.additionalItems === false) out.items = false;
    else delete out.items;
    delete out.additionalItems;
  }
  return out;
}
