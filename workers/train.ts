// The training loop of one job attempt, on the worker's main thread. It orchestrates and never
// runs the engine itself: every forward/backward, gradient sum and evaluation is a pool task, so
// the event loop stays free for BullMQ's lock renewal, Redis and the cancel check.
//
//   claim (attempt + 1, fencing token) ─ load data once ─ share it (SharedArrayBuffers)
//     for each epoch: order = seeded shuffle(seed, epoch)
//       for each batch: micro-shards ──► pool 'grad' tasks, one gradient slot each; the same
//                           tasks then sum the slots in shard order over fixed chunks and step
//                           the optimizer on each chunk while it is in cache, starting on the
//                           last layers while the slowest shard still runs (step-sync.ts)
//                           (with clipping: 'apply' tasks after the global norm is known)
//                       progress (<= ~4/s, written while the next step computes) ─ cancel? ─
//                       checkpoint due? ─ draining?
//       evaluate validation/test on the pool ─ `epoch` event ─ checkpoint ─ stopping rules
//   terminal commit: `completed` (weights) | `failed` | `cancelled` (partial weights)
//
// Every write carries the attempt as a fence: once another attempt has claimed the job, this one
// gets FencedError on its next write and stops without recording anything.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type {
  EpochMetrics,
  JobDocument,
  JobError,
  JobSpec,
  Metrics,
  Progress,
  TensorNorm,
  TensorOutput,
  WeightsRef,
} from '../src/contracts/index.js';
import { DEFAULT_MICRO_SHARD_SIZE } from '../src/contracts/index.js';
import { createModel, hashSeed, Rng, type Model } from '../src/engine/index.js';
import {
  bufferNames,
  l2Norm,
  learningRate,
  resolveOptimizerConfig,
  type LrSchedule,
  type OptimizerConfig,
  type OptimizerState,
} from '../src/engine/optim/index.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../src/engine/safetensors.js';
import { FencedError, failedEvent, JobFinishedError, statusEvent, type JobPatch, type JobStore } from '../src/store/index.js';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint, type CheckpointState } from './checkpoint.js';
import { JobDataError, loadJobData, share, type JobData, type UploadedLoader } from './data.js';
import type { Pool } from './pool.js';
import { reduceRanges, type GradResult, type JobContext, type LossResult, type TaskTiming } from './protocol.js';
import { StepSync } from './step-sync.js';
import { StepTiming } from './step-timing.js';
import { crashAccount, crashLoopVerdict } from './crash-account.js';
import type { Placement, Seat } from './placement.js';

export interface TrainSettings {
  /** Checkpoint every N optimizer steps (0 = only at epoch ends). */
  checkpointEverySteps: number;
  /** Checkpoint when this many seconds passed since the last one (0 = off). */
  checkpointEverySeconds: number;
  /** Minimum ms between two progress events of one job. */
  progressIntervalMs: number;
  /** The completed event carries the tensors inline up to this many safetensors bytes. */
  weightsInlineMaxBytes: number;
  /** A job whose workers died this many times (not counting graceful hand-backs) fails. */
  maxCrashes: number;
  /** Where builtin datasets are cached (default src/datasets' choice). */
  datasetCacheDir?: string | undefined;
}

export const DEFAULT_TRAIN_SETTINGS: TrainSettings = {
  checkpointEverySteps: 0,
  checkpointEverySeconds: 60,
  progressIntervalMs: 250,
  weightsInlineMaxBytes: 1 << 20,
  maxCrashes: 3,
};

export interface TrainDeps {
  store: JobStore;
  pool: Pool;
  log: Logger;
  settings: TrainSettings;
  loadUploaded: UploadedLoader;
  /** True once the process is shutting down: checkpoint at the next step and hand the job back. */
  draining(): boolean;
  /** The jobs in this process: who shares it, who must run alone (placement.ts). */
  placement: Placement;
  /** Called with samples trained, for the process's samples/s figure. */
  onSamples?(n: number): void;
}

export type TrainOutcome =
  | { kind: 'succeeded'; reason: string }
  | { kind: 'failed'; error: JobError }
  | { kind: 'cancelled' }
  | { kind: 'handed-back' }
  /** Not claimed: back to the queue for a moment (this process cannot take it now). */
  | { kind: 'deferred'; why: string }
  | { kind: 'fenced' }
  | { kind: 'skipped'; why: string };

/** Samples per 'eval' task. */
const EVAL_TASK = 512;

/** Why training stopped (the `completed` event's reason). */
export type StopReason = 'epochs' | 'target-accuracy' | 'patience' | 'max-runtime';

class Diverged extends Error {
  constructor(
    readonly epoch: number,
    readonly step: number,
    what: string,
  ) {
    super(`training diverged: ${what} at epoch ${epoch}, step ${step}`);
  }
}

