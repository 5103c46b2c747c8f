import { computeGradients, createModel, presetSpec } from '../src/engine/index.js';
import { createOptimizer } from '../src/engine/optim/index.js';
import { conv2dForward, conv2dBackward, type ConvShape } from '../src/engine/kernels/index.js';
import { activate, activationBackward } from '../src/engine/layers/activations.js';
const preset = (process.argv[2] ?? 'lenet5') as 'lenet5';
const secs = Number(process.argv[3] ?? 4);
const batch = 64;
const images = new Float32Array(batch * 784);
let s = 12345;
for (let i = 0; i < images.length; i++) { s = (s * 1103515245 + 12345) >>> 0; images[i] = (s >>> 8) / 16777216; }
const labels = new Uint8Array(batch).map((_, i) => i % 10);
function make(patch: boolean) {
  const model = createModel(presetSpec(preset), { seed: 1 });
  if (patch) for (const L of model.layers as any[]) {
    if (L.type !== 'conv2d') continue;
    const sh: ConvShape = { inC: L.c, inH: L.h, inW: L.w, outC: L.f, kH: L.win.kh, kW: L.win.kw, strideH: L.win.sh, strideW: L.win.sw, padTop: L.win.padTop, padLeft: L.win.padLeft, outH: L.oh, outW: L.ow };
    L.forward = (x: Float32Array, y: Float32Array, n: number) => {
      conv2dForward(sh, n, x, L.weight, L.useBias ? L.bias : null, y, L.activation ? { kind: L.activation, alpha: L.alpha } : null);
    };
    L.backward = (x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array | null, n: number) => {
      conv2dBackward(sh, n, x, L.weight, dy, dx, L.dweight, L.useBias ? L.dbias : null, L.activation ? { kind: L.activation, alpha: L.alpha, y } : null);
    };
  }
  return { model, opt: createOptimizer({ type: 'adam' }, model.paramCount) };
}
const a = make(process.env.ONLY === "patched"), b = make(true);
// same gradients?
for (const m of [a, b]) { m.model.grads.fill(0); computeGradients(m.model, { x: images, labels, n: batch, scale: 1 / batch }); }
let maxd = 0; for (let i = 0; i < a.model.grads.length; i++) maxd = Math.max(maxd, Math.abs(a.model.grads[i]! - b.model.grads[i]!));
console.log('max grad diff', maxd);
for (let r = 0; r < 3; r++) for (const [name, m] of [['layer', a], ['patched', b]] as const) {
  let steps = 0; const t0 = performance.now(); const c0 = process.cpuUsage();
  while (performance.now() - t0 < secs * 1000) {
    m.model.grads.fill(0);
    computeGradients(m.model, { x: images, labels, n: batch, scale: 1 / batch });
    m.opt.step(m.model.weights, m.model.grads, 1e-3);
    steps++;
  }
  const cpu = process.cpuUsage(c0); const cpuS = (cpu.user + cpu.system) / 1e6;
  console.log(preset, name, (steps * batch / ((performance.now() - t0) / 1000)).toFixed(0), 'img/s wall', (steps * batch / cpuS).toFixed(0), 'img/cpu-s');
}
