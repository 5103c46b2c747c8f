// The training loop of one job attempt, on the worker's main thread. It orchestrates and never
// runs the engine itself: every forward/backward, gradient sum and evaluation is a pool task
// (pool-step.ts), so the event loop stays free for BullMQ's lock renewal, Redis and the cancel check.
//
//   admit (admission.ts): claim (attempt + 1, the fencing token), a seat in this process
//   start: load data once ─ share it (workspace.ts) ─ state = the checkpoint's, or a fresh one
//   for each epoch: order = seeded shuffle(seed, epoch)
//     for each batch: step on the pool ─ cancel? ─ progress (<= ~4/s, written while the next step
//                     computes) ─ hook: hand back? ─ max runtime? ─ checkpoint due?
//     epoch end: evaluate on the pool ─ `epoch` event + checkpoint in one write ─ stopping rules
//   terminal commit (job-writer.ts): `completed` (weights) | `failed` | `cancelled` (partial weights)
//
// The run's state is one TrainState (checkpoint.ts): a checkpoint is that object with the tensors,
// and resuming is taking the checkpoint's. Every write carries the attempt as a fence (job-writer.ts).
import type { TensorNorm } from '../src/contracts/index.js';
import { kernelVariant, l2Norm, resolveSpec, trainingThreadBytes, type WeightsOwner } from '../src/engine/index.js';
import { admit, settle, type Admitted } from './admission.js';
import type { TrainDeps, TrainOutcome } from './attempt.js';
import { checkpointDue, encodeCheckpoint, initialTrainState, restoreTensors, type TrainState } from './checkpoint.js';
import { loadJobData, type JobData } from './data.js';
import { epochOrder, jobSeed, microShardSize, stepLr, trainPlan, type TrainPlan } from './job-plan.js';
import { loadInitialWeights, packWeights, type PackedWeights } from './job-weights.js';
import { addStep, epochMeans, epochMetrics, latestMetrics } from './metrics.js';
import { evaluateSplit, trainStep } from './pool-step.js';
import { CONFUSED_KEEP, evaluatedSplit, evaluationEvent } from './evaluation.js';
import { finalProgress, progressAt, type Throughput } from './progress.js';
import { StepTiming } from './step-timing.js';
import { outOfTime, stopAfterEpoch, type StopReason } from './stopping.js';
import { createWorkspace, type Workspace } from './workspace.js';

/** Progress events carry the norms on the first and then at most this often: a live view of
 *  backprop between epoch events, without a log of 5,000 progress events growing much. */
const NORMS_EVERY_MS = 2000;

/** Runs (or resumes) one job to a terminal state, a hand-back, or until fenced off. */
export function trainJob(id: string, deps: TrainDeps): Promise<TrainOutcome> {
  return admit(id, deps, async (a) => {
    try {
      return await (await Run.start(a, deps)).train();
    } catch (err) {
      return settle(err, a.writer, a.log);
    } finally {
      releaseThreads(a, deps);
    }
  });
}

/** The pool's threads kept this attempt's buffers: past POOL_RECYCLE_BYTES they are replaced (pool.ts). */
function releaseThreads(a: Admitted, deps: TrainDeps): void {
  const { batchSize } = a.spec.training;
  const bytes = trainingThreadBytes(resolveSpec(a.spec.model), { batchSize, shardSize: microShardSize(a.spec) }).total;
  if (deps.pool.release(bytes)) a.log.info({ perThreadBytes: bytes }, 'pool threads replaced to give memory back');
}

/** The attempt's tensors under their file names: parameters, then batch norm's running statistics. */
function weightsOf(w: Workspace): WeightsOwner {
  return { params: w.model.params, weights: w.weights, buffers: w.model.buffers, bufferValues: w.running };
}

/** One attempt at one job: its state, its shared memory, the loop. */
class Run {
  private readonly plan: TrainPlan;
  /** Where each step's time goes (step-timing.ts), logged per epoch. */
  private readonly timing: StepTiming;
  /** This attempt's samples and step time, for samples/s and the ETA. */
  private readonly throughput: Throughput = { samples: 0, ms: 0 };
  /** This attempt's latest checkpoint: its global step (null before the first) and time. */
  private lastCheckpoint: { step: number | null; at: number };
  private readonly firstStep: number;
  private lastProgressAt = 0;
  private lastNormsAt = 0;
  /** The last progress write, awaited (its error raised) one step later. */
  private progressWrite: Promise<void> = Promise.resolve();