class JobInputError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Runs (or resumes) one job to a terminal state, a hand-back, or until fenced off. */
export async function trainJob(id: string, deps: TrainDeps): Promise<TrainOutcome> {
  const { store, log } = deps;
  const doc = await store.get(id);
  if (!doc) return { kind: 'skipped', why: 'deleted' };
  if (['succeeded', 'failed', 'cancelled'].includes(doc.status)) return { kind: 'skipped', why: doc.status };

  const checkpoint = await readCheckpoint(id, deps);
  const account = crashAccount(doc.attempt, checkpoint?.state.handoffs ?? 0, await store.attemptRuns(id));
  const verdict = crashLoopVerdict(account, deps.settings.maxCrashes);
  if (verdict) {
    const claimed = await claim(id, deps, checkpoint);
    if (!claimed) return { kind: 'skipped', why: 'finished' };
    const run = new Run(id, claimed.attempt, doc.spec, deps, log.child({ jobId: id, attempt: claimed.attempt }), checkpoint);
    return run.fail({ code: 'crash-loop', message: verdict });
  }

  // A job that crashed before runs alone (placement.ts) until past the point of its crash: the
  // jobs here are evicted first.
  const seat = deps.placement.take(account.crashes > 0);
  if (!seat) return { kind: 'deferred', why: 'another job recovering from a crash runs alone in this process' };
  try {
    await seat.ready;
    if (deps.draining()) return { kind: 'deferred', why: 'the worker is shutting down' };
    const claimed = await claim(id, deps, checkpoint);
    if (!claimed) return { kind: 'skipped', why: 'finished' };
    const attempt = claimed.attempt;
    seat.mark = (run) =>
      store.markAttempt(id, attempt, run).catch((err: Error) => log.warn({ jobId: id, err: err.message }, 'attempt mark failed'));
    await store.markAttempt(id, attempt, seat.shared ? 'shared' : 'alone');
    const jlog = log.child({ jobId: id, attempt });
    if (account.crashes > 0) jlog.info({ ...account }, 'recovering from a crash: running alone in this process');
    // Read again now that the claim has fenced the attempt before off: until then it may still have
    // checkpointed (a worker frozen past its lock and woken up), and resuming from the older
    // checkpoint would publish its epoch events a second time.
    const latest = await readCheckpoint(id, deps);
    if (latest?.state.globalStep !== checkpoint?.state.globalStep) {
      jlog.info(
        { before: checkpoint?.state.globalStep ?? 0, now: latest?.state.globalStep ?? 0 },
        'the attempt before checkpointed while this one claimed the job',
      );
    }
    // update() returns the document without its spec (kept apart: inline datasets can be large).
    return await runClaimed(new Run(id, attempt, doc.spec, deps, jlog, latest, seat, furthestStep(doc)), jlog);
  } finally {
    seat.leave();
  }
}

async function readCheckpoint(id: string, { store, log }: TrainDeps): Promise<Checkpoint | undefined> {
  const bytes = await store.getCheckpoint(id);
  if (!bytes) return undefined;
  try {
    return decodeCheckpoint(bytes);
  } catch (err) {
    log.warn({ jobId: id, err }, 'unreadable checkpoint ignored; starting over');
    return undefined;
  }
}

/** Steps done at the furthest point any attempt reached (progress never goes backwards). */
function furthestStep(doc: JobDocument): number {
  const p = doc.progress;
  return Math.max(0, p.epoch - 1) * p.stepsPerEpoch + p.step;
}

/** Takes the job: the attempt number goes up and becomes this run's fencing token. Null if it finished meanwhile. */
async function claim(id: string, deps: TrainDeps, checkpoint: Checkpoint | undefined): Promise<JobDocument | null> {
  try {
    const r = await deps.store.update(
      id,
      (d) => ({ attempt: d.attempt + 1, status: 'running', stage: d.attempt > 0 ? 'recovering' : 'loading-data' }),
      { event: (d) => statusEvent(d, d.attempt > 1 ? resumeMessage(checkpoint) : undefined) },
    );
    return r!.doc;
  } catch (err) {
    if (err instanceof JobFinishedError) return null;
    throw err;
  }
}

async function runClaimed(run: Run, jlog: Logger): Promise<TrainOutcome> {
  try {
    return await run.execute(run.resuming);
  } catch (err) {
    if (err instanceof FencedError) {
      jlog.warn('another attempt owns the job; this attempt stops without recording anything');
      return { kind: 'fenced' };
    }
    if (err instanceof JobFinishedError) return { kind: 'skipped', why: err.status };
    if (err instanceof Diverged) return run.fail({ code: 'diverged', message: err.message, epoch: err.epoch, step: err.step });
    if (err instanceof JobDataError) return run.fail({ code: 'invalid-dataset', message: err.message });
    if (err instanceof JobInputError) return run.fail({ code: err.code, message: err.message });
    if (err instanceof Error && err.name === 'DatasetError') return run.fail({ code: 'invalid-dataset', message: err.message });
    jlog.error({ err }, 'training failed');
    return run.fail({ code: 'internal', message: err instanceof Error ? err.message : String(err) });
  }
}

