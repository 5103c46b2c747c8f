// Convoy answers errors as RFC 9457 problems naming the field at fault; the client throws them as
// ConvoyError, with every member of the problem at hand.
import type { components } from './api.generated.js';

export type Problem = components['schemas']['Problem'] & Record<string, unknown>;

export class ConvoyError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  /** The JSON pointer of the field at fault (`/training/batchSize`), when the problem names one. */
  readonly field: string | undefined;
  /** A stable machine-readable code (`invalid`, `quota-exceeded`, `not-found`, ...). */
  readonly code: string | undefined;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ConvoyError';
    this.problem = problem;
    this.status = problem.status;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.field = problem.field;
    this.code = problem.code;
  }
}

/** The problem a response carries (or one made up from its status when the body is not one). */
export async function problemOf(res: Response): Promise<Problem> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<Problem>;
    if (typeof body.status === 'number' && typeof body.title === 'string') return body as Problem;
  } catch {
    // not JSON: fall through
  }
  return { type: 'about:blank', title: res.statusText || 'Error', status: res.status, detail: text.slice(0, 500) || undefined };
}
