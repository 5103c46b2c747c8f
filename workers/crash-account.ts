// Who is to blame when a worker process dies. Each attempt of a job records how it ran
// (src/store AttemptRun): an attempt that neither finished nor handed back died with its process.
// If it had the process to itself, the job itself is the likely cause and the crash counts towards
// MAX_CRASHES. If it shared the process, any of the jobs there may have killed it: the crash is
// excused, but every later attempt of the job runs alone (workers/placement.ts), so the next crash
// is counted. A poison job therefore fails after at most one excused crash plus MAX_CRASHES, and
// the jobs that happened to run next to it go on.
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