function resumeMessage(c: Checkpoint | undefined): string {
  return c
    ? `resuming from the checkpoint at epoch ${c.state.epoch + 1}, step ${c.state.step} (attempt ${c.state.attempt})`
    : 'resuming: no checkpoint yet, starting over';
}

/** The seed a job trains with: its own, else one derived from its id (stable across attempts). */
export function jobSeed(id: string, spec: JobSpec): number {
  if (spec.training.seed !== undefined) return spec.training.seed;
  const h = createHash('sha256').update(id).digest();
  return h.readUInt32LE(0);
}

/** Epoch e's sample order: a pure function of (seed, e), so a resumed run draws the same. */
export function epochOrder(out: Uint32Array, seed: number, epoch: number, shuffle: boolean): Rng {
  for (let i = 0; i < out.length; i++) out[i] = i;
  const rng = new Rng(hashSeed(seed, epoch));
  if (shuffle) rng.shuffle(out);
  return rng;
}

function optimizerConfig(spec: JobSpec): OptimizerConfig {
  const o = spec.training.optimizer;
  const pick = <K extends string>(obj: Record<string, unknown>, keys: K[]) =>
    Object.fromEntries(keys.filter((k) => obj[k] !== undefined).map((k) => [k, obj[k]]));
  if (o.type === 'sgd') return { type: 'sgd', ...pick(o, ['momentum', 'nesterov', 'weightDecay']) };
  return { type: o.type, ...pick(o, ['beta1', 'beta2', 'weightDecay']) };
}

function schedule(spec: JobSpec, stepsPerEpoch: number): LrSchedule {
  const s = spec.training.schedule;
  if (!s) return { type: 'constant' };
  const warmup = s.warmupSteps !== undefined ? { warmupSteps: s.warmupSteps } : {};
  switch (s.type) {
    case 'constant':
      return { type: 'constant', ...warmup };
    case 'step':
      return { type: 'step', stepSize: s.stepEpochs * stepsPerEpoch, gamma: s.gamma, ...warmup };
    case 'cosine':
      return { type: 'cosine', ...(s.minLearningRate !== undefined ? { minLr: s.minLearningRate } : {}), ...warmup };
  }
}

/** The model's weights as named tensors (PyTorch layouts) over `weights`. */
export function namedTensors(model: Model, weights: Float32Array): NamedTensor[] {
  return model.params.map((p) => ({ name: p.name, shape: [...p.shape], data: weights.subarray(p.offset, p.offset + p.size) }));
}

/** Copies named tensors into a model's flat weight vector; every parameter must be given, shapes must match. */
export function loadNamedTensors(model: Model, weights: Float32Array, tensors: readonly NamedTensor[]): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  for (const p of model.params) {
    const t = byName.get(p.name);
    if (!t) throw new JobInputError('invalid-weights', `initialWeights: tensor ${p.name} is missing`);
    if (t.shape.join(',') !== p.shape.join(',')) {
      throw new JobInputError('invalid-weights', `initialWeights: ${p.name} has shape [${t.shape}], the model needs [${p.shape}]`);
    }
    weights.set(t.data, p.offset);
    byName.delete(p.name);
  }
  if (byName.size > 0) throw new JobInputError('invalid-weights', `initialWeights: unknown tensors ${[...byName.keys()].join(', ')}`);
}

