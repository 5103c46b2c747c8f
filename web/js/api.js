// The public HTTP API, as any third-party page would call it: the key as a Bearer header on fetch,
// a short-lived stream token (?token=) for EventSource, which cannot send headers.
const KEY = 'convoy.key';

export const key = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value.trim()),
  clear: () => sessionStorage.removeItem(KEY),
};

/** A failed call: the problem+json body the API sent (title, detail, field), and its status. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

let onUnauthorized = () => {};
/** Called when the API refuses the key (401): the app asks for another. */
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

/** fetch with the key; JSON in and out; throws ApiError on a problem. `raw` returns the Response. */
export async function api(path, { method = 'GET', body, headers = {}, raw = false } = {}) {
  const res = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${key.get() ?? ''}`,
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) {
    const problem = await res.json().catch(() => ({ title: res.statusText }));
    if (res.status === 401) onUnauthorized();
    throw new ApiError(res.status, problem);
  }
  if (raw) return res;
  return res.status === 204 ? null : res.json();
}

/** A fresh stream token for an EventSource URL. */
export async function streamToken() {
  return (await api('/v1/stream-tokens', { method: 'POST' })).token;
}

/** Every event of a job's log, page by page (JSON). */
export async function jobLog(id) {
  const events = [];
  let after = '0-0';
  for (;;) {
    const page = await api(`/v1/jobs/${id}/events?after=${after}&limit=1000`);
    events.push(...page.events);
    if (page.events.length < 1000 || !page.nextCursor) return events;
    after = page.nextCursor;
  }
}

/** Saves an authorised download (an <a href> cannot send the key). */
export async function download(path, filename) {
  const blob = await (await api(path, { raw: true, headers: { accept: '*/*' } })).blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
