// README's curl walk-through, run verbatim: the shell block under "## Walk-through (curl)" goes to
// bash against a real API and worker (processes from dist, the run's private Redis), with only the
// host and port changed. If a route, a field or the SSE stream's ending changes, a newcomer's first
// five minutes break here first.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeSafetensors } from '../../src/engine/safetensors.js';
import { TEST_ADMIN_KEY } from '../helpers/auth.js';
import { startStack, type Stack } from '../helpers/stack.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The first ```sh block after the walk-through heading. */
function walkthrough(): string {
  const section = README.slice(README.indexOf('## Walk-through (curl)'));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README has no sh block under "## Walk-through (curl)"');
  return block[1]!;
}

let stack: Stack;
let dir: string;
beforeAll(async () => {
  stack = await startStack({ redisUrl: inject('redisUrl'), apis: 1, workers: 1 });
  dir = mkdtempSync(join(tmpdir(), 'convoy-readme-'));
  // Where `npm start` keeps the admin key it creates; the stack runs with this one.
  mkdirSync(join(dir, '.convoy'));
  writeFileSync(join(dir, '.convoy/admin.key'), `${TEST_ADMIN_KEY}\n`, { mode: 0o600 });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('README walk-through', () => {
  it('runs verbatim: submit, follow the stream to its end, poll, download safetensors, predict', async () => {
    const script = walkthrough();
    expect(script).toContain('http://127.0.0.1:3000');
    const { stdout } = await promisify(execFile)(
      'bash',
      ['-euo', 'pipefail', '-c', script.replaceAll('http://127.0.0.1:3000', stack.url)],
      {
        cwd: dir,
        timeout: 150_000,
        maxBuffer: 64 << 20,
      },
    );
    // 2. the stream: from the snapshot to `completed`, then curl returns because the server ends it
    const events = [...stdout.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(events[0]).toBe('snapshot');
    expect(events.filter((e) => e === 'epoch')).toHaveLength(2);
    expect(events.at(-1)).toBe('completed');
    // 3. the poll and 5. the predictions: curl -s adds no newline, so both sit on the last line
    const last = stdout.trimEnd().split('\n').at(-1)!;
    const cut = last.indexOf('{"predictions"');
    expect(cut, last).toBeGreaterThan(0);
    const job = JSON.parse(last.slice(0, cut)) as { status: string; name: string; history: unknown[] };
    expect([job.status, job.name, job.history.length]).toEqual(['succeeded', 'first-lenet', 2]);
    const { predictions } = JSON.parse(last.slice(cut)) as { predictions: { label: number; probabilities: number[] }[] };
    expect(predictions).toHaveLength(2);
    for (const p of predictions) {
      expect(p.probabilities).toHaveLength(10);
      expect(p.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
    // 4. the weights file: LeNet-5's tensors
    const file = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'first-lenet.safetensors'))));
    expect(file.tensors.reduce((n, t) => n + t.data.length, 0)).toBe(61_706);
  }, 180_000);
});
