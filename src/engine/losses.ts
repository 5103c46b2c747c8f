// Losses over a batch of class scores. Each returns the SUM of the per-sample losses and, when
// `dlogits` is given, writes scale * d(sum)/d(logits) there; pass scale = 1 / batchSize to get
// the gradient of the batch mean (PyTorch's reduction='mean').
//
//   logits [N, K], labels [N] class indices in [0, K)
//
// softmaxCrossEntropy (fused, numerically stable: shift by the row max before exp)
//   p = softmax(z);  l_n = -log p[label] = log(sum_k e^(z_k - m)) - (z_label - m)
//   dl_n/dz = p - y   (y one-hot)
// with label smoothing e (PyTorch's CrossEntropyLoss(label_smoothing=e)) the target is
//   q = (1 - e) y + e / K:   l_n = -sum_k q_k log p_k,   dl_n/dz = p - q
// (e = 0 is plain cross-entropy, bit for bit)
//
// meanSquaredError against one-hot targets, on the raw outputs (no softmax), the mean over
// classes per sample, so that the batch mean equals PyTorch's MSELoss()(output, one_hot(y)):
//   l_n = (1 / K) sum_k (z_k - y_k)^2
//   dl_n/dz = (2 / K) (z - y)

import { assertNever } from './spec.js';

export type LossName = 'cross-entropy' | 'mse';

export type Labels = ArrayLike<number>;

export function softmaxCrossEntropy(
  logits: Float32Array,
  labels: Labels,
  n: number,
  classes: number,
  dlogits: Float32Array | null,
  scale: number,
  labelSmoothing = 0,
): number {
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new RangeError(`labelSmoothing ${labelSmoothing} is not in [0, 1]`);
  const spread = labelSmoothing / classes; // q_k = (1 - e) y_k + e / K
  let total = 0;
  for (let s = 0; s < n; s++) {
    const row = s * classes;
    const label = checkLabel(labels, s, classes);
    const max = rowMax(logits, row, classes);
    const logSum = Math.log(sumExp(logits, row, classes, max));
    total += logSum - (1 - labelSmoothing) * (logits[row + label]! - max);
    if (labelSmoothing > 0) {
      for (let k = 0; k < classes; k++) total -= spread * (logits[row + k]! - max);
    }
    if (dlogits) {
      for (let k = 0; k < classes; k++) {
        const p = Math.exp(logits[row + k]! - max - logSum);
        dlogits[row + k] = (p - ((k === label ? 1 - labelSmoothing : 0) + spread)) * scale;
      }
    }
  }
  return total;
}

export function meanSquaredError(
  outputs: Float32Array,
  labels: Labels,
  n: number,
  classes: number,
  doutputs: Float32Array | null,
  scale: number,
): number {
  let total = 0;
  for (let s = 0; s < n; s++) {
    const row = s * classes;
    const label = checkLabel(labels, s, classes);
    let sum = 0;
    for (let k = 0; k < classes; k++) {
      const diff = outputs[row + k]! - (k === label ? 1 : 0);
      sum += diff * diff;
      if (doutputs) doutputs[row + k] = ((2 * diff) / classes) * scale;
    }
    total += sum / classes;
  }
  return total;
}

/** The loss sum of n samples (and scale * its gradient in `doutputs`); labelSmoothing: cross-entropy only. */
export function computeLoss(
  loss: LossName,
  outputs: Float32Array,
  labels: Labels,
  n: number,
  classes: number,
  doutputs: Float32Array | null,
  scale: number,
  labelSmoothing = 0,
): number {
  switch (loss) {
    case 'cross-entropy':
      return softmaxCrossEntropy(outputs, labels, n, classes, doutputs, scale, labelSmoothing);
    case 'mse':
      if (labelSmoothing !== 0) throw new RangeError('labelSmoothing applies to the cross-entropy loss only');
      return meanSquaredError(outputs, labels, n, classes, doutputs, scale);
    default:
      return assertNever(loss);
  }
}

/** Softmax over each row of [N, K] scores into a new array. */
export function softmax(logits: Float32Array, n: number, classes: number): Float32Array {
  const out = new Float32Array(n * classes);
  for (let s = 0; s < n; s++) {
    const row = s * classes;
    const max = rowMax(logits, row, classes);
    const sum = sumExp(logits, row, classes, max);
    for (let k = 0; k < classes; k++) out[row + k] = Math.exp(logits[row + k]! - max) / sum;
  }
  return out;
}

/** max_k z[row + k]: the shift that keeps e^(z - max) <= 1 in softmax. */
function rowMax(z: Float32Array, row: number, classes: number): number {
  let max = -Infinity;
  for (let k = 0; k < classes; k++) max = Math.max(max, z[row + k]!);
  return max;
}

/** sum_k e^(z[row + k] - max). */
function sumExp(z: Float32Array, row: number, classes: number, max: number): number {
  let sum = 0;
  for (let k = 0; k < classes; k++) sum += Math.exp(z[row + k]! - max);
  return sum;
}

/** How many rows' argmax (first on ties) equals the label. */
export function countCorrect(scores: Float32Array, labels: Labels, n: number, classes: number): number {
  let correct = 0;
  for (let s = 0; s < n; s++) {
    const row = s * classes;
    let best = 0;
    for (let k = 1; k < classes; k++) if (scores[row + k]! > scores[row + best]!) best = k;
    if (best === labels[s]) correct++;
  }
  return correct;
}

function checkLabel(labels: Labels, s: number, classes: number): number {
  const label = labels[s];
  if (label === undefined || !Number.isInteger(label) || label < 0 || label >= classes) {
    throw new RangeError(`label ${label} of sample ${s} is not a class index in [0, ${classes})`);
  }
  return label;
}
