// Who is to blame when a worker process dies. Each attempt of a job records how it ran
// (src/store AttemptRun): an attempt that neither finished nor handed back died with its process.
// If it had the process to itself, the job itself is the likely cause and the crash counts towards
// MAX_CRASHES. If it shared the process, any of the jobs there may have killed it: the crash is
// excused, but the job's next attempt runs alone (workers/placement.ts) until it is past the point
// where it crashed, so if it was the culprit its next crash is counted. The jobs that happened to
// run next to a poison job go on. Excused crashes are bounded too (2 x MAX_CRASHES in all), for a
// job that only dies while sharing its worker (it and a neighbour together exhausting memory).
import type { AttemptRun } from '../src/store/index.js';

export interface CrashAccount {
  /** Earlier attempts that neither finished nor handed back. */
  crashes: number;
  /** Of which: counted against the job (it ran alone, or how it ran is unknown). */
  counted: number;
  /** Of which: excused (it shared its process with other jobs). */
  excused: number;
}

/**
 * `earlier` attempts have run (the job document's attempt before this claim); `handoffs` of them
 * handed back (the checkpoint's count, written after the run was marked handed-back). An attempt
 * without a mark (a process that died between claim and mark, a job from before marks) counts.
 */
export function crashAccount(earlier: number, handoffs: number, runs: ReadonlyMap<number, AttemptRun>): CrashAccount {
  const crashes = Math.max(0, earlier - handoffs);
  let shared = 0;
  for (let attempt = 1; attempt <= earlier; attempt++) if (runs.get(attempt) === 'shared') shared++;
  const excused = Math.min(shared, crashes);
  return { crashes, counted: crashes - excused, excused };
}

/** The crash-loop error's message when the job must give up, else null. */
export function crashLoopVerdict(account: CrashAccount, maxCrashes: number): string | null {
  if (account.counted < maxCrashes && account.crashes < 2 * maxCrashes) return null;
  return (
    `the job's worker stopped without finishing ${account.crashes} times, ${account.counted} of them while running it ` +
    `alone (limits: ${maxCrashes} alone, ${2 * maxCrashes} in all); giving up`
  );
}
