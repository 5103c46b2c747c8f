// Admission's two pure parts (workers/admission.ts): what an attempt's error means as a job error
// code, and the per-step hook through which placement and crash accounting act on the loop. The
// claim, the crash verdict and the hook against real processes: test/workers/worker.test.ts and
// test/chaos/fleet.test.ts.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../../src/datasets/index.js';
import { createModel, loadWeights, exportWeights } from '../../src/engine/index.js';
import { jobError, seatHook } from '../../workers/admission.js';
import { JobDataError } from '../../workers/data.js';
import { Placement } from '../../workers/placement.js';
import { Diverged } from '../../workers/pool-step.js';
import { toySpec } from '../helpers/jobs.js';

const log = pino({ level: 'silent' });

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('jobError', () => {
  it('maps the errors the job itself explains to their codes, by class', () => {
    expect(jobError(new Diverged(2, 5, 'loss is NaN'))).toEqual({
      code: 'diverged',
      message: 'training diverged: loss is NaN at epoch 2, step 5',
      epoch: 2,
      step: 5,
    });
    expect(jobError(new JobDataError('the training set is empty', 'dataset'))).toEqual({
      code: 'invalid-dataset',
      message: 'the training set is empty',
    });
    expect(jobError(new DatasetError('bad_value', 'builtin', 'unknown builtin dataset "x"')).code).toBe('invalid-dataset');
    // an error that merely calls itself DatasetError is not one
    const impostor = Object.assign(new Error('boom'), { name: 'DatasetError' });
    expect(jobError(impostor)).toMatchObject({ code: 'internal', errorId: expect.stringMatching(/^err_[0-9a-f]{16}$/) });
    expect(jobError('a string').code).toBe('internal');
  });

  it('never shows internal text in an internal error: the message names the errorId the log has', () => {
    const oom = Object.assign(new Error("OOM command not allowed when used memory > 'maxmemory'."), { name: 'ReplyError' });
    const error = jobError(oom);
    expect(error.code).toBe('internal');
    expect(error.message).not.toMatch(/OOM|maxmemory|ReplyError/);
    expect(error.message).toContain(error.errorId);
    expect(jobError(oom).errorId).not.toBe(error.errorId);
  });

  it("maps the engine's weights loader's refusal to invalid-weights, naming the tensor", () => {
    const model = createModel(toySpec().model);
    const tensors = exportWeights(model);
    const err = thrown(() => loadWeights(model, [...tensors, tensors[0]!]));
    expect(jobError(err)).toEqual({ code: 'invalid-weights', message: "initialWeights: tensor 'layers.0.weight' appears twice" });
  });
});

describe('seatHook', () => {
  function hooked(exclusive: boolean, aloneUntilStep = 10, draining = false) {
    const placement = new Placement();
    const seat = placement.take(exclusive)!;
    const marks: string[] = [];
    const hook = seatHook({
      seat,
      aloneUntilStep,
      draining: () => draining,
      markHandedBack: async () => {
        marks.push('handed-back');
      },
      log,
    });
    return { placement, seat, marks, hook };
  }

  it('a job recovering from a crash shares its worker again once it checkpointed at or past the furthest point', async () => {
    const { placement, seat, hook } = hooked(true);
    const waiting = placement.take(false)!;
    let started = false;
    void waiting.ready.then(() => (started = true));
    expect(await hook.afterStep(null)).toBeNull();
    expect(await hook.afterStep(9)).toBeNull();
    await Promise.resolve();
    expect([seat.exclusive, started]).toEqual([true, false]);
    expect(await hook.afterStep(10)).toBeNull();
    await waiting.ready;
    expect([seat.exclusive, started]).toEqual([false, true]);
  });

  it('an evicted job is handed back, marked handed-back before its checkpoint', async () => {
    const { placement, marks, hook } = hooked(false);
    expect(await hook.afterStep(null)).toBeNull();
    expect(marks).toEqual([]);
    placement.take(true); // a job recovering from a crash arrives
    expect(await hook.afterStep(null)).toBe('making room on this worker for a job recovering from a crash');
    expect(marks).toEqual(['handed-back']);
  });

  it('a draining worker hands its jobs back', async () => {
    const { marks, hook } = hooked(false, 0, true);
    expect(await hook.afterStep(4)).toBe('worker shutting down');
    expect(marks).toEqual(['handed-back']);
  });
});
