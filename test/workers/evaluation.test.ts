// The confusion matrix of an epoch's evaluation: counts by (label, argmax), the most confidently
// wrong samples surest first, the same whichever way the split was cut into tasks, and the event
// carrying exact pixels for byte datasets only.
import { describe, expect, it } from 'vitest';
import { addToConfusion, confusionRows, createConfusion, mergeConfusion } from '../../src/engine/index.js';
import { evaluatedSplit, evaluationEvent } from '../../workers/evaluation.js';
import type { SharedDataset } from '../../workers/protocol.js';

// 6 samples, 3 classes: logits per row, then the labels.
const LOGITS = new Float32Array(
  [
    [5, 0, 0], // label 0, predicted 0
    [0, 3, 0], // label 0, predicted 1 (p = e^3 / (e^3 + 2))
    [0, 0, 9], // label 1, predicted 2 (the surest mistake)
    [0, 4, 0], // label 1, predicted 1
    [1, 1, 0], // label 2, predicted 0 (a tie: the first)
    [0, 0, 2], // label 2, predicted 2
  ].flat(),
);
const LABELS = [0, 0, 1, 1, 2, 2];

describe('confusion matrix', () => {
  it('counts every (label, predicted) pair and keeps the surest mistakes first', () => {
    const c = createConfusion(3, 2);
    addToConfusion(c, LOGITS, LABELS, 6, 100);
    expect(confusionRows(c)).toEqual([
      [1, 1, 0],
      [0, 1, 1],
      [1, 0, 1],
    ]);
    expect(c.confused.map((s) => [s.index, s.label, s.predicted])).toEqual([
      [102, 1, 2],
      [101, 0, 1],
    ]);
    expect(c.confused[0]!.probability).toBeCloseTo(Math.exp(9) / (Math.exp(9) + 2), 6);
    expect(c.counts.reduce((a, b) => a + b, 0)).toBe(6);
  });

  it('adds up the same when the samples are split across tasks', () => {
    const whole = createConfusion(3, 3);
    addToConfusion(whole, LOGITS, LABELS, 6, 0);
    const a = createConfusion(3, 3);
    const b = createConfusion(3, 3);
    addToConfusion(a, LOGITS.subarray(9), LABELS.slice(3), 3, 3);
    addToConfusion(b, LOGITS.subarray(0, 9), LABELS.slice(0, 3), 3, 0);
    const merged = createConfusion(3, 3);
    mergeConfusion(merged, a);
    mergeConfusion(merged, b);
    expect(merged).toEqual(whole);
    expect(() => mergeConfusion(merged, createConfusion(2, 3))).toThrow(/classes/);
  });

  it('keeps no samples when asked for none', () => {
    const c = createConfusion(3, 0);
    addToConfusion(c, LOGITS, LABELS, 6, 0);
    expect(c.confused).toEqual([]);
    expect(confusionRows(c)[1]).toEqual([0, 1, 1]);
  });
});

describe('the epoch event evaluation', () => {
  const bytes = (float: boolean): SharedDataset => {
    const images = new SharedArrayBuffer(8 + 3 * 4);
    new Uint8Array(images, 8).set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    return { shape: [1, 2, 2], classes: 3, count: 3, images, imagesOffset: 8, float, labels: new SharedArrayBuffer(3), labelsOffset: 0 };
  };

  it('shows the test split, else validation', () => {
    expect(evaluatedSplit({ test: bytes(false), validation: bytes(false) })).toBe('test');
    expect(evaluatedSplit({ validation: bytes(false) })).toBe('validation');
    expect(evaluatedSplit({})).toBeUndefined();
  });

  it('carries the pixels of a byte dataset, none of a float one', () => {
    const c = createConfusion(3, 1);
    addToConfusion(c, LOGITS.subarray(3, 9), [0, 1], 2, 1); // sample 2 (label 1) is the surest mistake
    const event = evaluationEvent('test', c, bytes(false));
    expect(event.split).toBe('test');
    expect(event.confused).toHaveLength(1);
    expect(event.confused[0]).toMatchObject({ index: 2, label: 1, predicted: 2 });
    expect([...Buffer.from(event.confused[0]!.pixels!, 'base64')]).toEqual([9, 10, 11, 12]);
    expect(evaluationEvent('test', c, bytes(true)).confused[0]!.pixels).toBeUndefined();
  });
});
