// The ONNX export against ONNX Runtime: for models that between them hold every layer type, with
// random weights and non-trivial batch-norm running statistics, onnxruntime-node's probabilities
// equal the engine's predict() within 1e-5. Also: the file declares opset 13, keeps the weights'
// names, and a weights file that is not the spec's is refused naming the tensor.
import { describe, expect, it } from 'vitest';
import {
  createModel,
  encodeSafetensors,
  exportWeights,
  LAYER_TYPES,
  loadWeights,
  predict,
  type ModelSpec,
} from '../../src/engine/index.js';
import { decodeModel, OnnxExportError, ONNX_OPSET, toOnnx } from '../../src/onnx/index.js';
import { seededUniform } from '../helpers/compare.js';
import { BLOCKS_SPEC, FLAT_SPEC, maxAbsDiff, runOnnx } from '../helpers/onnx.js';

/** A model with random weights, and running statistics far from their 0 / 1 start. */
function trainedLike(spec: ModelSpec, seed: number) {
  const model = createModel(spec, { seed });
  model.weights.set(seededUniform(model.weights.length, seed + 1, -0.6, 0.6));
  for (const b of model.buffers) {
    const [lo, hi] = b.name.endsWith('running_var') ? [0.2, 3] : [-1, 1];
    model.bufferValues.set(seededUniform(b.size, seed + b.offset + 2, lo, hi), b.offset);
  }
  return model;
}

function layerTypes(layers: readonly { type: string; layers?: unknown }[]): string[] {
  return layers.flatMap((l) => [l.type, ...(Array.isArray(l.layers) ? layerTypes(l.layers) : [])]);
}

describe('ONNX export', () => {
  it('the two test models hold every layer type the engine has', () => {
    const types = new Set([...layerTypes(BLOCKS_SPEC.layers), ...layerTypes(FLAT_SPEC.layers)]);
    expect(LAYER_TYPES.filter((t) => !types.has(t))).toEqual([]);
  });

  it.each([
    ['blocks', BLOCKS_SPEC],
    ['flat', FLAT_SPEC],
  ])('ONNX Runtime gives the engine predict() probabilities within 1e-5 (%s model)', async (_, spec) => {
    const model = trainedLike(spec, 11);
    expect(model.buffers.length).toBeGreaterThan(0);
    const n = 7;
    const x = seededUniform(n * model.inputSize, 5, -2, 2);
    const file = toOnnx(spec, encodeSafetensors(exportWeights(model)), { name: 'test' });
    const onnx = await runOnnx(file, x, n, spec.input);
    const expected = predict(model, x, n);
    const diff = maxAbsDiff(onnx.probabilities, expected);
    console.log(`max |onnx - engine| over ${n} x ${model.classes} probabilities: ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-5);
    // the samples are told apart: not a constant output that would match anything
    expect(maxAbsDiff(expected.subarray(0, model.classes), expected.subarray(model.classes, 2 * model.classes))).toBeGreaterThan(1e-3);
    const rows = Array.from({ length: n }, (_, i) => onnx.probabilities.subarray(i * model.classes, (i + 1) * model.classes));
    for (const row of rows) expect(row.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5);
  });

  it('takes the values /predict takes: a weights file with input_scale 255 divides the input by it first', async () => {
    const model = trainedLike(FLAT_SPEC, 12);
    const x = seededUniform(4 * model.inputSize, 13, 0, 255);
    const file = toOnnx(FLAT_SPEC, encodeSafetensors(exportWeights(model), { input_scale: '255' }), { name: 'x' });
    const onnx = await runOnnx(file, x, 4, FLAT_SPEC.input);
    expect(
      maxAbsDiff(
        onnx.probabilities,
        predict(
          model,
          x.map((v) => v / 255),
          4,
        ),
      ),
    ).toBeLessThan(1e-5);
    expect(decodeModel(file).graph.node[0]).toMatchObject({ op_type: 'Div', input: ['input', 'input_scale'] });
  });

  it('declares opset 13, the input and both outputs, and keeps the weights file names as initializers', () => {
    const model = trainedLike(BLOCKS_SPEC, 3);
    const onnx = decodeModel(toOnnx(BLOCKS_SPEC, encodeSafetensors(exportWeights(model)), { name: 'job-1', doc: 'a Convoy job' }));
    expect(onnx.opset_import).toEqual([{ domain: '', version: ONNX_OPSET }]);
    expect(ONNX_OPSET).toBeGreaterThanOrEqual(13);
    expect(onnx).toMatchObject({ producer_name: 'convoy', doc_string: 'a Convoy job', graph: { name: 'job-1' } });
    expect(onnx.graph.input.map((v) => v.name)).toEqual(['input']);
    expect(onnx.graph.input[0]!.type.tensor_type.shape.dim).toEqual([
      { dim_param: 'N' },
      { dim_value: 2 },
      { dim_value: 9 },
      { dim_value: 9 },
    ]);
    expect(onnx.graph.output.map((v) => v.name)).toEqual(['logits', 'probabilities']);
    expect(onnx.graph.initializer.map((t) => t.name).sort()).toEqual([...model.params, ...model.buffers].map((p) => p.name).sort());
    const ops =
      'Conv Elu BatchNormalization MaxPool Relu Add Identity LeakyRelu AveragePool Sigmoid GlobalAveragePool Flatten Gemm Tanh Softmax';
    expect(new Set(onnx.graph.node.map((n) => n.op_type))).toEqual(new Set(ops.split(' ')));
  });

  it('a file without running statistics gives their start values (mean 0, variance 1), as predict() after loading it', async () => {
    const trained = trainedLike(BLOCKS_SPEC, 8);
    const params = exportWeights({ params: trained.params, weights: trained.weights }); // no buffers
    const fresh = createModel(BLOCKS_SPEC);
    loadWeights({ params: fresh.params, weights: fresh.weights }, params);
    const x = seededUniform(3 * fresh.inputSize, 6, -2, 2);
    const onnx = await runOnnx(toOnnx(BLOCKS_SPEC, encodeSafetensors(params), { name: 'x' }), x, 3, BLOCKS_SPEC.input);
    expect(maxAbsDiff(onnx.probabilities, predict(fresh, x, 3))).toBeLessThan(1e-5);
    expect(maxAbsDiff(onnx.probabilities, predict(trained, x, 3))).toBeGreaterThan(1e-4); // the statistics matter
  });

  it('refuses weights that are not the spec’s, naming the tensor', () => {
    const tensors = exportWeights(trainedLike(FLAT_SPEC, 2));
    const without = tensors.filter((t) => t.name !== 'layers.7.bias');
    expect(() => toOnnx(FLAT_SPEC, encodeSafetensors(without), { name: 'x' })).toThrow(
      new OnnxExportError("the weights have no tensor 'layers.7.bias'"),
    );
    const reshaped = tensors.map((t) => (t.name === 'layers.5.weight' ? { ...t, shape: [27, 5] } : t));
    expect(() => toOnnx(FLAT_SPEC, encodeSafetensors(reshaped), { name: 'x' })).toThrow(
      /tensor 'layers.5.weight' has shape \[27, 5\], the spec gives \[5, 27\]/,
    );
    const extra = [...tensors, { name: 'layers.9.extra', shape: [1], data: new Float32Array(1) }];
    expect(() => toOnnx(FLAT_SPEC, encodeSafetensors(extra), { name: 'x' })).toThrow(/no place for: layers.9.extra/);
  });
});
