// Whether this process runs a job now, and as which attempt; and what an attempt's error means.
//
//   finished or deleted? ─ skip
//   crashed too often (crash-account.ts)? ─ claim, fail with `crash-loop`
//   checkpointed by another kernel variant than this process runs (FMA or not)? ─ defer (refused)
//   a seat in this process (placement.ts; a job recovering from a crash runs alone) ─ else defer
//   claim: attempt + 1 becomes the fencing token ─ mark how it runs (alone/shared) ─ read the
//   checkpoint again (now that the attempt before is fenced off) ─ run
//
// Placement and crash accounting then ride along the loop on one per-step hook (StepHook).
import type { Logger } from 'pino';
import { isTerminalStatus, newErrorId, type JobDocument, type JobError, type JobSpec } from '../src/contracts/index.js';
import { DatasetError } from '../src/datasets/index.js';
import { kernelVariant, WeightsError } from '../src/engine/index.js';
import { FencedError, isTransientStorageError, JobFinishedError, QuotaExceededError, statusEvent } from '../src/store/index.js';
import type { TrainDeps, TrainOutcome } from './attempt.js';
import { decodeCheckpoint, type Checkpoint } from './checkpoint.js';
import { crashAccount, crashLoopVerdict } from './crash-account.js';
import { JobDataError } from './data.js';
import { JobWriter } from './job-writer.js';
import type { Seat } from './placement.js';
import { Diverged } from './pool-step.js';

/** Side concerns of the step loop (placement, crash accounting, shutdown), asked after every step. */
export interface StepHook {
  /**
   * `checkpointed`: the global step of this attempt's latest checkpoint (null before its first).
   * Resolves to why the job must go back to the queue now, or null.
   */
  afterStep(checkpointed: number | null): Promise<string | null>;
}

/** A claimed attempt, ready to run. */
export interface Admitted {
  id: string;
  attempt: number;
  spec: JobSpec;
  /** The checkpoint to resume from, read after the claim. */
  checkpoint: Checkpoint | undefined;
  hook: StepHook;
  writer: JobWriter;
  log: Logger;
}

/** Admits the job and runs `run` as its new attempt, or says why not. */
export async function admit(id: string, deps: TrainDeps, run: (a: Admitted) => Promise<TrainOutcome>): Promise<TrainOutcome> {
  const { store, log } = deps;
  const doc = await store.get(id);
  if (!doc) return { kind: 'skipped', why: 'deleted' };
  if (isTerminalStatus(doc.status)) return { kind: 'skipped', why: doc.status };

  const checkpoint = await readCheckpoint(id, deps);
  const account = crashAccount(doc.attempt, checkpoint?.state.handoffs ?? 0, await store.attemptRuns(id));
  const verdict = crashLoopVerdict(account, deps.settings.maxCrashes);
  if (verdict) {
    const attempt = await claim(id, deps, checkpoint, -1);
    if (attempt === null || attempt === 'quota') return { kind: 'skipped', why: 'finished' };
    return new JobWriter(store, id, attempt, log.child({ jobId: id, attempt }), deps.settings.finalWriteRetryMs).failed({
      code: 'crash-loop',
      message: verdict,
    });
  }

  // Weights computed with FMA kernels and resumed without them (or the reverse) would no longer be
  // the bits any single variant gives: refuse, so that a worker running the job's variant takes it.
  const refusal = variantRefusal(checkpoint);
  if (refusal) {
    log.warn({ jobId: id, recorded: checkpoint?.state.kernelVariant, kernelVariant }, refusal);
    return { kind: 'deferred', why: refusal };
  }

  // A job that crashed before runs alone (placement.ts) until past the point of its crash: the
  // jobs here are evicted first.
  const seat = deps.placement.take(account.crashes > 0);
  if (!seat) return { kind: 'deferred', why: 'another job recovering from a crash runs alone in this process' };
  try {
    await seat.ready;
    if (deps.draining()) return { kind: 'deferred', why: 'the worker is shutting down' };
    const maxRunning = await deps.maxRunningJobs(doc.tenant);
    const attempt = await claim(id, deps, checkpoint, maxRunning);
    if (attempt === null) return { kind: 'skipped', why: 'finished' };
    if (attempt === 'quota') return { kind: 'deferred', why: `tenant ${doc.tenant} has ${maxRunning} jobs running (its quota)` };
    seat.mark = (how) =>
      store.markAttempt(id, attempt, how).catch((err: Error) => log.warn({ jobId: id, err: err.message }, 'attempt mark failed'));
    await store.markAttempt(id, attempt, seat.shared ? 'shared' : 'alone');
    const jlog = log.child({ jobId: id, attempt });
    if (account.crashes > 0) jlog.info({ ...account }, 'recovering from a crash: running alone in this process');
    // Read again now that the claim has fenced the attempt before off: until then it may still have
    // checkpointed (a worker frozen past its lock and woken up), and resuming from the older
    // checkpoint would publish its epoch events a second time.
    const writer = new JobWriter(store, id, attempt, jlog, deps.settings.finalWriteRetryMs);
    const latest = await readCheckpoint(id, deps);
    const late = variantRefusal(latest); // the attempt before checkpointed with another variant meanwhile
    if (late) return writer.failed({ code: 'internal', message: late });
    if (latest?.state.globalStep !== checkpoint?.state.globalStep) {
      jlog.info(
        { before: checkpoint?.state.globalStep ?? 0, now: latest?.state.globalStep ?? 0 },
        'the attempt before checkpointed while this one claimed the job',
      );
    }
    const hook = seatHook({
      seat,
      aloneUntilStep: furthestStep(doc),
      draining: () => deps.draining(),
      markHandedBack: () => store.markAttempt(id, attempt, 'handed-back'),
      log: jlog,
    });
    // doc.spec: the claim's update() returns the document without its spec (kept apart: inline datasets can be large).
    return await run({ id, attempt, spec: doc.spec, checkpoint: latest, hook, writer, log: jlog });
  } finally {
    seat.leave();
  }
}

