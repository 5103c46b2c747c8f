// Inference on any number of samples: predict (class probabilities) and evaluate (loss and
// correct count), in chunks of INFERENCE_CHUNK samples so that a large n never grows the model's
// activation buffers beyond what training uses. Layers run in inference mode: no dropout, batch
// norm with its running statistics.

import { computeLoss, countCorrect, softmax, type Labels, type LossName } from './losses.js';
import { forward, type Model } from './model.js';
import { addToConfusion, type Confusion } from './confusion.js';

/** Samples per inference chunk. */
export const INFERENCE_CHUNK = 256;

/** Class probabilities [n, classes] (softmax of the logits), in a new array. */
export function predict(model: Model, x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n * model.classes);
  forEachChunk(model, x, n, (logits, from, rows) => out.set(softmax(logits, rows, model.classes), from * model.classes));
  return out;
}

/** Loss sum and correct count on n samples at inference (no dropout, no gradients). */
export function evaluate(
  model: Model,
  x: Float32Array,
  labels: Labels,
  n: number,
  loss: LossName = 'cross-entropy',
  /** Also counts the predictions here; `offset` is the first sample's index in its split. */
  confusion?: { into: Confusion; offset: number },
): { lossSum: number; correct: number } {
  let lossSum = 0;
  let correct = 0;
  forEachChunk(model, x, n, (logits, from, rows) => {
    const chunkLabels = Array.prototype.slice.call(labels, from, from + rows) as number[];
    lossSum += computeLoss(loss, logits, chunkLabels, rows, model.classes, null, 1);
    correct += countCorrect(logits, chunkLabels, rows, model.classes);
    if (confusion) addToConfusion(confusion.into, logits, chunkLabels, rows, confusion.offset + from);
  });
  return { lossSum, correct };
}

function forEachChunk(model: Model, x: Float32Array, n: number, visit: (logits: Float32Array, from: number, rows: number) => void): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
  for (let from = 0; from < n; from += INFERENCE_CHUNK) {
    const rows = Math.min(INFERENCE_CHUNK, n - from);
    visit(forward(model, x.subarray(from * model.inputSize), rows), from, rows);
  }
}
