// The README's configuration table names every environment variable src/config.ts reads.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const configSource = readFileSync(new URL('../../src/config.ts', import.meta.url), 'utf8');
// Every variable is documented in config.ts as `/** NAME (default): what */`.
const variables = [...configSource.matchAll(/\/\*\* ([A-Z][A-Z0-9_]+) \(/g)].map((m) => m[1]!);

describe('README configuration table', () => {
  it('finds the variables config.ts documents', () => {
    expect(variables).toContain('REDIS_URL');
    expect(variables.length).toBeGreaterThan(20);
  });

  it.each(variables)('documents %s', (name) => {
    expect(readme).toContain(`| \`${name}\` |`);
  });

  it('loads with no variables set (every one has a default)', () => {
    expect(() => loadConfig({})).not.toThrow();
  });
});
