// The work a training loop sends to the pool: one optimizer step, one evaluation pass. The main
// thread only cuts the work into tasks and adds up what they return.
//
//   step:  order[from .. to) ── micro-shards of ctx.shardSize ──► 'grad' tasks, one gradient slot
//          each; the same tasks sum the slots in shard order and, without clipping, step the
//          optimizer chunk by chunk (step-sync.ts). With clipping, the global norm (the chunks'
//          sums of squares added in chunk order) scales the sum first: 'apply' tasks.
//          Batch norm: each shard wrote its batch statistics to its own slot; once every shard
//          is done, they are folded into the running statistics here, in shard order (a few
//          values per channel, so the main thread does it: the same bits on any thread count).
//   eval:  a split in tasks of EVAL_TASK samples ──► summed loss and correct predictions (and, for
//          the epoch's evaluation, confusion counts and most-confused samples, merged in task order)
import { performance } from 'node:perf_hooks';
import { createConfusion, mergeConfusion, updateRunningStats, type Confusion, type ShardStats } from '../src/engine/index.js';
import { means, sumLosses, type Means } from './metrics.js';
import type { Pool } from './pool.js';
import type { Position } from './progress.js';
import { reduceRanges, type GradResult, type GradTask, type LossResult, type TaskTiming } from './protocol.js';
import type { Workspace } from './workspace.js';

/** Samples per 'eval' task. */
const EVAL_TASK = 512;

/** The loss or the gradient norm stopped being a finite number (job error code `diverged`). */
export class Diverged extends Error {
  constructor(
    readonly epoch: number,
    readonly step: number,
    what: string,
  ) {
    super(`training diverged: ${what} at epoch ${epoch}, step ${step}`);
  }
}

export interface StepInput {
  /** The batch: order[from .. to). */
  from: number;
  to: number;
  /** Update number (0-based): seeds dropout. */
  globalStep: number;
  /** 0-based epoch: seeds augmentation. */
  epoch: number;
  lr: number;
  clipNorm: number | undefined;
  /** Where the step is, for a divergence's message. */
  at: Position;
}

export interface StepResult {
  lossSum: number;
  correct: number;
  samples: number;
  /** The tasks' own timings (step-timing.ts) and the wall time of each phase. */
  grads: GradResult[];
  applied: TaskTiming[];
  gradMs: number;
  applyMs: number;
}

/** One optimizer step over order[from .. to): the weights and optimizer state in `w` are updated. */
export async function trainStep(pool: Pool, w: Workspace, s: StepInput): Promise<StepResult> {
  const t0 = performance.now();
  const { ctx, sync, optimizer } = w;
  const samples = s.to - s.from;
  const update = { lr: s.lr, step: optimizer.step };
  const fused = s.clipNorm === undefined;
  const shards = Math.ceil(samples / ctx.shardSize);
  sync.reset(shards);
  const tasks: Promise<GradResult>[] = [];
  const stats: ShardStats[] = [];
  const B = ctx.bufferCount;
  for (let slot = 0, a = s.from; a < s.to; slot++, a += ctx.shardSize) {
    const to = Math.min(a + ctx.shardSize, s.to);
    stats.push({ stats: w.batchStats.subarray(slot * B, (slot + 1) * B), n: to - a });
    const task: GradTask = {
      kind: 'grad',
      ctx,
      slot,
      shards,
      from: a,
      to,
      scale: 1 / samples,
      step: s.globalStep,
      epoch: s.epoch,
      update: fused ? update : undefined,
    };
    tasks.push(pool.run<GradResult>(task));
  }
  const grads = await Promise.all(tasks);
  if (B > 0) updateRunningStats(w.model, stats); // w.model's buffers are w.running
  const t1 = performance.now();
  const { lossSum, correct } = sumLosses(grads);
  const where = (what: string) => new Diverged(s.at.epoch + 1, s.at.step + 1, what);
  if (!Number.isFinite(lossSum)) throw where(`loss is ${lossSum}`);
  let sumsq = 0;
  for (const part of sync.chunkSums()) sumsq += part; // chunk order
  const gradNorm = Math.sqrt(sumsq);
  if (!Number.isFinite(gradNorm)) throw where(`gradient norm is ${gradNorm}`);
  let applied: TaskTiming[] = [];
  if (!fused) {
    // With clipping, the optimizer runs once the global norm is known: scale, then update.
    const scale = s.clipNorm! / (gradNorm + 1e-6);
    const ranges = reduceRanges(ctx.paramCount, pool.threads);
    applied = await Promise.all(ranges.map(([from, to]) => pool.run<TaskTiming>({ kind: 'apply', ctx, from, to, scale, update })));
  }
  optimizer.step++;
  return { lossSum, correct, samples, grads, applied, gradMs: t1 - t0, applyMs: performance.now() - t1 };
}

/** Mean loss and accuracy of the model on a split, or undefined when the job has no such split;
 *  with `keep`, also its confusion matrix and that many most-confused samples. */
export async function evaluateSplit(
  pool: Pool,
  w: Workspace,
  split: 'validation' | 'test',
  keep?: number,
): Promise<(Means & { confusion?: Confusion }) | undefined> {
  const ds = w.ctx[split];
  if (!ds) return undefined;
  const confusion = keep === undefined ? undefined : { classes: w.model.classes, keep };
  const tasks: Promise<LossResult>[] = [];
  for (let a = 0; a < ds.count; a += EVAL_TASK) {
    const to = Math.min(a + EVAL_TASK, ds.count);
    tasks.push(pool.run<LossResult>({ kind: 'eval', ctx: w.ctx, split, from: a, to, ...(confusion && { confusion }) }));
  }
  const results = await Promise.all(tasks);
  const m = means(sumLosses(results), ds.count);
  if (!confusion) return m;
  const total = createConfusion(confusion.classes, keep!);
  for (const r of results) if (r.confusion) mergeConfusion(total, r.confusion);
  return { ...m, confusion: total };
}
