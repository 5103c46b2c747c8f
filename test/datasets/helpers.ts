// Small synthetic datasets for the dataset tests, and a catcher for their expected errors.
import { DatasetError, type Dataset } from '../../src/datasets/index.js';

/** count samples of shape [c,h,w]; pixel j of sample i = (i * 7 + j) % 256, label i % classes. */
export function synthetic(count: number, shape: [number, number, number] = [1, 3, 2], classes = 3): Dataset {
  const size = shape[0] * shape[1] * shape[2];
  const images = new Uint8Array(count * size);
  for (let i = 0; i < count; i++) for (let j = 0; j < size; j++) images[i * size + j] = (i * 7 + j) % 256;
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) labels[i] = i % classes;
  return { shape, classes, count, images, labels };
}

/** The DatasetError fn throws; fails the test if it throws nothing or another error. */
export function errorOf(fn: () => unknown): DatasetError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DatasetError) return err;
    throw err;
  }
  throw new Error('expected a DatasetError');
}
