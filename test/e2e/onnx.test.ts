// The ONNX export through the real service: jobs whose models hold every layer type (between them)
// train for a few steps on API and worker processes; the file from GET /v1/jobs/{id}/weights?format=onnx (through
// the typed client, and through `convoy weights ID --format onnx` as docs/clients.md shows) runs in
// onnxruntime-node to the probabilities POST /v1/jobs/{id}/predict answers, within 1e-5.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Convoy } from 'convoy/client';
import { decodeSafetensors, type ModelSpec } from '../../src/engine/index.js';
import { TEST_ADMIN_KEY } from '../helpers/auth.js';
import { seededUniform } from '../helpers/compare.js';
import { BLOCKS_SPEC, FLAT_SPEC, maxAbsDiff, runOnnx } from '../helpers/onnx.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
let convoy: Convoy;
const dir = mkdtempSync(join(tmpdir(), 'convoy-onnx-'));

beforeAll(async () => {
  stack = await startStack({ redisUrl: inject('redisUrl'), apis: 1, workers: 1 });
  convoy = new Convoy({ baseUrl: stack.url, apiKey: TEST_ADMIN_KEY });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A job of six steps on 24 random samples of three classes: enough to move every weight and running statistic. */
function job(model: ModelSpec, seed: number) {
  const size = model.input.reduce((a, b) => a * b, 1);
  const samples = Array.from({ length: 24 }, (_, i) => Array.from(seededUniform(size, seed + i, 0, 1), (v) => Math.round(v * 1000) / 1000));
  return {
    name: 'onnx-export',
    model,
    dataset: { inline: { shape: model.input, samples, labels: samples.map((_, i) => i % 3) } },
    training: { epochs: 2, batchSize: 8, optimizer: { type: 'adam', learningRate: 0.01 }, seed },
  };
}

async function cliWeights(id: string, file: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [resolve('dist/src/cli/convoy.js'), 'weights', id, '--format', 'onnx', '-o', file],
    {
      env: { PATH: process.env.PATH, CONVOY_URL: stack.url, CONVOY_API_KEY: TEST_ADMIN_KEY },
      timeout: 60_000,
    },
  );
  return stdout.trim();
}

/** A job on 0-255 pixels (input_scale 255: the file divides its input by 255, as /predict). */
const PIXELS_SPEC: ModelSpec = {
  input: [1, 28, 28],
  layers: [
    { type: 'conv2d', filters: 4, kernelSize: 5, stride: 2, padding: 'same', activation: 'relu' },
    { type: 'batchNorm2d' },
    { type: 'globalAvgPool2d' },
    { type: 'dense', units: 10 },
  ],
};
const pixelsJob = {
  name: 'onnx-export-pixels',
  model: PIXELS_SPEC,
  dataset: { builtin: 'fashion-mnist', trainSize: 128, testSize: 32 },
  training: { epochs: 1, batchSize: 32, optimizer: { type: 'adam', learningRate: 0.01 }, seed: 5 },
};

describe('GET /v1/jobs/{id}/weights?format=onnx', () => {
  it.each([
    ['blocks', BLOCKS_SPEC, job(BLOCKS_SPEC, 3), 1],
    ['flat', FLAT_SPEC, job(FLAT_SPEC, 4), 1],
    ['pixels', PIXELS_SPEC, pixelsJob, 255],
  ] as const)(
    'a trained job (%s model) runs in ONNX Runtime to the probabilities of /predict within 1e-5',
    async (name, model, submission, range) => {
      const { id } = await convoy.submit(submission as never);
      expect((await convoy.waitFor(id)).status).toBe('succeeded');

      // The file the export reads: batch norm's running statistics are in it once the worker saves
      // them; without them the export and /predict both normalise with their start values.
      const names = decodeSafetensors(new Uint8Array(await convoy.weights(id))).tensors.map((t) => t.name);
      console.log(`${name}: ${names.length} tensors, ${names.filter((n) => n.includes('running_')).length} running statistics`);

      const res = await fetch(`${stack.url}/v1/jobs/${id}/weights?format=onnx`, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/onnx');
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${id}.onnx"`);
      expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{64}\.onnx"$/);
      const file = new Uint8Array(await res.arrayBuffer());

      const n = 5;
      const size = model.input.reduce((a, b) => a * b, 1);
      const x = seededUniform(n * size, 99, 0, range);
      const inputs = Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * size, (i + 1) * size)));
      const { predictions } = await convoy.predict(id, inputs);
      const expected = predictions.flatMap((p: { probabilities: number[] }) => p.probabilities);
      const onnx = await runOnnx(file, x, n, model.input);
      const diff = maxAbsDiff(onnx.probabilities, expected);
      console.log(`${name}: max |onnx - /predict| over ${expected.length} probabilities: ${diff.toExponential(2)}`);
      expect(diff).toBeLessThan(1e-5);

      // the CLI writes the same file
      const out = join(dir, `${name}.onnx`);
      expect(await cliWeights(id, out)).toBe(out);
      expect(Buffer.from(readFileSync(out)).equals(Buffer.from(file))).toBe(true);
    },
  );

  it("runs docs/clients.md's ONNX blocks as shown: the CLI downloads the file, the Node snippet runs it to /predict's answer", async () => {
    const { id } = await convoy.submit(pixelsJob as never);
    expect((await convoy.waitFor(id)).status).toBe('succeeded');
    const doc = /## ONNX[\s\S]*?```sh\n([\s\S]*?)```\s*```js\n([\s\S]*?)```/.exec(readFileSync('docs/clients.md', 'utf8'))!;
    // `convoy` on PATH as `npm link` makes it; onnxruntime-node installed beside the snippet
    const work = mkdtempSync(join(dir, 'doc-'));
    writeFileSync(join(work, 'convoy'), `#!/bin/sh\nexec "${process.execPath}" "${resolve('dist/src/cli/convoy.js')}" "$@"\n`, {
      mode: 0o755,
    });
    symlinkSync(resolve('node_modules'), join(work, 'node_modules'));
    writeFileSync(join(work, 'predict.mjs'), doc[2]!);
    const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', doc[1]!], {
      cwd: work,
      env: { PATH: `${work}:${process.env.PATH}`, ID: id, CONVOY_URL: stack.url, CONVOY_API_KEY: TEST_ADMIN_KEY },
      timeout: 60_000,
    });
    const printed = stdout.trim().split('\n').at(-1)!.split(' ').map(Number);
    const { predictions } = await convoy.predict(id, [Array(28 * 28).fill(0)]);
    expect(printed).toHaveLength(10);
    expect(maxAbsDiff(printed, predictions[0]!.probabilities)).toBeLessThanOrEqual(5.1e-5); // printed to 4 decimals
  });
});
