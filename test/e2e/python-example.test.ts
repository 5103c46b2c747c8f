// examples/python/train_and_compare.py run as docs/clients.md shows it (its command, verbatim)
// against real API and worker processes, with Debian's /usr/bin/python3 and its python3-torch: it
// submits, follows the event stream (through a proxy that cuts its first two connections: it
// resumes with Last-Event-ID), rebuilds the model in PyTorch from the safetensors weights and exits
// 0 only when PyTorch's probabilities equal /predict's within 1e-5. Without `import torch` working
// it says it was skipped.
import { execFile, spawnSync } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
let proxy: Server | undefined;
const work = mkdtempSync(join(tmpdir(), 'convoy-python-'));
beforeAll(async () => {
  if (!hasTorch) return;
  stack = await startStack({ redisUrl: inject('redisUrl'), apis: 1, workers: 1 });
  proxy = await cuttingProxy(stack.url, 2);
});
afterAll(async () => {
  proxy?.close();
  await stack?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Forwards to `target`; the first `cuts` event streams are cut after their third chunk, as a dropped connection. */
async function cuttingProxy(target: string, cuts: number): Promise<Server> {
  const to = new URL(target);
  const server = createServer((req, res) => {
    const options = { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers, agent: false };
    const upstream = request(options, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      let chunks = 0;
      const cut = req.url!.endsWith('/events') && cuts-- > 0;
      answer.on('data', (chunk) => {
        res.write(chunk);
        if (cut && ++chunks === 3) {
          res.socket?.destroy();
          answer.destroy();
        }
      });
      answer.on('end', () => res.end());
    });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

describe.skipIf(!hasTorch)('examples/python/train_and_compare.py', () => {
  it('trains, follows, rebuilds the model in PyTorch and gets the probabilities of /predict within 1e-5', async () => {
    const command = /## Python[\s\S]*?```sh\n([\s\S]*?)```/.exec(readFileSync('docs/clients.md', 'utf8'))![1]!;
    // The folder `npm start` runs in: the example, and the admin key it writes; `python3` is Debian's.
    cpSync(resolve('examples/python'), join(work, 'examples/python'), { recursive: true });
    mkdirSync(join(work, '.convoy'));
    writeFileSync(join(work, '.convoy/admin.key'), `${TEST_ADMIN_KEY}\n`);
    writeFileSync(join(work, 'python3'), `#!/bin/sh\nexec ${PYTHON} "$@"\n`, { mode: 0o755 });
    const url = `http://127.0.0.1:${(proxy!.address() as AddressInfo).port}`;
    const { stdout, stderr } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', command], {
      cwd: work,
      env: { PATH: `${work}:${process.env.PATH}`, ...TORCH_ENV, CONVOY_URL: url },
      timeout: 240_000,
    });
    console.log(stdout, stderr);
    expect(stderr.match(/^the stream closed before the job ended; resuming after event \S+$/gm)).toHaveLength(2);
    for (const epoch of [1, 2]) expect(stdout.match(new RegExp(`^epoch ${epoch}: `, 'gm'))).toHaveLength(1); // none lost or doubled
    expect(stdout).toMatch(/^job [0-9a-f-]{36}$/m);
    expect(stdout).toMatch(/^epoch 2: loss \d+\.\d+, test accuracy 0\.\d+$/m);
    // 17 parameter tensors and the two batch-norm layers' running mean and variance
    expect(stdout).toMatch(/^weights: \d+ bytes, 21 tensors, 11154 parameters$/m);
    const diff = Number(/^max \|torch - \/predict\| = (\S+) over 40 probabilities$/m.exec(stdout)?.[1]);
    expect(diff).toBeLessThan(1e-5);
  }, 300_000);
});
