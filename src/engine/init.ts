// Weight initialisers. fanIn = inputs per output (conv: inC * kh * kw; dense: inputs),
// fanOut = outputs per input (conv: outC * kh * kw; dense: units).
//
//   heNormal       w ~ N(0, 2 / fanIn)                      (He et al. 2015, PyTorch kaiming_normal_)
//   heUniform      w ~ U(-sqrt(6 / fanIn), +sqrt(6 / fanIn))
//   glorotNormal   w ~ N(0, 2 / (fanIn + fanOut))           (Glorot & Bengio 2010, xavier_normal_)
//   glorotUniform  w ~ U(-sqrt(6 / (fanIn + fanOut)), +...)  (Keras' default)
//   biases         0
//
// Normal draws are untruncated. Values are drawn in parameter order from one Rng, so the
// same spec and seed give bit-identical weights.

import type { Rng } from './rng.js';
import { assertNever, type InitName } from './spec.js';

export function initWeights(out: Float32Array, init: InitName, fanIn: number, fanOut: number, rng: Rng): void {
  switch (init) {
    case 'heNormal':
      fillNormal(out, Math.sqrt(2 / fanIn), rng);
      return;
    case 'heUniform':
      fillUniform(out, Math.sqrt(6 / fanIn), rng);
      return;
    case 'glorotNormal':
      fillNormal(out, Math.sqrt(2 / (fanIn + fanOut)), rng);
      return;
    case 'glorotUniform':
      fillUniform(out, Math.sqrt(6 / (fanIn + fanOut)), rng);
      return;
    default:
      assertNever(init);
  }
}

export function fillNormal(out: Float32Array, std: number, rng: Rng): void {
  for (let i = 0; i < out.length; i++) out[i] = std * rng.normal();
}

export function fillUniform(out: Float32Array, limit: number, rng: Rng): void {
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-limit, limit);
}
