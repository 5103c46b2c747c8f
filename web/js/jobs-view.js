// Jobs: the tenant's jobs, live from the multiplexed stream (store.js): status, stage, progress,
// ETA, throughput and best test accuracy; filter by status and name; cancel, delete, compare.
import { api } from './api.js';
import { el, eta, int, pct, TERMINAL } from './format.js';
import { forget, jobs, subscribe } from './store.js';

const STATUSES = ['all', 'queued', 'running', 'succeeded', 'failed', 'cancelled'];

export function jobsView(main, { query }) {
  const filter = { status: query.get('status') ?? 'all', text: '' };
  const selected = new Set();
  const message = el('p', { class: 'message', role: 'status', 'aria-live': 'polite' });
  const status = el(
    'select',
    {
      id: 'status-filter',
      onchange: () => {
        filter.status = status.value;
        render();
      },
    },
    STATUSES.map((s) => el('option', { value: s, selected: s === filter.status }, s)),
  );
  const search = el('input', {
    id: 'name-filter',
    type: 'search',
    placeholder: 'name or id',
    oninput: () => {
      filter.text = search.value;
      render();
    },
  });
  const compare = el(
    'button',
    { type: 'button', onclick: () => (location.hash = `#/compare?ids=${[...selected].join(',')}`) },
    'Compare selected',
  );
  const body = el('tbody');
  main.append(
    el('h1', {}, 'Jobs'),
    el(
      'div',
      { class: 'toolbar' },
      el('label', { for: 'status-filter' }, 'Status'),
      status,
      el('label', { for: 'name-filter' }, 'Search'),
      search,
      compare,
    ),
    message,
    el(
      'div',
      { class: 'scroll' },
      el(
        'table',
        { id: 'jobs-table' },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            ['', 'Job', 'Status', 'Stage', 'Progress', 'ETA', 'Samples/s', 'Best test acc.', ''].map((h) => el('th', { scope: 'col' }, h)),
          ),
        ),
        body,
      ),
    ),
  );

  async function act(what, id) {
    try {
      if (what === 'cancel') await api(`/v1/jobs/${id}/cancel`, { method: 'POST' });
      else {
        if (!confirm(`Delete ${jobs.get(id)?.name ?? id}, its events and its weights?`)) return;
        await api(`/v1/jobs/${id}`, { method: 'DELETE' });
        forget(id);
      }
      message.textContent = `${what === 'cancel' ? 'Cancelling' : 'Deleted'} ${id}`;
    } catch (err) {
      message.textContent = err.message;
    }
  }

  // One row per job, built once and updated in place: a button must not be replaced between the
  // press and the release of a click (progress events come several times a second).
  const rows = new Map();
  function row(job) {
    let r = rows.get(job.id);
    if (!r) {
      const label = job.name ?? job.id;
      const check = el('input', {
        type: 'checkbox',
        'data-key': `${job.id}:check`,
        'aria-label': `select ${label} to compare`,
        checked: selected.has(job.id),
        onchange: (e) => {
          if (e.target.checked) selected.add(job.id);
          else selected.delete(job.id);
          updateCompare();
        },
      });
      r = {
        badge: el('span', {}),
        stage: el('td', {}),
        bar: el('progress', { max: 100, 'aria-label': `${label} progress` }),
        percent: document.createTextNode(''),
        eta: el('td', {}),
        speed: el('td', {}),
        best: el('td', { class: 'best' }),
        action: el('td', {}),
        ended: undefined,
      };
      const link = el('a', { href: `#/job/${job.id}`, 'data-key': `${job.id}:open` }, label);
      r.tr = el(
        'tr',
        { 'data-job': job.id },
        el('td', {}, check),
        el('td', {}, link, el('div', { class: 'muted small' }, job.id)),
        el('td', {}, r.badge),
        r.stage,
        el('td', {}, r.bar, r.percent),
        r.eta,
        r.speed,
        r.best,
        r.action,
      );
      rows.set(job.id, r);
    }
    const p = job.progress ?? {};
    const ended = TERMINAL.includes(job.status);
    r.tr.dataset.status = job.status;
    r.badge.className = `badge ${job.status}`;
    r.badge.textContent = job.status;
    r.stage.textContent = job.stage;
    r.bar.value = p.percent ?? 0;
    r.percent.textContent = ` ${Math.round(p.percent ?? 0)}%`;
    r.eta.textContent = ended ? '–' : eta(p.etaSeconds);
    r.speed.textContent = ended ? '–' : int(p.samplesPerSecond);
    r.best.textContent = pct(job.best);
    if (r.ended !== ended) {
      r.ended = ended;
      const attrs = { type: 'button', 'data-key': `${job.id}:act` };
      r.action.replaceChildren(
        ended
          ? el('button', { ...attrs, class: 'danger', onclick: () => act('delete', job.id) }, 'Delete')
          : el('button', { ...attrs, onclick: () => act('cancel', job.id) }, 'Cancel'),
      );
    }
    return r.tr;
  }

  function updateCompare() {
    compare.disabled = selected.size < 2;
  }

  function render() {
    const text = filter.text.toLowerCase();
    const shown = [...jobs.values()]
      .filter((j) => filter.status === 'all' || j.status === filter.status)
      .filter((j) => !text || j.id.toLowerCase().includes(text) || (j.name ?? '').toLowerCase().includes(text))
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
    for (const id of rows.keys()) if (!jobs.has(id)) rows.delete(id);
    const trs = shown.map(row);
    // Reorder only when the order changed; moving a row blurs it, so keep the keyboard focus.
    if (trs.length !== body.children.length || trs.some((tr, i) => body.children[i] !== tr)) {
      const focused = body.contains(document.activeElement) ? document.activeElement.dataset.key : undefined;
      body.replaceChildren(...trs);
      if (focused) body.querySelector(`[data-key="${focused}"]`)?.focus();
    }
    if (!shown.length)
      body.append(
        el('tr', {}, el('td', { colspan: 9, class: 'muted' }, jobs.size ? 'No job matches the filters.' : 'No jobs yet: submit one.')),
      );
    updateCompare();
  }

  let pending = false;
  const unsubscribe = subscribe(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      render();
    });
  });
  render();
  return unsubscribe;
}
