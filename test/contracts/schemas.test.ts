// Every contract schema compiles under strict Ajv (as the API uses it) and accepts/rejects what it should.
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import * as contracts from '../../src/contracts/index.js';
import { PRESETS } from '../../src/engine/presets.js';
import { BUILTIN_NAMES, MAX_CLASSES } from '../../src/datasets/index.js';

function ajv() {
  const a = new Ajv({ discriminator: true, allErrors: false, coerceTypes: false, removeAdditional: false, strict: true });
  addFormats.default(a);
  return a;
}

const validBody = {
  model: { preset: 'lenet5' },
  dataset: { builtin: 'fashion-mnist', trainSize: 1000 },
  training: { epochs: 1, batchSize: 64, optimizer: { type: 'adam', learningRate: 0.001 } },
};

describe('contract schemas', () => {
  it('all compile in strict mode', () => {
    const a = ajv();
    const schemas = Object.entries(contracts).filter(([name, v]) => name.endsWith('Schema') && typeof v === 'object' && v !== null);
    expect(schemas.length).toBeGreaterThan(30);
    for (const [name, schema] of schemas) {
      expect(() => a.compile(schema as object), name).not.toThrow();
    }
  });

  it('accept the engine presets as model specs', () => {
    const v = ajv().compile(contracts.ModelSpecSchema);
    for (const [name, spec] of Object.entries(PRESETS)) expect(v(spec), `${name}: ${JSON.stringify(v.errors)}`).toBe(true);
  });

  it('accept a minimal submission and reject unknown fields, Infinity and absurd values', () => {
    const v = ajv().compile(contracts.JobSubmissionSchema);
    expect(v(validBody), JSON.stringify(v.errors)).toBe(true);
    expect(v({ ...validBody, extra: 1 })).toBe(false);
    expect(v.errors?.[0]).toMatchObject({ keyword: 'additionalProperties', params: { additionalProperty: 'extra' } });
    const withLr = (learningRate: number) => ({
      ...validBody,
      training: { ...validBody.training, optimizer: { type: 'adam', learningRate } },
    });
    expect(v(withLr(Infinity))).toBe(false);
    expect(v(withLr(Number.NaN))).toBe(false);
    expect(v(withLr(-1))).toBe(false);
    expect(v({ ...validBody, training: { ...validBody.training, batchSize: 1e9 } })).toBe(false);
    expect(v.errors?.[0]).toMatchObject({ instancePath: '/training/batchSize', keyword: 'maximum' });
  });

  it('pick the layer branch by type, so errors name the layer field', () => {
    const v = ajv().compile(contracts.ModelSpecSchema);
    expect(v({ input: [1, 28, 28], layers: [{ type: 'flatten' }, { type: 'dense', units: 0 }] })).toBe(false);
    expect(v.errors).toEqual([expect.objectContaining({ instancePath: '/layers/1/units', keyword: 'minimum' })]);
    expect(v({ input: [1, 28, 28], layers: [{ type: 'conv3d' }] })).toBe(false);
    expect(v.errors?.[0]).toMatchObject({ keyword: 'discriminator', params: { tagValue: 'conv3d' } });
  });

  it('name the same builtin datasets and class limit as src/datasets', () => {
    expect([...contracts.BUILTIN_DATASETS].sort()).toEqual([...BUILTIN_NAMES].sort());
    expect(contracts.LIMITS.classes).toBe(MAX_CLASSES);
  });

  it('import nothing at runtime but typebox and each other (no engine, store, server, workers)', () => {
    const dir = new URL('../../src/contracts/', import.meta.url);
    let seen = 0;
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const src = readFileSync(new URL(f, dir), 'utf8');
      const imports = [...src.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
      for (const spec of imports) expect(spec, `${f} imports ${spec}`).toMatch(/^(typebox|\.\/[a-z-]+\.js)$/);
      seen += imports.length;
    }
    expect(seen).toBeGreaterThan(10);
  });
});
