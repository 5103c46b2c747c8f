// Compare: the curves of two or more jobs on the same axes (x = epochs done): train loss per step,
// and test (else validation) accuracy per epoch. Points come from each job's JSON event log, then
// live from the tenant stream.
import { jobLog } from './api.js';
import { lineChart } from './charts.js';
import { el } from './format.js';
import { jobs, listen, subscribe } from './store.js';

const stepX = (p) => p.epoch - 1 + (p.stepsPerEpoch ? p.step / p.stepsPerEpoch : 0);

export function compareView(main, { query }) {
  const selected = new Set((query.get('ids') ?? '').split(',').filter(Boolean));
  const curves = new Map(); // id -> { loss: Map, acc: Map }
  const picker = el('fieldset', { class: 'picker' });
  const message = el('p', { class: 'message', role: 'status' });
  const charts = el('div', { class: 'panels' });
  main.append(el('h1', {}, 'Compare jobs'), picker, message, charts);
  const loss = lineChart(charts, { title: 'Train loss (epoch so far, per step)', y: 'loss', series: [] });
  const acc = lineChart(charts, { title: 'Test accuracy (per epoch)', y: 'accuracy', series: [] });

  const label = (id) => jobs.get(id)?.name ?? id;
  function draw() {
    const ids = [...selected].filter((id) => curves.has(id));
    const series = ids.map((id) => ({ label: label(id), points: false }));
    loss.set(
      ids.map((id) => curves.get(id).loss),
      series,
    );
    acc.set(
      ids.map((id) => curves.get(id).acc),
      series.map((s) => ({ ...s, points: true })),
    );
    message.textContent = ids.length < 2 ? 'Pick at least two jobs.' : '';
  }

  async function load(id) {
    const c = { loss: new Map(), acc: new Map() };
    curves.set(id, c);
    try {
      for (const e of await jobLog(id)) add(c, e.type, e.data);
    } catch (err) {
      message.textContent = `${id}: ${err.message}`;
    }
    draw();
  }

  function add(c, type, data) {
    if (type === 'progress' && typeof data.loss === 'number') c.loss.set(stepX(data), data.loss);
    if (type === 'epoch') {
      const v = data.metrics.testAccuracy ?? data.metrics.valAccuracy;
      if (typeof v === 'number') c.acc.set(data.epoch, v);
    }
  }

  function renderPicker() {
    const list = [...jobs.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1)).slice(0, 30);
    picker.replaceChildren(
      el('legend', {}, 'Jobs'),
      ...list.map((j) => {
        const box = el('input', {
          type: 'checkbox',
          id: `cmp-${j.id}`,
          checked: selected.has(j.id),
          onchange: () => {
            if (box.checked) {
              selected.add(j.id);
              load(j.id);
            } else selected.delete(j.id);
            history.replaceState(null, '', `#/compare?ids=${[...selected].join(',')}`);
            draw();
          },
        });
        return el('span', { class: 'choice' }, box, el('label', { for: `cmp-${j.id}` }, `${j.name ?? j.id} (${j.status})`));
      }),
    );
  }

  const stopEvents = listen((type, { jobId, data }) => {
    const c = selected.has(jobId) && curves.get(jobId);
    if (!c) return;
    add(c, type, data);
    draw();
  });
  let known = jobs.size;
  const stopJobs = subscribe(() => {
    if (jobs.size !== known) renderPicker();
    known = jobs.size;
  });
  renderPicker();
  for (const id of selected) load(id);
  draw();
  return () => {
    stopEvents();
    stopJobs();
    loss.destroy();
    acc.destroy();
  };
}
