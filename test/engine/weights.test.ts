// Named tensors <-> a model's flat weights: names and PyTorch shapes, safetensors
// round trips, loading a file written by PyTorch, and errors that name the tensor.
import { describe, expect, it } from 'vitest';
import { createModel, predict, type ModelSpec } from '../../src/engine/index.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/engine/safetensors.js';
import { exportWeights, loadWeights, WeightsError } from '../../src/engine/weights.js';

const spec: ModelSpec = {
  input: [2, 6, 6],
  layers: [
    { type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'conv2d', filters: 4, kernelSize: 2, useBias: false },
    { type: 'flatten' },
    { type: 'dense', units: 5, activation: 'elu' },
    { type: 'dense', units: 3 },
  ],
};

const input = Float32Array.from({ length: 4 * 2 * 6 * 6 }, (_, i) => Math.sin(i * 0.7) * 2);

function bytesOf(array: Float32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

// Written by torch 2.13 + safetensors 0.8.0 from the equivalent torch.nn.Sequential,
// seeded with torch.manual_seed(3):
//   Conv2d(2, 3, 3, padding=1), ReLU, MaxPool2d(2), Conv2d(3, 4, 2, bias=False), Flatten,
//   Linear(16, 5), ELU, Linear(5, 3)
// state_dict renamed to Convoy's `layers.{i}.*` (i = index in the spec above), plus
// `x` = torch.randn(2, 2, 6, 6) and `probs` = softmax(net(x)) as torch computed them.
const TORCH_FILE_BASE64 =
  'oAIAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJ0b3JjaCI6IjIuMTMuMCtjcHUifSwibGF5ZXJzLjAuYmlhcyI6eyJkdHlwZSI6IkYz' +
  'MiIsInNoYXBlIjpbM10sImRhdGFfb2Zmc2V0cyI6WzAsMTJdfSwibGF5ZXJzLjAud2VpZ2h0Ijp7ImR0eXBlIjoiRjMyIiwic2hh' +
  'cGUiOlszLDIsMywzXSwiZGF0YV9vZmZzZXRzIjpbMTIsMjI4XX0sImxheWVycy4yLndlaWdodCI6eyJkdHlwZSI6IkYzMiIsInNo' +
  'YXBlIjpbNCwzLDIsMl0sImRhdGFfb2Zmc2V0cyI6WzIyOCw0MjBdfSwibGF5ZXJzLjQuYmlhcyI6eyJkdHlwZSI6IkYzMiIsInNo' +
  'YXBlIjpbNV0sImRhdGFfb2Zmc2V0cyI6WzQyMCw0NDBdfSwibGF5ZXJzLjQud2VpZ2h0Ijp7ImR0eXBlIjoiRjMyIiwic2hhcGUi' +
  'Ols1LDE2XSwiZGF0YV9vZmZzZXRzIjpbNDQwLDc2MF19LCJsYXllcnMuNS5iaWFzIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlsz' +
  'XSwiZGF0YV9vZmZzZXRzIjpbNzYwLDc3Ml19LCJsYXllcnMuNS53ZWlnaHQiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzMsNV0s' +
  'ImRhdGFfb2Zmc2V0cyI6Wzc3Miw4MzJdfSwicHJvYnMiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzIsM10sImRhdGFfb2Zmc2V0' +
  'cyI6WzgzMiw4NTZdfSwieCI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMiwyLDYsNl0sImRhdGFfb2Zmc2V0cyI6Wzg1NiwxNDMy' +
  'XX19ICDXDhs+cbdwPbAorb0RTW++HGY+vmfBzr34WGS+ezxbvANXVL4PPAM+uUbrPbtQNj25OTs+xRq9vNCRED43Bym+T0A+vfk0' +
  'V75CxJy8XZccvirUWD40qCc+L/M0Pi4vjz0PsQm+QeNYPpiDa77gCxq+3r4WvoIXyL1lgUA9tdM2vvHxOb4D2+a94k8TPiQWLr5e' +
  'eVi+HzBRvtyJ7b2nqn29ikVvvq8A4r3slJQ7hSUfPWlnCr2z7tq8pQUdvqhM9z0SlGi9cgUlvieAaL134Aa9eilfPpCS+z1o6sK9' +
  '3fcIvRtIVT739nU+dkr9PYKnA74Qx1E+M4yoPIqdWr6+BQO+l2NdvlrVdL7DP+c7ntZTvsuKHT50MwQ+Rll+PS6Rcz50Fwa+PQ+N' +
  'O8OjNT6xW8w9e0IPPZwudz47vYY9IuRGPm7Afr58uX6+q2eFvv/dhTyi2no+8fuAvro96z2kboK+h3JEvoOayb0YaPC9p5+uPR3e' +
  'd77aKJI+r2AsPe4Zzj1Ar0e+xCEjPg0Lir00ExO+Hx9JPXQN9j1wcPo8KNfOverdWz1AmCU9YFqgPZxnJD5ow2m+ABPOOjAbxr08' +
  'WK29EDi+veSFGD787zK+cFLePUiwBD5MGSq+MHJCvqh6Kr6gjli+du5WPpSnYT5Q+g694AtwPpAHkT1KI3u+Hjxqvqw7970eW3++' +
  'IOPqvaB5ij1Atre7GDc/vQCUezxgDWo+gAQyO0K4AD6I0Ha9EgxAvuBNSD1gy+s9btoUPurdcL5gmQe97Kh2vgC4SDsA2jQ8MKGm' +
  'PfCyr72glhW9YEF7PQr4d75M1Ps9IHd3PhAvNr7EpXk+OHUbPWRJfT6CL2A+ui9bvlq5QD5AHgw80MCBPfzLub3cMU2+8PvDPAhw' +
  'jj2uvQA+OrxWvti2d774oPM9eAFNvQD1cbuQ2IS9ANYHOjgUKT2ObGy+hNe8PbA64TyAaOw9CDYEvrhMOj54tio+4JAAvjYmYD6o' +
  'yQM91gJiPhC0aD6gmCA9CPgXvs+Roz4rGqe+/77aPsSrob7q9oC+344/PYiVJT6I+XU+jLTOPCAP2D0ShE++denYPsjjlr5D55Q+' +
  'aZh4Pqj5xz4HPMs+ibGNPkLDDT/ljy0+8XegPuJGBD+W9C0+7L3rv4BQAr+lts6+L1ZwPlUElz+XQrE/yCULv1dFhD7dzB6/w7vR' +
  'PvPY3L7/nwu/MOErQExz0j6uuTq+sAflvpSkrT++JZE/FFGrvoS4uz8O+vY/NcCgvhPgfL/iXJM/XquYvwtVib6ULWW//zJtveV4' +
  'TT4uY1m+YVj1viJU2b/miEC/z4Pkvzmrsj7OQQs/OZxnP1jN2D+ShrG/wlnaP3X0jz9KcP0+c26MvWfIcL8YJp2/cf1AP7+rcD1J' +
  'hT4//aARwOGFCEDSxqu/DHwbvz9AL7/V/Ks92ABov+umt79oD30/vhXIPuZpjT8nani+/Y/+vTKqHL80NZy/i23UP5jM/T00m3i/' +
  '/gNEvxx3fD6TvhK+QUWUPqkpnb9aEDU/22oMP/UGI7+A1Tc+SNnJPvLnLr8XqPs8sLuvPl1oJb97uAlA05S4P1eglb4OP0k/aFWZ' +
  'vo87lb6pZv2/h0P5vsC45D6e0mm/zjZ5vwW0kL8Divk+tX+OP7DImT8cIys/l4vrvRWNVL+oqCI/AdUFvwzqV79Ypsw+tc6Hv3In' +
  'FD+syqS/emIJv8yNMT8XDVQ+aXBDPo/U2r4z8iK/gyfXv9ASFMD6e4U/gQvPvgxfy742Gr6+wV5Qv0QAhb98yQG/p9xjPt/9hz7m' +
  '81U+EYSYvufjBUDIDDu+Ct4ev7bItr862FC/AGh7vRNFDr8xWtu/51P7PuOt8r44JJ6/YfA8vnqIQzvNVhtAUZcPQEHCKL9iirI+' +
  'RXf5vlH1jD5hizY/';

describe('exportWeights', () => {
  it('names every parameter layers.{i}.weight|bias with its PyTorch shape, in params order', () => {
    const model = createModel(spec, { seed: 1 });
    const tensors = exportWeights(model);
    expect(tensors.map((t) => [t.name, t.shape])).toEqual([
      ['layers.0.weight', [3, 2, 3, 3]],
      ['layers.0.bias', [3]],
      ['layers.2.weight', [4, 3, 2, 2]],
      ['layers.4.weight', [5, 16]],
      ['layers.4.bias', [5]],
      ['layers.5.weight', [3, 5]],
      ['layers.5.bias', [3]],
    ]);
    for (const [i, t] of tensors.entries()) {
      const p = model.params[i]!;
      expect(bytesOf(t.data)).toEqual(bytesOf(model.weights.subarray(p.offset, p.offset + p.size)));
    }
  });

  it('copies: changing an exported tensor leaves the model alone', () => {
    const model = createModel(spec, { seed: 1 });
    const before = model.weights.slice();
    exportWeights(model)[0]!.data.fill(42);
    expect(model.weights).toEqual(before);
  });
});

describe('round trip through safetensors bytes', () => {
  it('a model -> bytes -> a model built with another seed gives identical predictions', () => {
    const source = createModel(spec, { seed: 1 });
    const target = createModel(spec, { seed: 2 });
    const expected = predict(source, input, 4);
    expect(bytesOf(predict(target, input, 4))).not.toEqual(bytesOf(expected));

    const bytes = encodeSafetensors(exportWeights(source), { format: 'pt' });
    loadWeights(target, decodeSafetensors(bytes).tensors);
    expect(bytesOf(target.weights)).toEqual(bytesOf(source.weights));
    expect(bytesOf(predict(target, input, 4))).toEqual(bytesOf(expected));
  });

  it('loads in place, so weights bound to a SharedArrayBuffer receive the values', () => {
    const source = createModel(spec, { seed: 5 });
    const target = createModel(spec, { seed: 6 });
    const shared = new Float32Array(new SharedArrayBuffer(target.weights.byteLength));
    target.bindWeights(shared);
    loadWeights(target, exportWeights(source));
    expect(bytesOf(shared)).toEqual(bytesOf(source.weights));
    expect(bytesOf(predict(target, input, 4))).toEqual(bytesOf(predict(source, input, 4)));
  });

  it('loads the tensors in any order', () => {
    const source = createModel(spec, { seed: 3 });
    const target = createModel(spec, { seed: 4 });
    loadWeights(target, exportWeights(source).reverse());
    expect(bytesOf(target.weights)).toEqual(bytesOf(source.weights));
  });
});

describe('PyTorch layouts', () => {
  it('a file written by PyTorch loads and predicts what torch.nn predicted', () => {
    const bytes = Uint8Array.from(atob(TORCH_FILE_BASE64), (c) => c.charCodeAt(0));
    const { tensors } = decodeSafetensors(bytes);
    const x = tensors.find((t) => t.name === 'x')!;
    const probs = tensors.find((t) => t.name === 'probs')!;
    const model = createModel(spec, { seed: 0 });
    loadWeights(
      model,
      tensors.filter((t) => t.name.startsWith('layers.')),
    );
    const ours = predict(model, x.data, 2);
    expect(ours.length).toBe(probs.data.length);
    for (let i = 0; i < ours.length; i++) expect(Math.abs(ours[i]! - probs.data[i]!)).toBeLessThan(1e-6);
  });
});

describe('errors name the tensor, and nothing is written', () => {
  const model = createModel(spec, { seed: 1 });
  const good = () => exportWeights(createModel(spec, { seed: 9 }));
  const cases: [string, () => ReturnType<typeof exportWeights>, RegExp][] = [
    ['a missing tensor', () => good().filter((t) => t.name !== 'layers.4.bias'), /missing tensor 'layers.4.bias'/],
    ['several missing tensors', () => good().slice(0, 5), /missing tensors 'layers.5.weight', 'layers.5.bias'/],
    [
      'an unknown tensor',
      () => [...good(), { name: 'layers.2.bias', shape: [4], data: new Float32Array(4) }],
      /unknown tensor 'layers.2.bias': the model's tensors are 'layers.0.weight', /,
    ],
    [
      'a different shape',
      () => good().map((t) => (t.name === 'layers.4.weight' ? { ...t, shape: [16, 5] } : t)),
      /tensor 'layers.4.weight' has shape \[16, 5\], the model expects \[5, 16\]/,
    ],
    [
      'data of the wrong length',
      () => good().map((t) => (t.name === 'layers.0.bias' ? { ...t, data: new Float32Array(2) } : t)),
      /tensor 'layers.0.bias' holds 2 values, its shape \[3\] needs 3/,
    ],
    ['a repeated tensor', () => [...good(), good()[1]!], /tensor 'layers.0.bias' appears twice/],
  ];
  for (const [what, tensors, message] of cases) {
    it(`rejects ${what}`, () => {
      const before = model.weights.slice();
      expect(() => loadWeights(model, tensors())).toThrow(WeightsError);
      expect(() => loadWeights(model, tensors())).toThrow(message);
      expect(bytesOf(model.weights)).toEqual(bytesOf(before));
    });
  }
});
