// ONNX Runtime (onnxruntime-node, CPU) on an exported model, and two small specs that between them
// hold every layer type the engine has: the engine-level and API-level ONNX tests share them.
import * as ort from 'onnxruntime-node';
import type { ModelSpec } from '../../src/engine/index.js';

/** Every layer type but flatten: 'same' padding with odd totals (asymmetric pads), batch norm 2d and 1d,
 * residual blocks with and without a projection shortcut, global average pooling, dropout2d, every activation. */
export const BLOCKS_SPEC: ModelSpec = {
  input: [2, 9, 9],
  layers: [
    { type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same', activation: 'elu', alpha: 0.7 },
    { type: 'batchNorm2d', eps: 1e-3 },
    { type: 'maxPool2d', poolSize: 2, padding: 'same' },
    {
      type: 'residual',
      layers: [
        { type: 'conv2d', filters: 4, kernelSize: 3, padding: 1, useBias: false },
        { type: 'batchNorm2d' },
        { type: 'relu' },
        { type: 'conv2d', filters: 4, kernelSize: 3, padding: 1 },
      ],
    },
    { type: 'dropout2d', rate: 0.2 },
    {
      type: 'residual',
      layers: [
        { type: 'conv2d', filters: 6, kernelSize: 3, stride: 2, padding: 1, activation: 'relu' },
        { type: 'batchNorm2d', momentum: 0.3 },
      ],
      shortcut: { stride: 2 },
    },
    { type: 'leakyRelu', alpha: 0.1 },
    { type: 'avgPool2d', poolSize: 2, stride: 1, padding: 'same' },
    { type: 'residual', layers: [{ type: 'conv2d', filters: 6, kernelSize: 1, activation: 'sigmoid' }], shortcut: { useBias: false } },
    { type: 'globalAvgPool2d' },
    { type: 'batchNorm1d' },
    { type: 'dense', units: 8, activation: 'tanh' },
    { type: 'dropout', rate: 0.3 },
    { type: 'elu' },
    { type: 'dense', units: 3 },
  ],
};

/** Flatten, rectangular kernels and strides, numeric and 'valid' padding, a bias-free dense, sigmoid and tanh layers. */
export const FLAT_SPEC: ModelSpec = {
  input: [1, 6, 7],
  layers: [
    { type: 'conv2d', filters: 3, kernelSize: [2, 3], stride: [1, 2], padding: 1, activation: 'relu' },
    { type: 'avgPool2d', poolSize: 2, padding: 1 },
    { type: 'maxPool2d', poolSize: [2, 1], stride: 1 },
    { type: 'sigmoid' },
    { type: 'flatten' },
    { type: 'dense', units: 5, useBias: false },
    { type: 'tanh' },
    { type: 'batchNorm1d', eps: 0.01 },
    { type: 'dense', units: 4, activation: 'leakyRelu', alpha: 0.2 },
    { type: 'dense', units: 3 },
  ],
};

/** ONNX Runtime's logits and probabilities for n samples of the model's input shape. */
export async function runOnnx(file: Uint8Array, x: Float32Array, n: number, input: readonly number[]) {
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const out = await session.run({ input: new ort.Tensor('float32', x, [n, ...input]) });
    return { logits: out.logits!.data as Float32Array, probabilities: out.probabilities!.data as Float32Array };
  } finally {
    await session.release();
  }
}

/** The largest absolute difference between two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}
