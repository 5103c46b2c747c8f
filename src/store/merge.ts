// How a change is applied to a job document. Pure: the store reads the document, calls applyPatch,
// and writes the result only if nobody wrote in between (scripts.ts COMMIT checks the revision).
//
// Rules
// - A finished job (succeeded, failed, cancelled) never changes again: JobFinishedError.
// - `cancelling` is sticky: a worker reporting `running` does not undo a cancel request.
// - `progress` never goes backwards: a resumed attempt replaying steps from its checkpoint leaves
//   the document at the furthest (epoch, step) seen until it passes it.
// - `attempt` never goes down.
// - Every change of status or stage appends {status, stage, at} to `transitions`.
// - `startedAt` is set on the first move to running; `finishedAt` on the move to a terminal status.
import { isTerminalStatus, type JobDocument, type JobStatus, type Progress } from '../contracts/index.js';

export const isTerminal = isTerminalStatus;

export class JobFinishedError extends Error {
  constructor(
    readonly jobId: string,
    readonly status: JobStatus,
  ) {
    super(`job ${jobId} has finished (${status})`);
    this.name = 'JobFinishedError';
  }
}

/** The fields a writer may change; everything else (id, createdAt, spec) is fixed at creation. */
export type JobPatch = Partial<Omit<JobDocument, 'id' | 'createdAt' | 'spec' | 'transitions'>>;

function progressRank(p: Progress | null | undefined): [number, number] {
  return p ? [p.epoch ?? 0, p.step ?? 0] : [-1, -1];
}

/** True when `next` is at or past `current` in (epoch, step) order. */
export function progressAdvances(current: Progress | null | undefined, next: Progress): boolean {
  const [ce, cs] = progressRank(current);
  const [ne, ns] = progressRank(next);
  return ne > ce || (ne === ce && ns >= cs);
}

export function applyPatch(doc: JobDocument, patch: JobPatch, now: Date = new Date()): JobDocument {
  if (isTerminal(doc.status)) throw new JobFinishedError(doc.id, doc.status);
  const next: JobDocument = { ...doc, ...patch, transitions: doc.transitions };
  if (doc.status === 'cancelling' && patch.status === 'running') next.status = 'cancelling';
  if (patch.progress && !progressAdvances(doc.progress, patch.progress)) next.progress = doc.progress;
  next.attempt = Math.max(doc.attempt, patch.attempt ?? doc.attempt);
  const at = now.toISOString();
  if (next.status !== doc.status || next.stage !== doc.stage) {
    next.transitions = [...doc.transitions, { status: next.status, stage: next.stage, at, attempt: next.attempt }];
  }
  if (next.status === 'running' && !doc.startedAt) next.startedAt = at;
  if (isTerminal(next.status) && !doc.finishedAt) next.finishedAt = at;
  return next;
}