function decodeTensorInput(data: string | number[]): Float32Array {
  if (Array.isArray(data)) return Float32Array.from(data);
  const buf = Buffer.from(data, 'base64');
  if (buf.length % 4 !== 0) throw new JobInputError('invalid-weights', 'initialWeights: base64 data is not whole float32 values');
  const out = new Float32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

function toBase64(data: Float32Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

function sharedFloats(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(Math.max(1, n) * 4), 0, n);
}

/** One attempt at one job: the state the loop carries. */
class Run {
  private model!: Model;
  private weights!: Float32Array;
  private gradSum!: Float32Array;
  /** The optimizer's state; its buffers are views of SharedArrayBuffers the threads update. */
  private optimizer!: OptimizerState;
  private ctx!: JobContext;
  private data!: JobData;
  private epoch = 0;
  private step = 0;
  private globalStep = 0;
  private history: EpochMetrics[] = [];
  private epochLossSum = 0;
  private epochCorrect = 0;
  private epochSeen = 0;
  private elapsedBeforeMs = 0;
  private bestLoss: number | null = null;
  private epochsWithoutImprovement = 0;
  private handoffs = 0;
  private rngState: [number, number, number, number] = [0, 0, 0, 0];
  private trained = false;
  private lastMetrics: Metrics = { loss: null, accuracy: null };
  private seed = 0;
  private shardSize = 0;
  /** Set once training is over (why), before the final weights are saved. */
  private finished: StopReason | undefined;
  private readonly startedAt = Date.now();
  private attemptSamples = 0;
  private attemptTrainMs = 0;
  private lastCheckpointAt = Date.now();
  private stepsSinceCheckpoint = 0;
  private lastProgressAt = 0;
  /** Where each step's time goes (step-timing.ts), logged per epoch. */
  private timing!: StepTiming;
  private sync!: StepSync;
  /** The attempt's job writes, in order: the loop does not wait for a progress write (the next
   *  step computes meanwhile), so each write queues behind the one before. */
  private writes: Promise<unknown> = Promise.resolve();
  /** The last progress write, awaited (its error raised) one step later. */
  private progressWrite: Promise<void> = Promise.resolve();

  constructor(
    private readonly id: string,
    private readonly attempt: number,
    private readonly spec: JobSpec,
    private readonly deps: TrainDeps,
    private readonly log: Logger,
    private readonly checkpoint: Checkpoint | undefined,
    private readonly seat?: Seat,
    /** A recovering job runs alone until it has checkpointed at or past this global step. */
    private readonly aloneUntilStep = 0,
  ) {}

  /** An earlier attempt ran: resume from its checkpoint, if any. */
  get resuming(): boolean {
    return this.attempt > 1;
  }

  private update(patch: JobPatch | ((d: JobDocument) => JobPatch | null), options: Parameters<JobStore['update']>[2] = {}) {
    const write = this.writes
      .catch(() => undefined)
      .then(() => this.deps.store.update(this.id, patch, { ...options, fence: this.attempt }));
    this.writes = write;
    return write;
  }

  private async setStage(stage: JobDocument['stage'], message?: string): Promise<void> {
    await this.update({ stage }, { event: (d) => statusEvent(d, message) });
  }

  async execute(resuming: boolean): Promise<TrainOutcome> {
    const { spec, deps } = this;
    this.seed = jobSeed(this.id, spec);
    if (resuming) await this.setStage('loading-data');
    this.data = await loadJobData(spec, deps.loadUploaded, deps.settings.datasetCacheDir);
    this.model = createModel(spec.model, { seed: this.seed });
    if (this.data.train.classes > this.model.classes) {
      throw new JobDataError(
        `the dataset has ${this.data.train.classes} classes but the model outputs ${this.model.classes} scores`,
        'dataset',
      );
    }
    const P = this.model.paramCount;
    this.weights = sharedFloats(P);
    this.weights.set(this.model.weights);
    this.gradSum = sharedFloats(P);
    const batchSize = spec.training.batchSize;
    // The micro-shard size is part of the arithmetic (the order of the gradient sum), so the job
    // sets it, never the pool; a resumed run keeps the one it started with.
    const shardSize = this.checkpoint?.state.shardSize ?? Math.min(batchSize, spec.training.microShardSize ?? DEFAULT_MICRO_SHARD_SIZE);
    this.shardSize = shardSize;
    const shards = Math.ceil(batchSize / shardSize);
    const order = new Uint32Array(new SharedArrayBuffer(this.data.train.count * 4));
    const config = resolveOptimizerConfig(optimizerConfig(spec));
    const buffers = Object.fromEntries(bufferNames(config).map((name) => [name, sharedFloats(P)]));
    this.optimizer = { config, size: P, step: 0, buffers };

    if (this.checkpoint) this.restore(this.checkpoint);
    else await this.applyInitialWeights();
    this.ctx = {
      key: `${this.id}#${this.attempt}`,
      model: spec.model,
      seed: this.seed,
      loss: spec.training.loss ?? 'cross-entropy',
      paramCount: P,
      weights: this.weights.buffer as SharedArrayBuffer,
      slots: new SharedArrayBuffer(Math.max(1, (shards - 1) * P) * 4),
      gradSum: this.gradSum.buffer as SharedArrayBuffer,
      optimizer: {
        config,
        buffers: Object.fromEntries(Object.entries(buffers).map(([k, b]) => [k, b.buffer as SharedArrayBuffer])),
      },
      order: order.buffer as SharedArrayBuffer,
      shardSize,
      sync: StepSync.allocate(shards, P),
      maxShards: shards,
      train: share(this.data.train),
      validation: this.data.validation && share(this.data.validation),
      test: this.data.test && share(this.data.test),
    };
    this.sync = new StepSync(this.ctx.sync, shards, P);
    await this.setStage('training');
    return this.loop(order, shardSize);
  }

  private restore(c: Checkpoint): void {
    const s = c.state;
    if (c.weights.length !== this.model.paramCount) throw new Error('checkpoint does not match the model');
    this.weights.set(c.weights);
    const saved = c.optimizer;
    if (saved.config.type !== this.optimizer.config.type || saved.size !== this.model.paramCount) {
      throw new Error('checkpoint does not match the optimizer');
    }
    for (const [name, buffer] of Object.entries(this.optimizer.buffers)) {
      const from = saved.buffers[name];
      if (!from || from.length !== buffer.length) throw new Error(`checkpoint lacks optimizer buffer ${name}`);
      buffer.set(from);
    }
    this.optimizer.step = saved.step;
    this.epoch = s.epoch;
    this.step = s.step;
    this.globalStep = s.globalStep;
    this.history = s.history;
    this.epochLossSum = s.epochLossSum;
    this.epochCorrect = s.epochCorrect;
    this.epochSeen = s.epochSeen;
    this.elapsedBeforeMs = s.elapsedMs;
    this.bestLoss = s.bestLoss;
    this.epochsWithoutImprovement = s.epochsWithoutImprovement;
    this.handoffs = s.handoffs;
    this.finished = s.finished;
    this.trained = s.globalStep > 0;
    const last = s.history.at(-1);
    if (last) this.lastMetrics = metricsOf(last);
    this.log.info({ epoch: s.epoch + 1, step: s.step, globalStep: s.globalStep, from: s.attempt }, 'resumed from checkpoint');
  }

  private async applyInitialWeights(): Promise<void> {
    const init = this.spec.initialWeights;
    if (!init) return;
    let tensors: NamedTensor[];
    if ('fromJob' in init) {
      const bytes = await this.deps.store.getWeights(init.fromJob);
      if (!bytes) throw new JobInputError('invalid-weights', `initialWeights.fromJob: job ${init.fromJob} has no weights`);
      tensors = decodeSafetensors(bytes).tensors;
    } else {
      tensors = init.tensors.map((t) => ({ name: t.name, shape: t.shape, data: decodeTensorInput(t.data) }));
    }
    loadNamedTensors(this.model, this.weights, tensors);
  }

  private async loop(order: Uint32Array, shardSize: number): Promise<TrainOutcome> {
    if (this.finished) return this.finish(this.finished);
    const { spec, deps, ctx } = this;
    const { store } = deps;
    const n = this.data.train.count;
    const batchSize = spec.training.batchSize;
    const epochs = spec.training.epochs;
    const stepsPerEpoch = Math.ceil(n / batchSize);
    const totalSteps = epochs * stepsPerEpoch;
    const sched = schedule(spec, stepsPerEpoch);
    const baseLr = spec.training.optimizer.learningRate;
    const clipNorm = spec.training.clipNorm;
    const maxRuntimeMs = (spec.stopping?.maxRuntimeSeconds ?? Infinity) * 1000;
    const shuffle = spec.training.shuffle ?? true;
    const ranges = reduceRanges(ctx.paramCount, deps.pool.threads);
    this.timing = new StepTiming(deps.pool.threads);
    let lr = baseLr;

    for (; this.epoch < epochs; this.epoch++) {
      const epochStart = Date.now();
      this.rngState = epochOrder(order, this.seed, this.epoch, shuffle).getState();
      for (; this.step < stepsPerEpoch; ) {
        const cancelled = store.isCancelRequested(this.id);
        const t0 = Date.now();
        const tStart = performance.now();
        const from = this.step * batchSize;
        const to = Math.min(from + batchSize, n);
        const bs = to - from;
        // Sum the shards and, without clipping, update the weights in the same tasks.
        lr = learningRate(sched, baseLr, this.globalStep, totalSteps);
        const update = { lr, step: this.optimizer.step };
        const fused = clipNorm === undefined;
        const shards = Math.ceil(bs / shardSize);
        this.sync.reset(shards);
        const tasks: Promise<GradResult>[] = [];
        for (let s = 0, a = from; a < to; s++, a += shardSize) {
          tasks.push(
            deps.pool.run<GradResult>({
              kind: 'grad',
              ctx,
              slot: s,
              shards,
              from: a,
              to: Math.min(a + shardSize, to),
              scale: 1 / bs,
              step: this.globalStep,
              update: fused ? update : undefined,
            }),
          );
        }
        const results = await Promise.all(tasks);
        await this.progressWrite; // the last step's, written while this one computed
        const t1 = performance.now();
        let lossSum = 0;
        let correct = 0;
        for (const r of results) {
          lossSum += r.lossSum;
          correct += r.correct;
        }
        if (!Number.isFinite(lossSum)) throw new Diverged(this.epoch + 1, this.step + 1, `loss is ${lossSum}`);
        let sumsq = 0;
        for (const part of this.sync.chunkSums()) sumsq += part; // chunk order
        const gradNorm = Math.sqrt(sumsq);
        if (!Number.isFinite(gradNorm)) throw new Diverged(this.epoch + 1, this.step + 1, `gradient norm is ${gradNorm}`);
        // With clipping, the optimizer runs once the global norm is known: scale, then update.
        let applied: TaskTiming[] = [];
        if (!fused) {
          const scale = clipNorm / (gradNorm + 1e-6);
          applied = await Promise.all(
            ranges.map(([a, b]) => deps.pool.run<TaskTiming>({ kind: 'apply', ctx, from: a, to: b, scale, update })),
          );
        }
        this.optimizer.step++;
        const t2 = performance.now();
        this.globalStep++;
        this.step++;
        this.trained = true;
        this.epochLossSum += lossSum;
        this.epochCorrect += correct;
        this.epochSeen += bs;
        this.attemptSamples += bs;
        this.attemptTrainMs += Date.now() - t0;
        this.stepsSinceCheckpoint++;
        deps.onSamples?.(bs);

        if (await cancelled) return this.cancel();
        this.progressWrite = this.maybeProgress(stepsPerEpoch, totalSteps, this.step === stepsPerEpoch);
        this.progressWrite.catch(() => undefined); // raised by the await in the next step
        const t3 = performance.now();
        this.timing.record({ gradMs: t1 - tStart, applyMs: t2 - t1, redisMs: t3 - t2 }, results, applied);
        if (deps.draining()) return this.handBack('worker shutting down');
        if (this.seat?.evicted) return this.handBack('making room on this worker for a job recovering from a crash');
        if (this.elapsedMs() >= maxRuntimeMs) return this.finish('max-runtime');
        if (this.step < stepsPerEpoch && this.checkpointDue()) await this.saveCheckpoint();
      }

      // Epoch end: evaluate, publish, checkpoint, stopping rules.
      const metrics = await this.evaluateEpoch(lr, Date.now() - epochStart);
      this.history.push(metrics);
      this.lastMetrics = metricsOf(metrics);
      const norms = this.norms();
      const stop = this.stoppingReason(metrics);
      this.epochLossSum = this.epochCorrect = this.epochSeen = 0;
      this.step = 0;
      // The epoch's event and the checkpoint at the start of the next epoch land in one atomic write:
      // a crash can neither lose the event nor make a resumed attempt publish it twice. After the
      // last epoch the checkpoint records that training is over, so an attempt resumed during
      // `saving` goes straight to saving.
      if (stop !== undefined || this.epoch + 1 >= epochs) this.finished = stop ?? 'epochs';
      this.epoch++;
      const checkpoint = this.checkpointBytes();
      this.epoch--; // the for loop increments it
      await this.update(
        { metrics: this.lastMetrics, history: this.history, stage: 'training' },
        { event: { type: 'epoch', data: { epoch: this.epoch + 1, epochs, metrics, norms } }, checkpoint },
      );
      this.checkpointSaved();
      this.log.info({ epoch: this.epoch + 1, ...this.lastMetrics, timing: this.timing.take() }, 'epoch done');
      if (this.finished) return this.finish(this.finished);
    }
    return this.finish('epochs');
  }

  private elapsedMs(): number {
    return this.elapsedBeforeMs + (Date.now() - this.startedAt);
  }

  private checkpointDue(): boolean {
    const { checkpointEverySteps, checkpointEverySeconds } = this.deps.settings;
    if (checkpointEverySteps > 0 && this.stepsSinceCheckpoint >= checkpointEverySteps) return true;
    return checkpointEverySeconds > 0 && Date.now() - this.lastCheckpointAt >= checkpointEverySeconds * 1000;
  }

  private checkpointBytes(): Buffer {
    const opt = this.optimizer;
    const state: CheckpointState = {
      jobId: this.id,
      attempt: this.attempt,
      epoch: this.epoch,
      step: this.step,
      globalStep: this.globalStep,
      rng: { seed: this.seed, epoch: this.epoch, state: this.rngState },
      history: this.history,
      epochLossSum: this.epochLossSum,
      epochCorrect: this.epochCorrect,
      epochSeen: this.epochSeen,
      elapsedMs: this.elapsedMs(),
      bestLoss: this.bestLoss,
      epochsWithoutImprovement: this.epochsWithoutImprovement,
      handoffs: this.handoffs,
      shardSize: this.shardSize,
      ...(this.finished ? { finished: this.finished } : {}),
      optimizer: { config: opt.config, size: opt.size, step: opt.step },
      savedAt: new Date().toISOString(),
    };
    const bytes = encodeCheckpoint(state, this.weights, opt);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private checkpointSaved(): void {
    this.lastCheckpointAt = Date.now();
    this.stepsSinceCheckpoint = 0;
    // Recovering alone, and now past (and checkpointed beyond) the furthest point any attempt had
    // reached: whatever killed the shared process did not happen here, so share it again.
    if (this.seat?.exclusive && this.globalStep >= this.aloneUntilStep) {
      this.seat.relax();
      this.log.info({ step: this.globalStep }, 'past the point of the last crash: sharing the worker again');
    }
  }

  private async saveCheckpoint(): Promise<void> {
    const bytes = this.checkpointBytes();
    const ok = await this.deps.store.putCheckpoint(this.id, this.attempt, bytes);
    if (!ok) throw new FencedError(this.id, this.attempt);
    this.checkpointSaved();
    this.log.debug({ epoch: this.epoch + 1, step: this.step, bytes: bytes.length }, 'checkpoint saved');
  }

  private async maybeProgress(stepsPerEpoch: number, totalSteps: number, force: boolean): Promise<void> {
    const now = Date.now();
    if (!force && now - this.lastProgressAt < this.deps.settings.progressIntervalMs) return;
    this.lastProgressAt = now;
    const done = this.epoch * stepsPerEpoch + this.step;
    const sps = this.attemptTrainMs > 0 ? (this.attemptSamples * 1000) / this.attemptTrainMs : null;
    const stepMs = (this.attemptTrainMs / Math.max(1, this.attemptSamples)) * this.spec.training.batchSize;
    const progress: Progress = {
      epoch: this.epoch + 1,
      epochs: this.spec.training.epochs,
      step: this.step,
      stepsPerEpoch,
      percent: Math.min(100, (done / totalSteps) * 100),
      etaSeconds: sps ? Math.round(((totalSteps - done) * stepMs) / 100) / 10 : null,
      samplesPerSecond: sps === null ? null : Math.round(sps * 10) / 10,
    };
    const loss = this.epochSeen ? this.epochLossSum / this.epochSeen : null;
    const accuracy = this.epochSeen ? this.epochCorrect / this.epochSeen : null;
    await this.update({ progress }, { event: { type: 'progress', data: { ...progress, loss, accuracy } } });
  }

  private async evaluateSplit(split: 'validation' | 'test'): Promise<{ loss: number; accuracy: number } | undefined> {
    const ds = split === 'validation' ? this.data.validation : this.data.test;
    if (!ds) return undefined;
    const tasks: Promise<LossResult>[] = [];
    for (let a = 0; a < ds.count; a += EVAL_TASK) {
      tasks.push(this.deps.pool.run<LossResult>({ kind: 'eval', ctx: this.ctx, split, from: a, to: Math.min(a + EVAL_TASK, ds.count) }));
    }
    let lossSum = 0;
    let correct = 0;
    for (const r of await Promise.all(tasks)) {
      lossSum += r.lossSum;
      correct += r.correct;
    }
    return { loss: lossSum / ds.count, accuracy: correct / ds.count };
  }

  private async evaluateEpoch(lr: number, ms: number): Promise<EpochMetrics> {
    const hasEval = this.data.validation || this.data.test;
    if (hasEval) await this.setStage('evaluating');
    const val = await this.evaluateSplit('validation');
    const test = await this.evaluateSplit('test');
    const m: EpochMetrics = {
      epoch: this.epoch + 1,
      loss: this.epochSeen ? this.epochLossSum / this.epochSeen : null,
      accuracy: this.epochSeen ? this.epochCorrect / this.epochSeen : null,
      learningRate: lr,
      seconds: ms / 1000,
    };
    if (val) Object.assign(m, { valLoss: val.loss, valAccuracy: val.accuracy });
    if (test) Object.assign(m, { testLoss: test.loss, testAccuracy: test.accuracy });
    return m;
  }

  /** Per parameter tensor: the weights' L2 norm and the last step's gradient L2 norm. */
  private norms(): TensorNorm[] {
    return this.model.params.map((p) => ({
      name: p.name,
      weightNorm: l2Norm(this.weights, p.offset, p.offset + p.size),
      gradNorm: l2Norm(this.gradSum, p.offset, p.offset + p.size),
    }));
  }

  private stoppingReason(m: EpochMetrics): Exclude<StopReason, 'epochs' | 'max-runtime'> | undefined {
    const stopping = this.spec.stopping;
    if (!stopping) return undefined;
    const acc = m.valAccuracy ?? m.testAccuracy ?? m.accuracy;
    if (stopping.targetAccuracy !== undefined && acc !== null && acc !== undefined && acc >= stopping.targetAccuracy) {
      return 'target-accuracy';
    }
    if (stopping.patience !== undefined) {
      const watched = m.valLoss ?? m.loss;
      if (watched !== null && watched !== undefined && (this.bestLoss === null || watched < this.bestLoss)) {
        this.bestLoss = watched;
        this.epochsWithoutImprovement = 0;
      } else if (++this.epochsWithoutImprovement >= stopping.patience) {
        return 'patience';
      }
    }
    return undefined;
  }

  /** The weights as safetensors bytes plus the reference events and documents carry. */
  private packWeights(): { bytes: Buffer; ref: WeightsRef; info: { sha256: string; bytes: number } } {
    const tensors = namedTensors(this.model, this.weights);
    // Bytes depend on the weights (and the input scale) only, so equal weights have equal sha256.
    const raw = encodeSafetensors(tensors, { format: 'convoy-weights/1', input_scale: String(this.data.inputScale) });
    const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const ref: WeightsRef = { href: `/v1/jobs/${this.id}/weights`, sha256, bytes: bytes.length };
    if (bytes.length <= this.deps.settings.weightsInlineMaxBytes) {
      ref.tensors = tensors.map((t): TensorOutput => ({ name: t.name, shape: t.shape, dtype: 'float32', data: toBase64(t.data) }));
    }
    return { bytes, ref, info: { sha256, bytes: bytes.length } };
  }

  private async finish(reason: StopReason): Promise<TrainOutcome> {
    await this.setStage('saving');
    const { bytes, ref, info } = this.packWeights();
    await this.update(
      {
        status: 'succeeded',
        stage: 'done',
        metrics: this.lastMetrics,
        history: this.history,
        weights: info,
        progress: this.finalProgress(),
      },
      {
        weights: bytes,
        event: { type: 'completed', data: { metrics: this.lastMetrics, history: this.history, weights: ref, reason } },
      },
    );
    this.log.info({ reason, ...this.lastMetrics }, 'job succeeded');
    return { kind: 'succeeded', reason };
  }

  private finalProgress(): Progress {
    const epochs = this.spec.training.epochs;
    const stepsPerEpoch = Math.ceil(this.data.train.count / this.spec.training.batchSize);
    const sps = this.attemptTrainMs > 0 ? (this.attemptSamples * 1000) / this.attemptTrainMs : null;
    return {
      epoch: Math.min(this.epoch + 1, epochs),
      epochs,
      step: this.step === 0 && this.epoch > 0 ? stepsPerEpoch : this.step,
      stepsPerEpoch,
      percent: 100,
      etaSeconds: 0,
      samplesPerSecond: sps === null ? null : Math.round(sps * 10) / 10,
    };
  }

  private async cancel(): Promise<TrainOutcome> {
    const metrics: Metrics = {
      ...this.lastMetrics,
      ...(this.epochSeen ? { loss: this.epochLossSum / this.epochSeen, accuracy: this.epochCorrect / this.epochSeen } : {}),
    };
    const packed = this.trained ? this.packWeights() : undefined;
    await this.update(
      { status: 'cancelled', stage: 'done', metrics, history: this.history, weights: packed ? { ...packed.info, partial: true } : null },
      {
        ...(packed ? { weights: packed.bytes } : {}),
        event: { type: 'cancelled', data: { metrics, weights: packed?.ref ?? null } },
      },
    );
    this.log.info({ epoch: this.epoch + 1, step: this.step }, 'job cancelled');
    return { kind: 'cancelled' };
  }

  private async handBack(why: string): Promise<TrainOutcome> {
    this.handoffs++;
    // marked before the checkpoint counts the hand-off: dying in between counts as a crash
    await this.deps.store.markAttempt(this.id, this.attempt, 'handed-back');
    await this.saveCheckpoint();
    await this.update(
      { status: 'queued', stage: 'queued' },
      {
        event: (d) => statusEvent(d, `${why}: checkpointed at epoch ${this.epoch + 1}, step ${this.step}; the job goes back to the queue`),
      },
    );
    this.log.info({ epoch: this.epoch + 1, step: this.step, why }, 'job handed back');
    return { kind: 'handed-back' };
  }

  async fail(error: JobError): Promise<TrainOutcome> {
    try {
      await this.update({ status: 'failed', stage: 'done', error, history: this.history }, { event: failedEvent(error, this.attempt) });
    } catch (err) {
      if (err instanceof FencedError) return { kind: 'fenced' };
      if (err instanceof JobFinishedError) return { kind: 'skipped', why: err.status };
      throw err;
    }
    this.log.warn({ error }, 'job failed');
    return { kind: 'failed', error };
  }
}

function metricsOf(m: EpochMetrics): Metrics {
  const out: Metrics = { loss: m.loss, accuracy: m.accuracy };
  if (m.valLoss !== undefined) out.valLoss = m.valLoss;
  if (m.valAccuracy !== undefined) out.valAccuracy = m.valAccuracy;
  if (m.testLoss !== undefined) out.testLoss = m.testLoss;
  if (m.testAccuracy !== undefined) out.testAccuracy = m.testAccuracy;
  return out;
}
