// The confusion matrix of a classifier on labelled samples, and the samples it got most confidently
// wrong. Row = true label, column = predicted class (the argmax, first on ties); `confused` keeps the
// `keep` wrong samples whose predicted class had the highest softmax probability, surest first.
// Counts from disjoint sample ranges add up (mergeConfusion), so evaluation tasks can run apart.
import type { Labels } from './losses.js';

export interface ConfusedSample {
  /** The sample's index in its split. */
  index: number;
  label: number;
  predicted: number;
  /** Softmax probability of the predicted class. */
  probability: number;
}

export interface Confusion {
  classes: number;
  /** classes x classes counts, row-major: counts[label * classes + predicted]. */
  counts: number[];
  confused: ConfusedSample[];
  keep: number;
}

export function createConfusion(classes: number, keep: number): Confusion {
  return { classes, counts: new Array<number>(classes * classes).fill(0), confused: [], keep };
}

/** Adds n rows of scores [n, classes] (logits) whose first row is sample `offset` of the split. */
export function addToConfusion(c: Confusion, scores: Float32Array, labels: Labels, n: number, offset: number): void {
  const k = c.classes;
  for (let s = 0; s < n; s++) {
    const row = s * k;
    let best = 0;
    for (let j = 1; j < k; j++) if (scores[row + j]! > scores[row + best]!) best = j;
    const label = labels[s]!;
    c.counts[label * k + best]!++;
    if (label === best || c.keep === 0) continue;
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(scores[row + j]! - scores[row + best]!);
    keepConfused(c, { index: offset + s, label, predicted: best, probability: 1 / sum });
  }
}

/** `from`'s counts and confused samples into `into` (same classes). */
export function mergeConfusion(into: Confusion, from: Confusion): void {
  if (from.classes !== into.classes) throw new RangeError(`cannot merge ${from.classes} classes into ${into.classes}`);
  for (let i = 0; i < into.counts.length; i++) into.counts[i]! += from.counts[i]!;
  for (const sample of from.confused) keepConfused(into, sample);
}

/** The counts as rows (row = true label). */
export function confusionRows(c: Confusion): number[][] {
  return Array.from({ length: c.classes }, (_, r) => c.counts.slice(r * c.classes, (r + 1) * c.classes));
}

/** Surest first; equal probabilities by index, so the order never depends on how tasks were cut. */
function keepConfused(c: Confusion, sample: ConfusedSample): void {
  const list = c.confused;
  const before = (a: ConfusedSample, b: ConfusedSample) =>
    a.probability > b.probability || (a.probability === b.probability && a.index < b.index);
  if (list.length === c.keep && !before(sample, list[list.length - 1]!)) return;
  let i = list.length;
  while (i > 0 && before(sample, list[i - 1]!)) i--;
  list.splice(i, 0, sample);
  if (list.length > c.keep) list.pop();
}
