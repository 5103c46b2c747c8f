// JSON bodies nested deeper than LIMITS.jsonDepth are refused before schema validation. The layer
// schema is recursive (a residual block holds layers), and Ajv's generated validator recurses once
// per level: a few hundred nested blocks (a 7 KB body) overflowed the stack and answered 500.
// The walk is iterative, so the guard itself cannot overflow.
import type { FastifyRequest } from 'fastify';
import { LIMITS } from '../contracts/index.js';
import { invalidField } from './errors.js';

/** The JSON pointer of the first container nested deeper than `max`, or undefined. */
export function tooDeep(value: unknown, max: number): string | undefined {
  const stack: { v: object; depth: number; path: string }[] = [];
  const visit = (v: unknown, depth: number, path: string, key: string | number) => {
    if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) stack.push({ v, depth, path: `${path}/${key}` });
  };
  visit(value, 0, '', '');
  while (stack.length) {
    const { v, depth, path } = stack.pop()!;
    if (depth >= max) return path.slice(1) || '/';
    // Only containers are pushed (and named): an inline dataset's numbers cost a comparison each.
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) visit(v[i], depth + 1, path, i);
    else for (const k of Object.keys(v)) visit((v as Record<string, unknown>)[k], depth + 1, path, k);
  }
  return undefined;
}

/** preValidation hook: a 400 naming where the body goes too deep. */
export async function checkBodyDepth(request: FastifyRequest): Promise<void> {
  const at = tooDeep(request.body, LIMITS.jsonDepth);
  if (at !== undefined) throw invalidField(at, `is nested deeper than ${LIMITS.jsonDepth} levels (the body's limit)`);
}
