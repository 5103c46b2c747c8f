// Layer fusion (src/engine/fuse.ts): conv2d/dense + activation layer -> one layer, same bits as the
// two layers (the kernels' activation functions are the activation layer's).
import { describe, expect, it } from 'vitest';
import { computeGradients, createModel, presetSpec, resolveSpec } from '../../src/engine/index.js';
import { fuseActivations } from '../../src/engine/fuse.js';
import type { ModelSpec } from '../../src/engine/spec.js';
import { createLayer } from '../../src/engine/layers/index.js';
import { computeLoss } from '../../src/engine/losses.js';

describe('fuseActivations', () => {
  it('folds lenet5 relu layers into the convs and the dense layer before them, keeping spec indices', () => {
    const fused = fuseActivations(resolveSpec(presetSpec('lenet5')).layers);
    expect(fused.map((l) => `${l.index}:${l.type}`)).toEqual([
      '0:conv2d',
      '2:maxPool2d',
      '3:conv2d',
      '5:maxPool2d',
      '6:flatten',
      '7:dense',
      '8:dense',
      '9:dense',
    ]);
    expect(fused[0]).toMatchObject({ activation: 'relu', outShape: [6, 28, 28] });
  });

  it("leaves dense + elu apart (its TypeScript exp is not the kernels') and a conv that has an activation", () => {
    const spec: ModelSpec = {
      input: [1, 6, 6],
      layers: [
        { type: 'conv2d', filters: 2, kernelSize: 3, activation: 'tanh' },
        { type: 'relu' },
        { type: 'flatten' },
        { type: 'dense', units: 4 },
        { type: 'elu' },
        { type: 'dense', units: 3 },
      ],
    };
    expect(fuseActivations(resolveSpec(spec).layers).map((l) => l.type)).toEqual(['conv2d', 'relu', 'flatten', 'dense', 'elu', 'dense']);
  });

  it('a fused model gives the bits of its layers run one by one', () => {
    const spec: ModelSpec = {
      input: [2, 8, 8],
      layers: [
        { type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same' },
        { type: 'elu' },
        { type: 'conv2d', filters: 4, kernelSize: 3 },
        { type: 'sigmoid' },
        { type: 'flatten' },
        { type: 'dense', units: 5 },
        { type: 'relu' },
        { type: 'dense', units: 3 },
      ],
    };
    const n = 4;
    const model = createModel(spec, { seed: 5 });
    const x = Float32Array.from({ length: n * 128 }, (_, i) => Math.sin(i * 0.37));
    const labels = Uint8Array.from([0, 1, 2, 1]);
    computeGradients(model, { x, labels, n, scale: 1 / n, accumulate: false });
    // the same network, one layer per spec entry, run by hand
    const layers = resolveSpec(spec).layers.map(createLayer);
    const weights = model.weights.slice();
    const grads = new Float32Array(model.paramCount);
    let at = 0;
    for (const layer of layers) {
      const views = (buf: Float32Array) =>
        layer.paramSlots.map((slot) => {
          const view = buf.subarray(at, at + slot.size);
          at += slot.size;
          return view;
        });
      const start = at;
      const w = views(weights);
      at = start;
      layer.bind(w, views(grads));
    }
    const ctx = { training: true, seed: 0, step: 0, sampleOffset: 0, accumulate: false };
    const acts = [x];
    for (const layer of layers) {
      const y = new Float32Array(n * layer.outSize);
      layer.forward(acts.at(-1)!, y, n, ctx);
      acts.push(y);
    }
    let dy = new Float32Array(n * 3);
    computeLoss('cross-entropy', acts.at(-1)!, labels, n, 3, dy, 1 / n); // the model's own dlogits
    for (let i = layers.length - 1; i >= 0; i--) {
      const dx = i === 0 ? null : new Float32Array(n * layers[i]!.inSize);
      layers[i]!.backward(acts[i]!, acts[i + 1]!, dy, dx, n, ctx);
      if (dx) dy = dx;
    }
    expect(model.paramCount).toBe(at);
    expect(Buffer.from(grads.buffer).equals(Buffer.from(model.grads.buffer)), 'fused gradients = layer by layer, bit for bit').toBe(true);
  });
});