  private constructor(
    private readonly a: Admitted,
    private readonly deps: TrainDeps,
    private readonly data: JobData,
    private readonly w: Workspace,
    private readonly state: TrainState,
    /** When state.elapsedMs was last brought up to date. */
    private clockAt: number,
  ) {
    this.plan = trainPlan(a.spec, data.train.count);
    this.timing = new StepTiming(deps.pool.threads);
    this.lastCheckpoint = { step: null, at: clockAt };
    this.firstStep = state.globalStep;
  }

  static async start(a: Admitted, deps: TrainDeps): Promise<Run> {
    const startedAt = Date.now();
    if (a.attempt > 1) await a.writer.stage('loading-data');
    const data = await loadJobData(a.spec, deps.loadUploaded, deps.settings.datasetCacheDir);
    const c = a.checkpoint;
    const shardSize = c?.state.shardSize ?? microShardSize(a.spec);
    const w = createWorkspace(`${a.id}#${a.attempt}`, a.spec, jobSeed(a.id, a.spec), data, shardSize);
    let state: TrainState;
    if (c) {
      restoreTensors(c, w);
      state = c.state;
      state.kernelVariant ??= kernelVariant; // a checkpoint of an earlier build: this variant from now on
      a.log.info({ epoch: state.epoch + 1, step: state.step, globalStep: state.globalStep, from: c.attempt }, 'resumed from checkpoint');
    } else {
      await loadInitialWeights(a.spec, deps.store, weightsOf(w));
      state = initialTrainState(shardSize, kernelVariant);
    }
    await a.writer.stage('training');
    return new Run(a, deps, data, w, state, startedAt);
  }

  async train(): Promise<TrainOutcome> {
    const { state, plan } = this;
    if (state.finished) return this.finish(state.finished);
    while (state.epoch < plan.epochs) {
      const epochStart = Date.now();
      epochOrder(this.w.order, this.w.ctx.seed, state.epoch, plan.shuffle);
      while (state.step < plan.stepsPerEpoch) {
        const cancelled = this.a.writer.cancelRequested();
        await this.step();
        if (await cancelled) return this.cancel();
        this.progressWrite = this.reportProgress();
        this.progressWrite.catch(() => undefined); // raised by the await in the next step
        const handBack = await this.a.hook.afterStep(this.lastCheckpoint.step);
        if (handBack) return this.handBack(handBack);
        if (outOfTime(this.a.spec.stopping, state.elapsedMs)) return this.finish('max-runtime');
        if (state.step < plan.stepsPerEpoch && this.checkpointDue()) await this.saveCheckpoint();
      }
      const stop = await this.endEpoch(epochStart);
      if (stop) return this.finish(stop);
    }
    return this.finish('epochs');
  }

  /** One optimizer step on the pool; the state moves past it. */
  private async step(): Promise<void> {
    const { state, plan } = this;
    const from = state.step * plan.batchSize;
    const to = Math.min(from + plan.batchSize, plan.samples);
    const lr = stepLr(plan, state.globalStep);
    const { globalStep, epoch } = state;
    const r = await trainStep(this.deps.pool, this.w, { from, to, globalStep, epoch, lr, clipNorm: plan.clipNorm, at: state });
    const waitFrom = performance.now();
    await this.progressWrite; // the last step's, written while this one computed
    this.timing.record({ gradMs: r.gradMs, applyMs: r.applyMs, redisMs: performance.now() - waitFrom }, r.grads, r.applied);
    state.globalStep++;
    state.step++;
    addStep(state, r, r.samples);
    this.throughput.samples += r.samples;
    this.throughput.ms += r.gradMs + r.applyMs;
    this.tick();
    this.deps.onSamples?.(r.samples);
  }

