// The typed TypeScript client: `import { Convoy } from 'convoy/client'`. Request and response types
// come from openapi.yaml (openapi-typescript, api.generated.ts); calls go through openapi-fetch. What
// generation cannot give is written here: following the event streams with reconnection, waiting
// for a job's end, weights as bytes, and problems thrown as ConvoyError. Runs in Node 20 and
// browsers (fetch and streams only).
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './api.generated.js';
import { ConvoyError, problemOf, type Problem } from './errors.js';
import { readStream, type RawEvent } from './sse.js';

type Schemas = components['schemas'];
export type JobDocument = paths['/v1/jobs/{id}']['get']['responses']['200']['content']['application/json'];
export type JobSubmission = Schemas['JobSubmission'];
export type ValidationReport = Schemas['ValidationReport'];
export type DatasetInfo = Schemas['DatasetInfo'];
export type JobList = paths['/v1/jobs']['get']['responses']['200']['content']['application/json'];
export type JobListQuery = NonNullable<paths['/v1/jobs']['get']['parameters']['query']>;

/** One event of a job's stream (openapi.yaml's JobEvent, keyed on `type`); the snapshot has no id. */
export type JobEvent = Schemas['JobEvent'];
export type EventType = JobEvent['type'];
/** Each event type's payload (docs/api.md, "Follow it live"). */
export type EventPayloads = { [K in EventType]: Extract<JobEvent, { type: K }>['data'] };
/** One event of the tenant's stream (GET /v1/events): a job's event, or the first snapshot. */
export type TenantEvent =
  | { id: undefined; type: 'snapshot'; jobId: undefined; data: { tenant: string; jobs: Schemas['JobSummary'][] } }
  | { [K in Exclude<EventType, 'snapshot'>]: { id: string; type: K; jobId: string; jobEventId: string; data: EventPayloads[K] } }[Exclude<
      EventType,
      'snapshot'
    >];

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export interface ConvoyOptions {
  /** The API's base URL, e.g. http://127.0.0.1:3000. */
  baseUrl: string;
  /** An API key (cvy_...). */
  apiKey: string;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

export interface FollowOptions {
  /** Where to start: 'now' (the snapshot, the newest event, then live; the default), 'start' (the whole log), or after an event id. */
  from?: 'now' | 'start' | string;
  signal?: AbortSignal;
}

export class Convoy {
  /** The openapi-fetch client, for any call this class does not wrap. */
  readonly api: Client<paths>;
  private readonly fetchFn: typeof fetch;
  private readonly auth: Record<string, string>;

  constructor(private readonly options: ConvoyOptions) {
    this.fetchFn = options.fetch ?? ((...args) => fetch(...args));
    this.auth = { authorization: `Bearer ${options.apiKey}` };
    this.api = createClient<paths>({ baseUrl: options.baseUrl, headers: this.auth, fetch: this.fetchFn });
  }

  // ---- jobs -----------------------------------------------------------------------------------

  async submit(job: JobSubmission, opts: { idempotencyKey?: string } = {}) {
    const headers = opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {};
    return ok(await this.api.POST('/v1/jobs', { body: job, params: { header: headers } }));
  }

  async validate(job: JobSubmission) {
    return ok(await this.api.POST('/v1/jobs/validate', { body: job }));
  }

  async job(id: string) {
    return ok(await this.api.GET('/v1/jobs/{id}', { params: { path: { id } } }));
  }

  async jobs(query: JobListQuery = {}) {
    return ok(await this.api.GET('/v1/jobs', { params: { query } }));
  }

  async cancel(id: string) {
    return ok(await this.api.POST('/v1/jobs/{id}/cancel', { params: { path: { id } } }));
  }

  async delete(id: string): Promise<void> {
    ok(await this.api.DELETE('/v1/jobs/{id}', { params: { path: { id } } }));
  }

  async predict(id: string, inputs: number[][]) {
    return ok(await this.api.POST('/v1/jobs/{id}/predict', { params: { path: { id } }, body: { inputs } }));
  }

  /** The weights as bytes: a safetensors file (PyTorch layouts) or, with 'onnx', an ONNX model. */
  async weights(id: string, format: 'safetensors' | 'onnx' = 'safetensors'): Promise<ArrayBuffer> {
    const res = await this.fetchFn(`${this.options.baseUrl}/v1/jobs/${encodeURIComponent(id)}/weights?format=${format}`, {
      headers: this.auth,
    });
    if (!res.ok) throw new ConvoyError(await problemOf(res));
    return res.arrayBuffer();
  }

  // ---- datasets -------------------------------------------------------------------------------

  /** Uploads a CSV (`label,p0,p1,...` per row; gzipped or not), or IDX images + labels. */
  async uploadDataset(
    files: { csv: Blob } | { images: Blob; labels: Blob },
    opts: { name?: string; shape?: [number, number, number] } = {},
  ): Promise<DatasetInfo> {
    const form = new FormData();
    for (const [field, blob] of Object.entries(files)) form.append('csv' in files ? 'file' : field, blob as Blob, field);
    if (opts.name) form.append('name', opts.name);
    if (opts.shape) form.append('shape', opts.shape.join(','));
    const res = await this.fetchFn(`${this.options.baseUrl}/v1/datasets`, { method: 'POST', headers: this.auth, body: form });
    if (!res.ok) throw new ConvoyError(await problemOf(res));
    return (await res.json()) as DatasetInfo;
  }

  async datasets() {
    return ok(await this.api.GET('/v1/datasets'));
  }

  // ---- streams --------------------------------------------------------------------------------

  /**
   * A job's events as they happen, across dropped connections (resumed with Last-Event-ID, from
   * any API process), ending after its terminal event (completed, failed, cancelled).
   */
  async *follow(id: string, opts: FollowOptions = {}): AsyncGenerator<JobEvent> {
    const from = opts.from ?? 'now';
    const query = from === 'start' ? '?after=0-0' : '';
    const url = `${this.options.baseUrl}/v1/jobs/${encodeURIComponent(id)}/events${query}`;
    const start = from !== 'now' && from !== 'start' ? from : undefined;
    for await (const frame of readStream(this.fetchFn, url, this.auth, (f) => TERMINAL.has(f.event), {
      lastEventId: start,
      signal: opts.signal,
    })) {
      yield { id: frame.id, type: frame.event, data: JSON.parse(frame.data) } as JobEvent;
    }
  }

  /** Every job of the tenant on one stream (GET /v1/events); it never ends: stop it with `signal`. */
  async *followAll(
    opts: { status?: JobDocument['status']; jobs?: string[]; lastEventId?: string; signal?: AbortSignal } = {},
  ): AsyncGenerator<TenantEvent> {
    const q = new URLSearchParams();
    if (opts.status) q.set('status', opts.status);
    if (opts.jobs) q.set('jobs', opts.jobs.join(','));
    const url = `${this.options.baseUrl}/v1/events${q.size ? `?${q}` : ''}`;
    for await (const frame of readStream(this.fetchFn, url, this.auth, () => false, {
      lastEventId: opts.lastEventId,
      signal: opts.signal,
    })) {
      yield asTenantEvent(frame);
    }
  }

  /** Waits for the job's end and returns its final document. */
  async waitFor(id: string, opts: { signal?: AbortSignal } = {}) {
    for await (const e of this.follow(id, opts)) {
      if (e.type === 'snapshot' && ['succeeded', 'failed', 'cancelled'].includes(e.data.status)) break;
    }
    return this.job(id);
  }
}

function asTenantEvent(frame: RawEvent): TenantEvent {
  const body = JSON.parse(frame.data) as { jobId?: string; jobEventId?: string; data?: unknown };
  if (frame.event === 'snapshot') return { id: undefined, type: 'snapshot', jobId: undefined, data: body as never };
  return { id: frame.id!, type: frame.event, jobId: body.jobId!, jobEventId: body.jobEventId!, data: body.data } as TenantEvent;
}

/** The data of an openapi-fetch result, or its problem thrown. */
function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok) return result.data as T;
  const problem = (result.error ?? {}) as Partial<Problem>;
  throw new ConvoyError({
    type: problem.type ?? 'about:blank',
    title: problem.title ?? result.response.statusText,
    status: problem.status ?? result.response.status,
    ...problem,
  } as Problem);
}
