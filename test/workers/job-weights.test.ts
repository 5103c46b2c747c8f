// What a completed event carries of the weights (issue 12): the tensors inline only below
// WEIGHTS_INLINE_MAX_BYTES (default 256 KiB); beyond, the link and the sha256 of the bytes.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createModel } from '../../src/engine/index.js';
import { packWeights } from '../../workers/job-weights.js';

const dense = (units: number) => createModel({ input: [1, 16, 16], layers: [{ type: 'flatten' }, { type: 'dense', units }] });

describe('packWeights', () => {
  const inlineMax = loadConfig({}).weightsInlineMaxBytes;

  it('defaults to inlining below 256 KiB', () => {
    expect(inlineMax).toBe(256 * 1024);
  });

  it('inlines small weights, and gives only the link and sha256 of larger ones', () => {
    const small = packWeights('j1', dense(10), 255, inlineMax); // 2,570 params: 10 KB
    expect(small.ref.tensors?.map((t) => t.name)).toEqual(['layers.1.weight', 'layers.1.bias']);

    const large = packWeights('j2', dense(300), 255, inlineMax); // 77,100 params: 308 KB, which the old 4 MiB default inlined
    expect(large.bytes.length).toBeGreaterThan(256 * 1024);
    expect(large.ref.tensors).toBeUndefined();
    expect(large.ref).toEqual({
      href: '/v1/jobs/j2/weights',
      bytes: large.bytes.length,
      sha256: createHash('sha256').update(large.bytes).digest('hex'),
    });
    expect(JSON.stringify(large.ref).length).toBeLessThan(200);
  });
});
