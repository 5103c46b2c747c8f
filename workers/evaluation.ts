// The `evaluation` of an epoch event: the confusion matrix of the test split (the validation split
// when there is none) and its most confidently wrong samples, with their pixels when the dataset
// stores 0-255 bytes (then they are exact predict inputs the dashboard can show and send back).
import type { Evaluation } from '../src/contracts/index.js';
import { confusionRows, type Confusion } from '../src/engine/index.js';
import type { SharedDataset } from './protocol.js';

/** Most-confused samples an epoch event carries. */
export const CONFUSED_KEEP = 12;

/** The split whose predictions the epoch event shows. */
export function evaluatedSplit(ctx: {
  test?: SharedDataset | undefined;
  validation?: SharedDataset | undefined;
}): 'test' | 'validation' | undefined {
  if (ctx.test) return 'test';
  return ctx.validation ? 'validation' : undefined;
}

export function evaluationEvent(split: 'test' | 'validation', confusion: Confusion, ds: SharedDataset): Evaluation {
  const size = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const confused = confusion.confused.map((s) => {
    if (ds.float) return { ...s };
    const pixels = new Uint8Array(ds.images, ds.imagesOffset + s.index * size, size);
    return { ...s, pixels: Buffer.from(pixels).toString('base64') };
  });
  return { split, confusion: confusionRows(confusion), confused };
}
