// Size budget: small files, one idea each. A source file over its budget fails with its name;
// generated files and the AssemblyScript kernels (assembly/) are exempt.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const BUDGETS: [RegExp, number][] = [
  [/^(src|workers)\/.*\.ts$/, 300],
  [/^(test|bench|scripts)\/.*\.(ts|mjs)$/, 500],
];

const tracked = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && !f.endsWith('.generated.ts'));

describe('size budget', () => {
  it('no source file is over its line budget', () => {
    const over: string[] = [];
    let checked = 0;
    for (const file of tracked) {
      const budget = BUDGETS.find(([re]) => re.test(file))?.[1];
      if (budget === undefined) continue;
      checked++;
      const lines = readFileSync(file, 'utf8').split('\n').length - 1;
      if (lines > budget) over.push(`${file}: ${lines} lines (budget ${budget})`);
    }
    expect(checked).toBeGreaterThan(100);
    expect(over).toEqual([]);
  });
});
