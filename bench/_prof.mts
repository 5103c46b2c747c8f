import { computeGradients, createModel, presetSpec } from '../src/engine/index.js';
import { createOptimizer } from '../src/engine/optim/index.js';
const preset = (process.argv[2] ?? 'lenet5') as 'lenet5';
const secs = Number(process.argv[3] ?? 5);
const batch = 64;
const images = new Float32Array(batch * 784);
let s = 12345;
for (let i = 0; i < images.length; i++) { s = (s * 1103515245 + 12345) >>> 0; images[i] = (s >>> 8) / 16777216; }
const labels = new Uint8Array(batch).map((_, i) => i % 10);
const model = createModel(presetSpec(preset), { seed: 1 });
const opt = createOptimizer({ type: 'adam' }, model.paramCount);
let steps = 0; const t0 = performance.now();
while (performance.now() - t0 < secs * 1000) {
  model.grads.fill(0);
  computeGradients(model, { x: images, labels, n: batch, scale: 1 / batch });
  opt.step(model.weights, model.grads, 1e-3);
  steps++;
}
console.log(preset, (steps * batch / ((performance.now() - t0) / 1000)).toFixed(0), 'img/s');
