// The engine against PyTorch itself, for the layers PyTorch users will load the weights into:
// batch norm (2d, 1d), residual blocks with and without a projection shortcut, global average
// pooling, label smoothing. The engine writes its weights as a safetensors file; test/engine/torch/
// reference.py builds the torch.nn module the spec describes, loads the file with
// load_state_dict(strict=True) (so the names, shapes and buffers match PyTorch's), and runs one
// training step with ghost batch norm: each micro-shard through the module on its own, in train mode.
// Both sides then report the batch-mean loss, every parameter's gradient, the running statistics
// after the step and the logits at inference.
//
// Runs when a python with torch is found (/usr/bin/python3, then python3 on PATH); otherwise it
// says it was skipped. Bar: relative error vs max |torch| < 1e-4 (1e-5 for loss and statistics).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  computeGradients,
  createModel,
  encodeSafetensors,
  exportWeights,
  fashionResnet,
  forward,
  Rng,
  updateRunningStats,
  type ModelSpec,
} from '../../src/engine/index.js';
import { relativeError } from '../helpers/compare.js';

const script = fileURLToPath(new URL('./torch/reference.py', import.meta.url));
const env = {
  ...process.env,
  // Debian's python3-torch needs its BLAS on the path; one thread keeps it quiet on a shared machine
  LD_LIBRARY_PATH: ['/usr/lib/x86_64-linux-gnu/openblas-pthread', process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
  OMP_NUM_THREADS: '1',
  OPENBLAS_NUM_THREADS: '1',
};
const python = ['/usr/bin/python3', 'python3'].find((py) => spawnSync(py, ['-c', 'import torch'], { env }).status === 0);
const dir = mkdtempSync(join(tmpdir(), 'convoy-torch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface TorchResult {
  torch: string;
  loss: number;
  grads: Record<string, number[]>;
  buffers: Record<string, number[]>;
  logits: number[];
  stateDict: string[];
}

/** One ghost-batch-norm training step on both sides; returns what each computed. */
function step(spec: ModelSpec, n: number, shardSize: number, labelSmoothing: number, seed: number) {
  const model = createModel(spec, { seed });
  const rng = new Rng(seed + 1);
  for (const p of model.params) {
    // biases and batch norm's shift and scale away from their 0 / 1 start, so that they matter
    if (p.kind === 'bias' || p.shape.length === 1) {
      for (let i = p.offset; i < p.offset + p.size; i++) model.weights[i] = (p.kind === 'bias' ? 0 : 1) + 0.2 * rng.normal();
    }
  }
  for (const b of model.buffers) {
    for (let i = b.offset; i < b.offset + b.size; i++) model.bufferValues[i] = b.init === 'ones' ? 0.5 + rng.next() : 0.3 * rng.normal();
  }
  const file = join(dir, `weights-${seed}.safetensors`);
  writeFileSync(file, encodeSafetensors(exportWeights(model)));
  const x = new Float32Array(n * model.inputSize).map(() => rng.next());
  const labels = Int32Array.from({ length: n }, () => rng.int(model.classes));
  const shards: [number, number][] = [];
  for (let a = 0; a < n; a += shardSize) shards.push([a, Math.min(a + shardSize, n)]);

  const request = { spec, weights: file, x: Array.from(x), n, labels: Array.from(labels), shards, labelSmoothing };
  const run = spawnSync(python!, [script], { env, input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`reference.py failed: ${run.stderr}`);
  const torch = JSON.parse(run.stdout) as TorchResult;

  model.grads.fill(0);
  const slots = shards.map(() => new Float32Array(model.bufferCount));
  let lossSum = 0;
  shards.forEach(([from, to], s) => {
    model.bindBatchStats(slots[s]!);
    const size = model.inputSize;
    const args = { x: x.subarray(from * size, to * size), labels: labels.subarray(from, to), n: to - from, scale: 1 / n };
    lossSum += computeGradients(model, { ...args, labelSmoothing, sampleOffset: from }).lossSum;
  });
  updateRunningStats(
    model,
    shards.map(([from, to], s) => ({ stats: slots[s]!, n: to - from })),
  );
  return { model, torch, loss: lossSum / n, logits: Float32Array.from(forward(model, x, n)) };
}

function compare(result: ReturnType<typeof step>): void {
  const { model, torch } = result;
  expect(Math.abs(result.loss - torch.loss) / torch.loss, 'loss').toBeLessThan(1e-5);
  expect(Object.keys(torch.grads).sort()).toEqual(model.params.map((p) => p.name).sort());
  for (const p of model.params) {
    const err = relativeError(model.grads.subarray(p.offset, p.offset + p.size), torch.grads[p.name]!);
    expect(err, `d ${p.name}`).toBeLessThan(1e-4);
  }
  expect(Object.keys(torch.buffers).sort()).toEqual(model.buffers.map((b) => b.name).sort());
  for (const b of model.buffers) {
    const err = relativeError(model.bufferValues.subarray(b.offset, b.offset + b.size), torch.buffers[b.name]!);
    expect(err, `${b.name} after the step`).toBeLessThan(1e-5);
  }
  expect(relativeError(result.logits, torch.logits), 'logits at inference').toBeLessThan(1e-4);
  // the file loaded with strict=True: the state dict is the engine's tensors plus num_batches_tracked
  const tracked = torch.stateDict.filter((k) => k.endsWith('num_batches_tracked'));
  expect(tracked.length).toBe(model.buffers.length / 2);
  expect(torch.stateDict.filter((k) => !k.endsWith('num_batches_tracked'))).toEqual(
    exportWeights(model)
      .map((t) => t.name)
      .sort(),
  );
}

const small: ModelSpec = {
  input: [2, 8, 8],
  layers: [
    { type: 'conv2d', filters: 3, kernelSize: 3, padding: 1, useBias: false },
    { type: 'batchNorm2d', momentum: 0.3 },
    { type: 'relu' },
    {
      type: 'residual',
      layers: [
        { type: 'conv2d', filters: 4, kernelSize: 3, stride: 2, padding: 1, useBias: false },
        { type: 'batchNorm2d', eps: 1e-3 },
        { type: 'elu' },
        { type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same' },
      ],
      shortcut: { stride: 2 },
    },
    { type: 'residual', layers: [{ type: 'conv2d', filters: 4, kernelSize: 1, activation: 'tanh' }, { type: 'batchNorm2d' }] },
    // (batchNorm1d cancels a shift common to a shard's samples: a nonlinearity and pooling over
    // several pixels keep the shifts above from being common, so their gradients are not ~0)
    { type: 'leakyRelu', alpha: 0.2 },
    { type: 'maxPool2d', poolSize: 2, stride: 1 },
    { type: 'globalAvgPool2d' },
    { type: 'batchNorm1d' },
    { type: 'dense', units: 5 },
  ],
};

describe('engine vs PyTorch: ghost batch norm, residual blocks, global average pooling, label smoothing', () => {
  if (!python) {
    it('skipped: no python with torch (tried /usr/bin/python3 and python3)', () => {
      console.log('skipped: the PyTorch cross-check needs `python3 -c "import torch"` to work (Debian: apt-get install python3-torch)');
    });
    return;
  }

  it('a small residual + batch norm net, batch 10 in shards of 4, 4, 2, label smoothing 0.1', () => {
    compare(step(small, 10, 4, 0.1, 3));
  });

  it('fashion-resnet, batch 8 in shards of 4, no smoothing', () => {
    const result = step(fashionResnet, 8, 4, 0, 5);
    compare(result);
    console.log(`PyTorch ${result.torch.torch}: fashion-resnet loss ${result.loss.toFixed(6)} vs ${result.torch.loss.toFixed(6)}`);
  });
});