  /** Evaluates, publishes the epoch and checkpoints the start of the next; why training stops, if it does. */
  private async endEpoch(epochStart: number): Promise<StopReason | undefined> {
    const { state, plan, w } = this;
    const seconds = (Date.now() - epochStart) / 1000;
    if (w.ctx.validation || w.ctx.test) await this.a.writer.stage('evaluating');
    const shown = evaluatedSplit(w.ctx);
    const keep = (split: 'validation' | 'test') => (split === shown ? CONFUSED_KEEP : undefined);
    const evaluated = {
      validation: await evaluateSplit(this.deps.pool, w, 'validation', keep('validation')),
      test: await evaluateSplit(this.deps.pool, w, 'test', keep('test')),
    };
    const confusion = shown && evaluated[shown]?.confusion;
    const metrics = epochMetrics(state.epoch + 1, state, stepLr(plan, state.globalStep - 1), seconds, evaluated);
    const norms = this.norms();
    state.history.push(metrics);
    const stop = stopAfterEpoch(this.a.spec.stopping, metrics, plan.epochs, state);
    // The checkpoint goes with the epoch's event (job-writer.ts epochDone) and holds the start of the
    // next epoch; after the last, it records that training is over, so an attempt resumed during
    // `saving` goes straight to saving.
    Object.assign(state, { epoch: state.epoch + 1, step: 0, epochLossSum: 0, epochCorrect: 0, epochSeen: 0 });
    if (stop) state.finished = stop;
    const latest = latestMetrics(state.history);
    const evaluation = shown && confusion && evaluationEvent(shown, confusion, w.ctx[shown]!);
    const event = { epoch: metrics.epoch, epochs: plan.epochs, metrics, norms, ...(evaluation && { evaluation }) };
    await this.a.writer.epochDone(event, { metrics: latest, history: state.history, checkpoint: this.checkpointBytes() });
    this.lastCheckpoint = { step: state.globalStep, at: Date.now() };
    this.a.log.info({ epoch: metrics.epoch, ...latest, timing: this.timing.take() }, 'epoch done');
    return stop;
  }

  /** Brings state.elapsedMs up to now. */
  private tick(): void {
    const now = Date.now();
    this.state.elapsedMs += now - this.clockAt;
    this.clockAt = now;
  }

  private reportProgress(): Promise<void> {
    const { state, plan } = this;
    const now = Date.now();
    // at most every progressIntervalMs, and always at an epoch's last step
    if (state.step < plan.stepsPerEpoch && now - this.lastProgressAt < this.deps.settings.progressIntervalMs) return Promise.resolve();
    this.lastProgressAt = now;
    const norms = now - this.lastNormsAt >= NORMS_EVERY_MS ? this.norms() : undefined;
    if (norms) this.lastNormsAt = now;
    return this.a.writer.progress(progressAt(state, plan, this.throughput), epochMeans(state), norms);
  }

  private checkpointDue(): boolean {
    const { checkpointEverySteps: steps, checkpointEverySeconds: seconds } = this.deps.settings;
    const since = { steps: this.state.globalStep - (this.lastCheckpoint.step ?? this.firstStep), ms: Date.now() - this.lastCheckpoint.at };
    return checkpointDue({ steps, seconds }, since);
  }

  private checkpointBytes(): Buffer {
    this.tick();
    const bytes = encodeCheckpoint(this.state, { jobId: this.a.id, attempt: this.a.attempt }, this.w);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private async saveCheckpoint(): Promise<void> {
    const bytes = this.checkpointBytes();
    await this.a.writer.checkpoint(bytes);
    this.lastCheckpoint = { step: this.state.globalStep, at: Date.now() };
    this.a.log.debug({ epoch: this.state.epoch + 1, step: this.state.step, bytes: bytes.length }, 'checkpoint saved');
  }

  /** Per parameter tensor: the weights' L2 norm and the last step's gradient L2 norm. */
  private norms(): TensorNorm[] {
    const { model, weights, gradSum } = this.w;
    return model.params.map(({ name, offset, size }) => ({
      name,
      weightNorm: l2Norm(weights, offset, offset + size),
      gradNorm: l2Norm(gradSum, offset, offset + size),
    }));
  }

  private packWeights(): PackedWeights {
    return packWeights(this.a.id, weightsOf(this.w), this.data.inputScale, this.deps.settings.weightsInlineMaxBytes);
  }

  private async finish(reason: StopReason): Promise<TrainOutcome> {
    const { state, plan } = this;
    await this.a.writer.stage('saving');
    const progress = finalProgress(state, plan, this.throughput);
    return this.a.writer.completed({
      reason,
      metrics: latestMetrics(state.history),
      history: state.history,
      weights: this.packWeights(),
      progress,
    });
  }

  private cancel(): Promise<TrainOutcome> {
    const { state } = this;
    const metrics = { ...latestMetrics(state.history), ...(state.epochSeen ? epochMeans(state) : {}) };
    const weights = state.globalStep > 0 ? this.packWeights() : undefined;
    return this.a.writer.cancelled(state, { metrics, history: state.history, weights });
  }

  private async handBack(why: string): Promise<TrainOutcome> {
    this.state.handoffs++;
    await this.saveCheckpoint();
    return this.a.writer.handedBack(this.state, why);
  }
}
