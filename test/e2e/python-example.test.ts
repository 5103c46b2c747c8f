// examples/python/train_and_compare.py run as docs/clients.md shows it (its command, verbatim)
// against real API and worker processes, with Debian's /usr/bin/python3 and its python3-torch: it submits, follows the event
// stream, rebuilds the model in PyTorch from the safetensors weights and exits 0 only when PyTorch's
// probabilities equal /predict's within 1e-5. Without `import torch` working it says it was skipped.
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TEST_ADMIN_KEY } from '../helpers/auth.js';
import { startStack, type Stack } from '../helpers/stack.js';

const PYTHON = '/usr/bin/python3';
// Debian's python3-torch needs its BLAS on the path; one thread each keeps it quiet on a shared machine.
const TORCH_ENV = {
  LD_LIBRARY_PATH: ['/usr/lib/x86_64-linux-gnu/openblas-pthread', process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
  OMP_NUM_THREADS: '1',
  OPENBLAS_NUM_THREADS: '1',
};
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { env: { ...process.env, ...TORCH_ENV } }).status === 0;
if (!hasTorch)
  console.log(`skipped: the Python example needs PyTorch (\`${PYTHON} -c "import torch"\` failed; apt-get install python3-torch)`);

let stack: Stack | undefined;
const work = mkdtempSync(join(tmpdir(), 'convoy-python-'));
beforeAll(async () => {
  if (hasTorch) stack = await startStack({ redisUrl: inject('redisUrl'), apis: 1, workers: 1 });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!hasTorch)('examples/python/train_and_compare.py', () => {
  it('trains, follows, rebuilds the model in PyTorch and gets the probabilities of /predict within 1e-5', async () => {
    const command = /## Python[\s\S]*?```sh\n([\s\S]*?)```/.exec(readFileSync('docs/clients.md', 'utf8'))![1]!;
    // The folder `npm start` runs in: the example, and the admin key it writes; `python3` is Debian's.
    cpSync(resolve('examples/python'), join(work, 'examples/python'), { recursive: true });
    mkdirSync(join(work, '.convoy'));
    writeFileSync(join(work, '.convoy/admin.key'), `${TEST_ADMIN_KEY}\n`);
    writeFileSync(join(work, 'python3'), `#!/bin/sh\nexec ${PYTHON} "$@"\n`, { mode: 0o755 });
    const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', command], {
      cwd: work,
      env: { PATH: `${work}:${process.env.PATH}`, ...TORCH_ENV, CONVOY_URL: stack!.url },
      timeout: 240_000,
    });
    console.log(stdout);
    expect(stdout).toMatch(/^job [0-9a-f-]{36}$/m);
    expect(stdout).toMatch(/^epoch 2: loss \d+\.\d+, test accuracy 0\.\d+$/m);
    expect(stdout).toMatch(/^weights: \d+ bytes, 17 tensors, 11154 parameters$/m);
    const diff = Number(/^max \|torch - \/predict\| = (\S+) over 40 probabilities$/m.exec(stdout)?.[1]);
    expect(diff).toBeLessThan(1e-5);
  }, 300_000);
});
