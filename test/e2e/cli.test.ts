// The `convoy` CLI (dist/src/cli/convoy.js, the package's bin) against real API and worker processes,
// as docs/clients.md shows it: submit and follow to the end, list, inspect, logs, weights, predict
// from a PNG, cancel and rm, and the exit codes (0 done, 1 failed job, 2 bad input).
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TEST_ADMIN_KEY } from '../helpers/auth.js';
import { toySpec } from '../helpers/jobs.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
const dir = mkdtempSync(join(tmpdir(), 'convoy-cli-'));
const CLI = resolve('dist/src/cli/convoy.js');

async function convoy(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH, CONVOY_URL: stack.url, CONVOY_API_KEY: TEST_ADMIN_KEY },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  stack = await startStack({ redisUrl: inject('redisUrl'), apis: 1, workers: 1 });
});
afterAll(async () => {
  await stack?.stop();
});

describe('convoy CLI', () => {
  it("runs docs/clients.md's CLI block verbatim", async () => {
    const doc = readFileSync('docs/clients.md', 'utf8');
    const script = /## The `convoy` CLI[\s\S]*?```sh\n([\s\S]*?)```/.exec(doc)![1]!;
    // `convoy` on PATH, as `npm link` makes it; the files the block names, in its working folder.
    const bin = mkdtempSync(join(tmpdir(), 'convoy-bin-'));
    writeFileSync(join(bin, 'convoy'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
    const work = mkdtempSync(join(tmpdir(), 'convoy-doc-'));
    mkdirSync(join(work, 'examples'));
    copyFileSync(resolve('examples/first-lenet.json'), join(work, 'examples/first-lenet.json'));
    writeFileSync(join(work, 'shoe.png'), PNG.sync.write(new PNG({ width: 28, height: 28 })));
    writeFileSync(join(work, 'tiny.csv'), '0,1,2,3,4\n1,5,6,7,8\n');
    const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: work,
      env: { PATH: `${bin}:${process.env.PATH}`, CONVOY_URL: stack.url, CONVOY_API_KEY: TEST_ADMIN_KEY },
      timeout: 180_000,
    });
    expect(stdout).toMatch(/^completed \(epochs\)/m);
    expect(stdout).toMatch(/^shoe\.png\t\S.*\t0\.\d{4}$/m);
    expect(stdout).toMatch(/"format": "csv"/);
    expect(stdout).toMatch(/^deleted /m);
  });

  it("runs README's CLI walk-through, with first-lenet in place of the 8-minute reference run", async () => {
    const readme = readFileSync('README.md', 'utf8');
    const script = /## Walk-through \(the `convoy` CLI\)[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(script).toContain('convoy submit examples/fashion-cnn.json --follow');
    // The reference run's file is one the API accepts as it is.
    const check = await fetch(`${stack.url}/v1/jobs/validate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' },
      body: readFileSync('examples/fashion-cnn.json'),
    });
    expect([check.status, ((await check.json()) as { valid: boolean }).valid]).toEqual([200, true]);
    const bin = mkdtempSync(join(tmpdir(), 'convoy-bin-'));
    writeFileSync(join(bin, 'convoy'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
    const work = mkdtempSync(join(tmpdir(), 'convoy-readme-cli-'));
    mkdirSync(join(work, 'examples'));
    copyFileSync(resolve('examples/first-lenet.json'), join(work, 'examples/fashion-cnn.json'));
    const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: work,
      env: { PATH: `${bin}:${process.env.PATH}`, CONVOY_URL: stack.url, CONVOY_API_KEY: TEST_ADMIN_KEY },
      timeout: 180_000,
    });
    expect(stdout).toMatch(/^completed \(epochs\)/m);
    expect(stdout).toMatch(/^\S+ {2}succeeded .*first-lenet {2}run=reference$/m);
  });

  it('submit --follow trains examples/first-lenet.json to the end; jobs, get, logs, weights and predict read it', async () => {
    const run = await convoy('submit', resolve('examples/first-lenet.json'), '--follow');
    expect(run.code, run.stderr).toBe(0);
    const id = /^job (\S+)$/m.exec(run.stderr)![1]!;
    expect(run.stdout).toMatch(/^epoch 2\/2 done: loss \d/m);
    expect(run.stdout).toMatch(/^completed \(epochs\): loss [\d.]+ accuracy [\d.]+% test [\d.]+%$/m);

    expect((await convoy('jobs')).stdout).toContain(id);
    expect(JSON.parse((await convoy('get', id)).stdout)).toMatchObject({ id, status: 'succeeded', name: 'first-lenet' });
    const logs = (await convoy('logs', id, '--json')).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    expect(logs[0]!.type).toBe('snapshot');
    expect(logs.filter((e) => e.type === 'epoch')).toHaveLength(2);
    expect(logs.at(-1)!.type).toBe('completed');

    const file = (await convoy('weights', id, '-o', 'lenet.safetensors')).stdout.trim();
    expect(file).toBe('lenet.safetensors');
    const header = readFileSync(join(dir, file));
    expect(JSON.parse(header.subarray(8, 8 + Number(header.readBigUInt64LE(0))).toString())).toHaveProperty(['layers.0.weight']);

    // A 56x56 PNG of a bright vertical bar: resized to 28x28 gray, classified, printed with the class name.
    const png = new PNG({ width: 56, height: 56 });
    for (let y = 0; y < 56; y++) {
      for (let x = 0; x < 56; x++) {
        const v = x > 20 && x < 36 ? 255 : 0;
        png.data.set([v, v, v, 255], (y * 56 + x) * 4);
      }
    }
    writeFileSync(join(dir, 'bar.png'), PNG.sync.write(png));
    const predicted = await convoy('predict', id, 'bar.png');
    expect(predicted.code, predicted.stderr).toBe(0);
    expect(predicted.stdout).toMatch(
      /^bar\.png\t(T-shirt\/top|Trouser|Pullover|Dress|Coat|Sandal|Shirt|Sneaker|Bag|Ankle boot)\t0\.\d{4}$/m,
    );
  });

  it('exit codes: 2 for bad input (naming the field), 1 for a job that fails; cancel and rm', async () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...toySpec(), training: { ...toySpec().training, batchSize: 100_000 } }));
    const bad = await convoy('submit', 'bad.json');
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('(/training/batchSize)')]);
    expect((await convoy('submit', 'missing.json')).code).toBe(2);
    expect((await convoy('get')).code).toBe(2); // a missing argument

    // A job whose loss blows up (huge inputs, a large step): it fails with code diverged.
    const diverging = toySpec({ optimizer: { type: 'sgd', learningRate: 10 }, loss: 'mse', epochs: 5 });
    if ('inline' in diverging.dataset)
      diverging.dataset.inline.samples = diverging.dataset.inline.samples.map((s) => s.map((v) => v * 1e6));
    writeFileSync(join(dir, 'diverges.json'), JSON.stringify(diverging));
    const diverged = await convoy('submit', 'diverges.json', '--follow');
    expect([diverged.code, diverged.stdout]).toEqual([1, expect.stringMatching(/^failed: diverged: /m)]);

    writeFileSync(join(dir, 'long.json'), JSON.stringify(toySpec({ epochs: 500 })));
    const id = (await convoy('submit', 'long.json')).stdout.trim();
    expect(JSON.parse((await convoy('cancel', id)).stdout)).toMatchObject({ id });
    const end = await convoy('logs', id, '--follow');
    expect(end.code).toBe(1); // cancelled
    expect((await convoy('rm', id)).stdout).toContain(`deleted ${id}`);
    expect((await convoy('get', id)).code).toBe(2); // 404
  });

  it('tags jobs on submit and finds them: jobs --tag k=v (repeatable), --status, --name; bad filters exit 2', async () => {
    const run = `cli-${Date.now()}`;
    writeFileSync(join(dir, 'toy.json'), JSON.stringify(toySpec({ epochs: 1 })));
    writeFileSync(join(dir, 'long.json'), JSON.stringify(toySpec({ epochs: 500 })));
    const done = await convoy('submit', 'toy.json', '--follow', '--name', 'tagged-a', '--tag', `run=${run}`, '--tag', 'team=vision');
    expect(done.code, done.stderr).toBe(0);
    const a = /^job (\S+)$/m.exec(done.stderr)![1]!;
    const b = (await convoy('submit', 'long.json', '--name', 'tagged-b', '--tag', `run=${run}`)).stdout.trim();
    await convoy('cancel', b);
    expect((await convoy('logs', b, '--follow')).code).toBe(1); // cancelled

    const ids = async (...args: string[]) => {
      const res = await convoy('jobs', '--tag', `run=${run}`, ...args, '--json');
      expect(res.code, res.stderr).toBe(0);
      return (JSON.parse(res.stdout) as { items: { id: string }[] }).items.map((j) => j.id);
    };
    expect(await ids()).toEqual([b, a]);
    expect(await ids('--status', 'succeeded')).toEqual([a]);
    expect(await ids('--status', 'cancelled')).toEqual([b]);
    expect(await ids('--name', 'tagged-b')).toEqual([b]);
    const table = await convoy('jobs', '--tag', `run=${run}`, '--tag', 'team=vision');
    expect(table.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^${a}  succeeded .*tagged-a  run=${run}  team=vision$`)),
    ]);

    expect((await convoy('jobs', '--tag', 'novalue')).stderr).toContain('expected key=value');
    expect((await convoy('jobs', '--tag', 'novalue')).code).toBe(2);
    expect((await convoy('jobs', '--status', 'done')).code).toBe(2);
    const late = await convoy('jobs', '--created-after', 'yesterday');
    expect([late.code, late.stderr]).toEqual([2, expect.stringContaining('(querystring/createdAfter)')]);
  });
});
