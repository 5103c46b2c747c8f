// Crash accounting (who is to blame when a worker process dies) and placement (a job recovering
// from a crash gets its process to itself). The end-to-end proof, with real processes killed, is in
// test/chaos/fleet.test.ts.
import { describe, expect, it } from 'vitest';
import type { AttemptRun } from '../../src/store/index.js';
import { crashAccount, crashLoopVerdict } from '../../workers/crash-account.js';
import { Placement } from '../../workers/placement.js';

const runs = (...marks: AttemptRun[]) => new Map(marks.map((m, i) => [i + 1, m]));

describe('crashAccount', () => {
  it('counts the attempts that died alone, excuses those that shared their process', () => {
    expect(crashAccount(0, 0, runs())).toEqual({ crashes: 0, counted: 0, excused: 0 });
    // 1 shared and died, 2 handed back, 3 alone and died
    expect(crashAccount(3, 1, runs('shared', 'handed-back', 'alone'))).toEqual({ crashes: 2, counted: 1, excused: 1 });
    expect(crashAccount(2, 0, runs('alone', 'alone'))).toEqual({ crashes: 2, counted: 2, excused: 0 });
  });

  it('counts attempts it knows nothing about (a job from before marks, a death right after the claim)', () => {
    expect(crashAccount(2, 0, new Map())).toEqual({ crashes: 2, counted: 2, excused: 0 });
    expect(crashAccount(2, 0, runs('shared'))).toEqual({ crashes: 2, counted: 1, excused: 1 });
  });

  it('a hand-back marked but never checkpointed (death in between) counts as a crash', () => {
    expect(crashAccount(1, 0, runs('handed-back'))).toEqual({ crashes: 1, counted: 1, excused: 0 });
  });
});

describe('crashLoopVerdict', () => {
  it('gives up after MAX_CRASHES counted crashes, or twice that in all', () => {
    expect(crashLoopVerdict({ crashes: 2, counted: 1, excused: 1 }, 2)).toBeNull();
    expect(crashLoopVerdict({ crashes: 3, counted: 2, excused: 1 }, 2)).toBe(
      "the job's worker stopped without finishing 3 times, 2 of them while running it alone (limits: 2 alone, 4 in all); giving up",
    );
    // a job that only ever dies next to others
    expect(crashLoopVerdict({ crashes: 3, counted: 0, excused: 3 }, 2)).toBeNull();
    expect(crashLoopVerdict({ crashes: 4, counted: 0, excused: 4 }, 2)).toContain('4 times, 0 of them');
  });
});

describe('Placement', () => {
  it('marks every job shared once a second one arrives, and tells the first through its mark', () => {
    const placement = new Placement();
    const a = placement.take(false)!;
    const marks: AttemptRun[] = [];
    a.mark = (run) => marks.push(run);
    expect(a.shared).toBe(false);
    const b = placement.take(false)!;
    expect([a.shared, b.shared]).toEqual([true, true]);
    expect(marks).toEqual(['shared']);
    b.leave();
    expect(a.shared, 'once shared, always shared: a crash now could still be the other job').toBe(true);
    expect(placement.size).toEqual({ running: 1, waiting: 0 });
  });

  it('an exclusive job evicts the others and starts once they left; later jobs wait for it', async () => {
    const placement = new Placement();
    const a = placement.take(false)!;
    const b = placement.take(false)!;
    const x = placement.take(true)!;
    expect([a.evicted, b.evicted, x.evicted]).toEqual([true, true, false]);
    expect(x.shared, 'it runs alone: a crash will be counted').toBe(false);
    const started: string[] = [];
    void x.ready.then(() => started.push('x'));
    a.leave();
    await Promise.resolve();
    expect(started, 'b is still here').toEqual([]);
    const c = placement.take(false)!;
    void c.ready.then(() => started.push('c'));
    expect(placement.take(true), 'one exclusive job at a time').toBeNull();
    b.leave();
    await x.ready;
    await Promise.resolve();
    expect(started, 'c waits while x runs alone').toEqual(['x']);
    expect(placement.size).toEqual({ running: 1, waiting: 1 });
    x.leave();
    await c.ready;
    expect([c.shared, c.evicted]).toEqual([false, false]);
    expect(placement.size).toEqual({ running: 1, waiting: 0 });
  });

  it('a recovering job that relaxes lets the waiting jobs start, and they share from then on', async () => {
    const placement = new Placement();
    const x = placement.take(true)!;
    await x.ready;
    const marks: AttemptRun[] = [];
    x.mark = (run) => marks.push(run);
    const a = placement.take(false)!;
    let aStarted = false;
    void a.ready.then(() => (aStarted = true));
    await Promise.resolve();
    expect(aStarted).toBe(false);
    x.relax();
    await a.ready;
    expect([x.shared, a.shared, x.evicted, x.exclusive]).toEqual([true, true, false, false]);
    expect(marks).toEqual(['shared']);
    const b = placement.take(false)!;
    await b.ready;
    expect(placement.size).toEqual({ running: 3, waiting: 0 });
  });

  it('a waiting job that gives up leaves no trace', () => {
    const placement = new Placement();
    placement.take(true);
    const a = placement.take(false)!;
    a.leave();
    expect(placement.size).toEqual({ running: 1, waiting: 0 });
  });

  it('an exclusive job in an empty process starts at once', async () => {
    const x = new Placement().take(true)!;
    await expect(x.ready).resolves.toBeUndefined();
  });
});
