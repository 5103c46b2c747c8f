// Batch norm's running statistics: the model's buffers, and how a step's micro-shards move them.
//
// A training forward of one micro-shard writes its batch statistics (per channel: the mean and
// the unbiased variance) in the buffers' layout; after the step, the shards are folded in, one by
// one, in shard order (the order is part of the arithmetic):
//   for s = 0, 1, ...:   running <- (1 - momentum) * running + momentum * batch_s
// which is PyTorch's update, once per forward call: one call per micro-shard is ghost batch norm.
// A shard that gives a channel fewer than 2 values (batchNorm1d on 1 sample) has no variance
// estimate (PyTorch refuses to train on such a batch): it leaves the running statistics alone.
// The update runs in float64 and rounds once to float32, as PyTorch's CPU kernel.

import type { Layer } from './layers/index.js';

/** One named buffer tensor (`layers.{i}.running_mean`, `.running_var`): where it is in `bufferValues`. */
export interface BufferInfo {
  name: string;
  layer: number;
  shape: number[];
  offset: number;
  size: number;
  init: 'zeros' | 'ones';
  /** running <- (1 - momentum) running + momentum * batch statistic. */
  momentum: number;
  /** Values one sample adds to each element's statistic (H * W for batchNorm2d). */
  valuesPerSample: number;
}

/** One micro-shard's batch statistics (model.buffers layout) and its number of samples. */
export interface ShardStats {
  stats: Float32Array;
  n: number;
}

/** What updateRunningStats needs of a model: its buffer table and running values. */
export interface BuffersOwner {
  readonly buffers: readonly BufferInfo[];
  readonly bufferValues: Float32Array;
}

/** Folds the shards' batch statistics into the running statistics, in the order given (shard order). */
export function updateRunningStats(model: BuffersOwner, shards: readonly ShardStats[]): void {
  const running = model.bufferValues;
  for (const { stats, n } of shards) {
    if (stats.length !== running.length) {
      throw new RangeError(`shard statistics hold ${stats.length} values, the model's buffers ${running.length}`);
    }
    for (const b of model.buffers) {
      if (n * b.valuesPerSample < 2) continue;
      const m = b.momentum;
      for (let i = b.offset; i < b.offset + b.size; i++) running[i] = m * stats[i]! + (1 - m) * running[i]!;
    }
  }
}

/** Every layer's buffer slots, named `layers.{i}.{slot}` and placed one after another. */
export function bufferTable(layers: readonly Layer[]): BufferInfo[] {
  const table: BufferInfo[] = [];
  let offset = 0;
  for (const layer of layers) {
    for (const { name, shape, size, init, momentum, valuesPerSample } of layer.bufferSlots ?? []) {
      table.push({
        name: `layers.${layer.index}.${name}`,
        layer: layer.index,
        shape: [...shape],
        offset,
        size,
        init,
        momentum,
        valuesPerSample,
      });
      offset += size;
    }
  }
  return table;
}
