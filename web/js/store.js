// The tenant's jobs as the Jobs and Compare views show them, kept up to date by the one multiplexed
// stream GET /v1/events: its snapshot (the newest 200 jobs), then every job event with its jobId.
import { api, streamToken } from './api.js';
import { follow } from './stream.js';

export const jobs = new Map();
const listeners = new Set();
let stream = null;

/** Calls fn(jobId | null) after every change (null: many rows changed). Returns the unsubscriber. */
export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
const changed = (id) => {
  for (const fn of listeners) fn(id);
};

const best = (history) => {
  const values = history.map((m) => m.testAccuracy ?? m.valAccuracy).filter((v) => typeof v === 'number');
  return values.length ? Math.max(...values) : null;
};

function fromSummary(s) {
  const known = jobs.get(s.id)?.best ?? null;
  const test = s.metrics?.testAccuracy ?? s.metrics?.valAccuracy ?? null;
  return { ...s, best: test === null ? known : Math.max(known ?? 0, test) };
}

const fetching = new Map(); // id -> whether events came during the fetch
/** A job the snapshot did not hold (new, or older than the newest 200): fetched, and fetched again
 *  if its events arrived meanwhile (the document might predate them). */
async function fetchRow(id) {
  if (fetching.has(id)) return void fetching.set(id, true);
  fetching.set(id, false);
  try {
    const doc = await api(`/v1/jobs/${id}`);
    jobs.set(id, { ...fromSummary(doc), best: best(doc.history) });
    changed(id);
  } catch {
    // deleted meanwhile: nothing to show
  }
  const again = fetching.get(id);
  fetching.delete(id);
  if (again) fetchRow(id);
}

/** Calls fn(type, {jobId, data}) for every job event of the stream. Returns the unsubscriber. */
export function listen(fn) {
  eventListeners.add(fn);
  return () => eventListeners.delete(fn);
}
const eventListeners = new Set();

function apply(type, payload) {
  if (type !== 'snapshot') for (const fn of eventListeners) fn(type, payload);
  if (type === 'snapshot') {
    for (const s of payload.jobs) jobs.set(s.id, fromSummary(s));
    return changed(null);
  }
  const { jobId, data } = payload;
  const row = jobs.get(jobId);
  if (!row) return fetchRow(jobId);
  if (type === 'status') Object.assign(row, { status: data.status, stage: data.stage, attempt: data.attempt });
  if (type === 'progress') row.progress = { ...row.progress, ...data };
  if (type === 'epoch') {
    row.metrics = data.metrics;
    const test = data.metrics.testAccuracy ?? data.metrics.valAccuracy;
    if (typeof test === 'number') row.best = Math.max(row.best ?? 0, test);
  }
  if (type === 'completed')
    Object.assign(row, { status: 'succeeded', stage: 'done', metrics: data.metrics, best: best(data.history) ?? row.best });
  if (type === 'failed') Object.assign(row, { status: 'failed', error: data.error });
  if (type === 'cancelled') Object.assign(row, { status: 'cancelled', metrics: data.metrics });
  changed(jobId);
}

/** Starts the tenant stream (once); onState shows the connection's state. */
export function startTenantStream(onState) {
  stream ??= follow({
    url: async (after) => `/v1/events?token=${await streamToken()}${after ? `&after=${after}` : ''}`,
    types: ['snapshot', 'status', 'progress', 'epoch', 'completed', 'failed', 'cancelled'],
    onEvent: apply,
    onState,
  });
  window.convoy = { ...window.convoy, tenant: stream };
  return stream;
}

export function stopTenantStream() {
  stream?.close();
  stream = null;
  jobs.clear();
}

/** A job removed by this page (DELETE): gone from every view at once. */
export function forget(id) {
  jobs.delete(id);
  changed(null);
}
