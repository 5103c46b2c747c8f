// One job: its whole event log replayed (?after=0-0) then followed live on the job's own stream.
// Step points (progress events, x = epochs done) and epoch points (epoch events, x = epoch) land in
// Maps keyed by x, after stream.js has dropped repeated event ids, so a reconnect neither loses nor
// doubles a point. window.convoy.job exposes what was applied (the browser test reads it).
import { api, download, streamToken } from './api.js';
import { lineChart } from './charts.js';
import { el, eta, int, pct, TERMINAL } from './format.js';
import { evaluationPanel, filtersPanel, normsPanel, timelinePanel } from './job-panels.js';
import { predictPad } from './predict-pad.js';
import { follow } from './stream.js';

/** The weights' formats (GET /v1/jobs/{id}/weights?format=) and their button labels. */
const DOWNLOADS = [
  ['json', 'JSON'],
  ['safetensors', 'safetensors'],
  ['onnx', 'ONNX'],
];

/** Both charts: the step curve (progress events), then one point per epoch and split. */
const CURVES = [
  { label: 'train (epoch so far)' },
  { label: 'train (epoch)', points: true },
  { label: 'validation', points: true },
  { label: 'test', points: true },
];

export function jobView(main, { id }) {
  const s = { doc: null, steps: new Map(), stepAcc: new Map(), epochs: new Map(), norms: new Map(), transitions: [], evaluation: null };
  const debug = { id, progressIds: [], connections: 0, steps: 0 };
  window.convoy = { ...window.convoy, job: debug };

  const title = el('h1', {}, id);
  const summary = el('div', { class: 'job-summary' }); // not a live region: it changes 4 times a second
  const actions = el('div', { class: 'toolbar' });
  const message = el('p', { class: 'message', role: 'status' });
  const curves = el('section', { 'aria-labelledby': 'h-curves' }, el('h2', { id: 'h-curves' }, 'Learning curves'));
  const timeline = el('section', { 'aria-labelledby': 'h-timeline' });
  const norms = el('section', { 'aria-labelledby': 'h-norms' });
  const evaluation = el('section', { id: 'evaluation', 'aria-labelledby': 'h-eval' });
  const filters = el('section', { id: 'filters', 'aria-labelledby': 'h-filters' });
  const predict = el('section', { id: 'predict', 'aria-labelledby': 'h-predict' });
  main.append(title, summary, actions, message, el('div', { class: 'panels' }, curves, timeline, norms, evaluation, filters, predict));

  const loss = lineChart(curves, { title: 'Loss', y: 'loss', series: CURVES });
  const acc = lineChart(curves, { title: 'Accuracy', y: 'accuracy', series: CURVES });
  const normCharts = normsPanel(norms);
  const pad = predictPad(predict, id);

  const epochSeries = (key) => new Map([...s.epochs.values()].filter((m) => typeof m[key] === 'number').map((m) => [m.epoch, m[key]]));
  let pending = false;
  let shownEvaluation = null;
  function draw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      loss.set([s.steps, epochSeries('loss'), epochSeries('valLoss'), epochSeries('testLoss')]);
      acc.set([s.stepAcc, epochSeries('accuracy'), epochSeries('valAccuracy'), epochSeries('testAccuracy')]);
      normCharts.set(s.norms);
      debug.steps = loss.points();
      debug.normPoints = s.norms.size;
      timelinePanel(timeline, s.transitions);
      // only when a new epoch brought one: its buttons keep the keyboard focus between progress events
      if (s.evaluation && s.evaluation !== shownEvaluation) {
        shownEvaluation = s.evaluation;
        evaluationPanel(evaluation, s.evaluation, s.doc?.spec, (sample) => pad.show(sample));
      }
      renderSummary();
    });
  }

  function renderSummary() {
    const d = s.doc;
    if (!d) return;
    title.textContent = d.name ?? d.id;
    const p = d.progress ?? {};
    const ended = TERMINAL.includes(d.status);
    const best = Math.max(...[...s.epochs.values()].map((m) => m.testAccuracy ?? m.valAccuracy ?? -1));
    summary.replaceChildren(
      el('span', { class: `badge ${d.status}`, id: 'job-status' }, d.status),
      ` ${d.stage} · epoch ${p.epoch ?? 0}/${p.epochs ?? '?'} `,
      el('progress', { max: 100, value: p.percent ?? 0, 'aria-label': 'progress' }),
      ` ${Math.round(p.percent ?? 0)}%`,
      ended ? '' : ` · ETA ${eta(p.etaSeconds)} · ${int(p.samplesPerSecond)} samples/s`,
      best >= 0 ? ` · best test accuracy ${pct(best)}` : '',
    );
    const buttons = [];
    if (!ended) buttons.push(el('button', { type: 'button', onclick: () => cancel() }, 'Cancel'));
    if (d.status === 'succeeded' || (d.status === 'cancelled' && d.weights)) {
      for (const [format, label] of DOWNLOADS) {
        const save = () => download(`/v1/jobs/${id}/weights?format=${format}`, `${d.name ?? id}.${format}`);
        buttons.push(el('button', { type: 'button', onclick: save }, `Download ${label}`));
      }
    }
    if (actions.childElementCount !== buttons.length) actions.replaceChildren(...buttons);
  }

  async function cancel() {
    try {
      await api(`/v1/jobs/${id}/cancel`, { method: 'POST' });
      message.textContent = 'Cancelling: the job stops at its next batch.';
    } catch (err) {
      message.textContent = err.message;
    }
  }

  function finished() {
    if (closedOnce) return;
    closedOnce = true;
    stream?.close();
    // the last transition (done) is in the document, not in a status event
    api(`/v1/jobs/${id}`)
      .then((doc) => {
        s.transitions = doc.transitions;
        draw();
      })
      .catch(() => {});
    if (s.doc.status === 'succeeded' || s.doc.status === 'cancelled') {
      filtersPanel(filters, id).catch((err) => filters.replaceChildren(el('p', { class: 'muted' }, `No weights to show: ${err.message}`)));
      pad.ready(s.doc.status === 'succeeded', s.doc.spec);
    }
  }

  let closedOnce = false;
  let quiet = 0;
  function onEvent(type, data, eventId) {
    if (type !== 'snapshot') quiet = 0;
    if (type === 'snapshot') {
      s.doc = data;
      s.transitions = data.transitions ?? [];
      for (const m of data.history ?? []) s.epochs.set(m.epoch, m);
      pad.ready(data.status === 'succeeded', data.spec);
    } else if (type === 'status') {
      Object.assign(s.doc, { status: data.status, stage: data.stage, attempt: data.attempt });
      s.transitions = [...s.transitions, data];
    } else if (type === 'progress') {
      const x = data.epoch - 1 + (data.stepsPerEpoch ? data.step / data.stepsPerEpoch : 0);
      if (typeof data.loss === 'number') s.steps.set(x, data.loss);
      if (typeof data.accuracy === 'number') s.stepAcc.set(x, data.accuracy);
      if (data.norms) s.norms.set(x, data.norms);
      s.doc.progress = { ...s.doc.progress, ...data };
      debug.progressIds.push(eventId);
    } else if (type === 'epoch') {
      s.epochs.set(data.epoch, data.metrics);
      s.norms.set(data.epoch, data.norms);
      if (data.evaluation) s.evaluation = data.evaluation;
    } else {
      s.doc.status = type === 'completed' ? 'succeeded' : type;
      if (type === 'completed') Object.assign(s.doc, { stage: 'done', weights: data.weights });
      if (type === 'cancelled') s.doc.weights = data.weights;
      if (type === 'failed') message.textContent = `Failed: ${data.error.message}`;
    }
    if (['completed', 'failed', 'cancelled'].includes(type)) finished();
    draw();
  }

  let stream = null;
  stream = follow({
    url: async (after) => `/v1/jobs/${id}/events?token=${await streamToken()}&after=${after ?? '0-0'}`,
    types: ['snapshot', 'status', 'progress', 'epoch', 'completed', 'failed', 'cancelled'],
    onEvent,
    onState: (state) => {
      debug.connections = stream?.connections ?? 1;
      debug.state = state;
      // A finished job whose log no longer holds its end: the server answers 204 (an error to
      // EventSource) to a cursor past everything. Two quiet connections in a row: nothing will come.
      if (state === 'live') quiet++;
      if (state === 'reconnecting' && quiet >= 2 && s.doc && TERMINAL.includes(s.doc.status)) finished();
    },
  });
  // EventSource cannot tell a 404 from a network error: ask once, and stop for a job that is not there
  api(`/v1/jobs/${id}`).catch((err) => {
    if (err.status !== 404) return;
    stream.close();
    message.textContent = `No job ${id} (deleted, or another tenant's).`;
  });
  return () => {
    stream.close();
    for (const c of [loss, acc, normCharts]) c.destroy();
  };
}
