// Data augmentation of training images, torchvision's semantics, seeded per sample:
//
//   randomCrop {padding: p}   RandomCrop(size = (H, W), padding = p): pad p zeros on every side and
//                             cut an H x W window at a uniform offset (top, left) in [0, 2p]^2
//   horizontalFlip: true      RandomHorizontalFlip(0.5): mirror left-right with probability 1/2
//   randomErasing {...}       RandomErasing(p, scale, ratio, value): with probability p, up to 10
//                             tries: area = H W U(scale), aspect = exp(U(log ratio)),
//                             h = round(sqrt(area aspect)), w = round(sqrt(area / aspect)) (round
//                             half to even, as Python); the first try with h < H and w < W sets an
//                             h x w rectangle at a uniform position to `value` in every channel
// applied in that order (crop, flip, erase), to images as the model sees them (x / 255 for bytes).
//
// Sample `index` (its index in the dataset) in epoch `epoch` draws from one stream,
//   Rng(hashSeed(AUGMENT_STREAM, seed, epoch, index)), crop offsets first, then the flip, then erasing,
// so a job's batches are the same on any worker and any thread count, and after a resume.

import { Rng, hashSeed } from './rng.js';

export interface AugmentSpec {
  randomCrop?: { padding: number };
  horizontalFlip?: boolean;
  randomErasing?: {
    probability?: number; // default 0.5
    scale?: [number, number]; // fraction of the image's area, default [0.02, 0.33]
    ratio?: [number, number]; // aspect ratio h / w, default [0.3, 3.3]
    value?: number; // default 0
  };
}

/** Tags the augmentation streams apart from the engine's others (shuffles, dropout masks). */
export const AUGMENT_STREAM = 0x61756721;

type Erasing = Required<NonNullable<AugmentSpec['randomErasing']>>;

/** Rejects settings that cannot run, naming the field (`augment.randomErasing.scale: ...`). */
export function validateAugment(spec: AugmentSpec): void {
  const crop = spec.randomCrop;
  if (crop && !(Number.isSafeInteger(crop.padding) && crop.padding >= 1)) {
    throw new RangeError(`augment.randomCrop.padding: ${crop.padding} must be an integer >= 1`);
  }
  if (!spec.randomErasing) return;
  const { probability, scale, ratio } = erasing(spec.randomErasing);
  if (!(probability >= 0 && probability <= 1)) throw new RangeError(`augment.randomErasing.probability: ${probability} must be in [0, 1]`);
  if (!(scale[0] > 0 && scale[0] <= scale[1] && scale[1] <= 1)) {
    throw new RangeError(`augment.randomErasing.scale: [${scale.join(', ')}] must be [min, max] with 0 < min <= max <= 1`);
  }
  if (!(ratio[0] > 0 && ratio[0] <= ratio[1] && Number.isFinite(ratio[1]))) {
    throw new RangeError(`augment.randomErasing.ratio: [${ratio.join(', ')}] must be [min, max] with 0 < min <= max`);
  }
}

function erasing(e: NonNullable<AugmentSpec['randomErasing']>): Erasing {
  return { probability: e.probability ?? 0.5, scale: e.scale ?? [0.02, 0.33], ratio: e.ratio ?? [0.3, 3.3], value: e.value ?? 0 };
}

let scratch = new Float32Array(0);

/**
 * Augments n images in place: x holds them NCHW, `shape` is [C, H, W], and the k-th is dataset
 * sample indices[from + k] (the epoch's order and the shard's first position, as toFloatBatch takes them).
 */
export function augmentBatch(
  spec: AugmentSpec,
  x: Float32Array,
  n: number,
  shape: readonly [number, number, number],
  keys: { seed: number; epoch: number; indices: ArrayLike<number>; from?: number },
): void {
  const size = shape[0] * shape[1] * shape[2];
  if (x.length < n * size) throw new RangeError(`augmentBatch: x holds ${x.length} values, fewer than n * C * H * W = ${n * size}`);
  const from = keys.from ?? 0;
  if (scratch.length < size) scratch = new Float32Array(size);
  for (let k = 0; k < n; k++) {
    const index = keys.indices[from + k];
    if (index === undefined) throw new RangeError(`augmentBatch: no sample index at ${from + k}`);
    const rng = new Rng(hashSeed(AUGMENT_STREAM, keys.seed, keys.epoch, index));
    augmentImage(spec, x.subarray(k * size, (k + 1) * size), shape, rng);
  }
}

/** One image, in place, drawing from `rng` in the documented order. */
export function augmentImage(spec: AugmentSpec, img: Float32Array, shape: readonly [number, number, number], rng: Rng): void {
  const [C, H, W] = shape;
  const p = spec.randomCrop?.padding ?? 0;
  const top = p > 0 ? rng.int(2 * p + 1) - p : 0; // the window's offset from the unpadded image
  const left = p > 0 ? rng.int(2 * p + 1) - p : 0;
  const flip = spec.horizontalFlip === true && rng.next() < 0.5;
  if (top !== 0 || left !== 0 || flip) {
    if (scratch.length < img.length) scratch = new Float32Array(img.length);
    const src = scratch;
    src.set(img);
    for (let c = 0; c < C; c++) {
      for (let y = 0; y < H; y++) {
        const sy = y + top;
        for (let x = 0; x < W; x++) {
          const sx = (flip ? W - 1 - x : x) + left;
          img[(c * H + y) * W + x] = sy >= 0 && sy < H && sx >= 0 && sx < W ? src[(c * H + sy) * W + sx]! : 0;
        }
      }
    }
  }
  if (spec.randomErasing) erase(erasing(spec.randomErasing), img, shape, rng);
}

function erase(e: Erasing, img: Float32Array, [C, H, W]: readonly [number, number, number], rng: Rng): void {
  if (!(rng.next() < e.probability)) return;
  const area = H * W;
  const logLo = Math.log(e.ratio[0]);
  const logHi = Math.log(e.ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(e.scale[0], e.scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const h = roundHalfEven(Math.sqrt(target * aspect));
    const w = roundHalfEven(Math.sqrt(target / aspect));
    if (!(h < H && w < W)) continue;
    const y0 = rng.int(H - h + 1);
    const x0 = rng.int(W - w + 1);
    for (let c = 0; c < C; c++) {
      for (let y = y0; y < y0 + h; y++) img.fill(e.value, (c * H + y) * W + x0, (c * H + y) * W + x0 + w);
    }
    return;
  }
}

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