/**
 * Placement and crash accounting on the loop: a job recovering from a crash shares its worker again
 * once it has checkpointed at or past `aloneUntilStep`; a shutdown or an eviction hands the job back,
 * marked `handed-back` before the hand-back's checkpoint counts it (dying in between counts as a crash).
 */
export function seatHook(o: {
  seat: Seat;
  aloneUntilStep: number;
  draining: () => boolean;
  markHandedBack: () => Promise<void>;
  log: Logger;
}): StepHook {
  const { seat, aloneUntilStep, draining, markHandedBack, log } = o;
  return {
    async afterStep(checkpointed) {
      // Past (and checkpointed beyond) the furthest point any attempt had reached: whatever killed
      // the shared process did not happen here.
      if (seat.exclusive && checkpointed !== null && checkpointed >= aloneUntilStep) {
        seat.relax();
        log.info({ step: checkpointed }, 'past the point of the last crash: sharing the worker again');
      }
      let why: string | null = null;
      if (draining()) why = 'worker shutting down';
      else if (seat.evicted) why = 'making room on this worker for a job recovering from a crash';
      if (why) await markHandedBack();
      return why;
    },
  };
}

/** How an attempt that threw ends: fenced off, already finished, or failed with the error's code. */
export async function settle(err: unknown, writer: JobWriter, log: Logger): Promise<TrainOutcome> {
  if (err instanceof FencedError) {
    log.warn('another attempt owns the job; this attempt stops without recording anything');
    return { kind: 'fenced' };
  }
  if (err instanceof JobFinishedError) return { kind: 'skipped', why: err.status };
  // Redis refused a write mid-run (full, failing over): not the job's fault. The queue entry fails
  // with it, and the reconciler hands the job back to resume from its checkpoint once Redis is back.
  if (isTransientStorageError(err)) throw err;
  const error = jobError(err);
  if (error.code === 'internal') log.error({ err, errorId: error.errorId }, 'training failed');
  return writer.failed(error);
}

/**
 * The job error an attempt's error stands for: the ones the job's input explains, else `internal`,
 * whose message never carries the error's own text (a Redis reply, a stack): the log has it under the
 * errorId the job error shows.
 */
export function jobError(err: unknown): JobError {
  if (err instanceof Diverged) return { code: 'diverged', message: err.message, epoch: err.epoch, step: err.step };
  if (err instanceof JobDataError || err instanceof DatasetError) return { code: 'invalid-dataset', message: err.message };
  if (err instanceof WeightsError) return { code: 'invalid-weights', message: `initialWeights: ${err.message}` };
  const errorId = newErrorId();
  return { code: 'internal', message: `an internal error stopped the job (logged by its worker as ${errorId})`, errorId };
}

/** Why this process must not resume from `c` (another kernel variant computed it), or null. */
export function variantRefusal(c: Checkpoint | undefined): string | null {
  const recorded = c?.state.kernelVariant;
  if (!recorded || recorded === kernelVariant) return null;
  return `kernel variant mismatch: the job's checkpoint was computed with ${recorded}, this worker runs ${kernelVariant} (${VARIANT_HINT[recorded] ?? 'start a worker running it'})`;
}

const VARIANT_HINT: Record<string, string> = {
  'wasm-relaxed-simd': 'start a worker with node --experimental-wasm-relaxed-simd, as npm run start:worker does',
  'wasm-simd': 'start a worker without --experimental-wasm-relaxed-simd',
};

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

/**
 * Takes the job: the attempt number goes up and becomes this run's fencing token. Null if it
 * finished meanwhile; 'quota' (nothing written) if it would start while its tenant has
 * `maxRunning` jobs running (-1: no limit).
 */
async function claim(
  id: string,
  deps: TrainDeps,
  checkpoint: Checkpoint | undefined,
  maxRunning: number,
): Promise<number | null | 'quota'> {
  try {
    const r = await deps.store.update(
      id,
      (d) => ({ attempt: d.attempt + 1, status: 'running', stage: d.attempt > 0 ? 'recovering' : 'loading-data' }),
      { event: (d) => statusEvent(d, d.attempt > 1 ? resumeMessage(checkpoint) : undefined), maxRunningJobs: maxRunning },
    );
    return r!.doc.attempt;
  } catch (err) {
    if (err instanceof JobFinishedError) return null;
    if (err instanceof QuotaExceededError) return 'quota';
    throw err;
  }
}

function resumeMessage(c: Checkpoint | undefined): string {
  return c
    ? `resuming from the checkpoint at epoch ${c.state.epoch + 1}, step ${c.state.step} (attempt ${c.attempt})`
    : 'resuming: no checkpoint yet, starting over';
}
