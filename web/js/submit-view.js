// Submit: start from an example or a model preset, edit a few fields or the whole JSON spec, see
// POST /v1/jobs/validate live as a table of layers (output shape, parameters, FLOPs), and the
// API's field errors next to the field they name.
import { api } from './api.js';
import { EXAMPLES, loadExample, PRESETS } from './examples.js';
import { el, int } from './format.js';

/** Form fields and the JSON pointer each edits. */
const FIELDS = [
  { id: 'f-name', label: 'Name', path: ['name'], type: 'text' },
  { id: 'f-dataset', label: 'Dataset', path: ['dataset', 'builtin'], options: ['mnist', 'fashion-mnist'] },
  { id: 'f-train-size', label: 'Training images', path: ['dataset', 'trainSize'], type: 'number' },
  { id: 'f-epochs', label: 'Epochs', path: ['training', 'epochs'], type: 'number' },
  { id: 'f-batch', label: 'Batch size', path: ['training', 'batchSize'], type: 'number' },
  { id: 'f-lr', label: 'Learning rate', path: ['training', 'optimizer', 'learningRate'], type: 'number', step: 'any' },
];

const NUMBER_ARRAY = /\[([\d\s.,eE+-]+)\]/g;
const getIn = (obj, path) => path.reduce((o, k) => (o == null ? undefined : o[k]), obj);
function setIn(obj, path, value) {
  let o = obj;
  for (const k of path.slice(0, -1)) o = o[k] ??= {};
  if (value === undefined) delete o[path.at(-1)];
  else o[path.at(-1)] = value;
}
/** The body pointer of a problem's field ("body/training/epochs", "/training/epochs"). */
const pointerOf = (field) => `/${(field ?? '').replace(/^body\/?/, '').replace(/^\//, '')}`;

export function submitView(main) {
  let spec = {};
  let seq = 0;
  let timer;
  const editor = el('textarea', {
    id: 'spec-json',
    rows: 12,
    spellcheck: 'false',
    'aria-describedby': 'spec-error',
    oninput: () => fromJson(),
  });
  const specError = el('p', { id: 'spec-error', class: 'error', role: 'alert' });
  const layers = el('div', { id: 'layers', 'aria-live': 'polite' });
  const result = el('p', { class: 'message', role: 'status' });
  // one click each: the README's examples and a quick one
  const examples = EXAMPLES.map((e) =>
    el('button', { type: 'button', class: 'example', 'data-example': e.id, 'aria-pressed': 'false', onclick: () => start(e.id) }, e.title),
  );
  const preset = el(
    'select',
    {
      id: 'preset',
      onchange: () => {
        if (!preset.value) return;
        spec.model = { preset: preset.value };
        toJson();
      },
    },
    el('option', { value: '' }, 'keep the model'),
    PRESETS.map((p) => el('option', { value: p }, p)),
  );
  const inputs = FIELDS.map((f) => {
    const input = f.options
      ? el(
          'select',
          { id: f.id },
          f.options.map((o) => el('option', { value: o }, o)),
        )
      : el('input', { id: f.id, type: f.type, step: f.step, min: f.type === 'number' ? 0 : undefined });
    input.setAttribute('aria-describedby', `${f.id}-error`);
    input.addEventListener('input', () => {
      const raw = input.value;
      setIn(spec, f.path, raw === '' ? undefined : f.type === 'number' ? Number(raw) : raw);
      toJson();
    });
    return { ...f, input, error: el('span', { id: `${f.id}-error`, class: 'error field-error', role: 'alert' }) };
  });
  const submit = el('button', { type: 'submit', id: 'submit-job' }, 'Submit job');

  main.append(
    el('h1', {}, 'Submit a job'),
    el(
      'form',
      {
        id: 'submit-form',
        class: 'submit-grid',
        onsubmit: (e) => {
          e.preventDefault();
          send();
        },
      },
      el(
        'fieldset',
        {},
        el('legend', {}, 'Start from'),
        el('div', { class: 'examples', role: 'group', 'aria-label': 'Examples' }, examples),
        el('label', { for: 'preset' }, 'Model preset'),
        preset,
        inputs.map((f) => el('div', { class: 'field' }, el('label', { for: f.id }, f.label), f.input, f.error)),
        submit,
        result,
      ),
      el(
        'div',
        {},
        el('label', { for: 'spec-json' }, 'Job spec (JSON, as POST /v1/jobs takes it)'),
        editor,
        specError,
        el('h2', {}, 'Layers'),
        layers,
      ),
    ),
  );

  function showProblem(err) {
    for (const f of inputs) f.error.textContent = '';
    specError.textContent = '';
    if (!err) return;
    const at = pointerOf(err.problem?.field);
    const field = inputs.find((f) => at === `/${f.path.join('/')}`);
    if (field) field.error.textContent = err.message;
    else specError.textContent = err.problem?.field ? `${at}: ${err.message}` : err.message;
  }

  function toJson() {
    // arrays of numbers (shapes, pixels) on one line
    editor.value = JSON.stringify(spec, null, 2).replace(
      NUMBER_ARRAY,
      (_, inner) =>
        `[${inner
          .trim()
          .split(/\s*,\s*/)
          .join(', ')}]`,
    );
    validateSoon();
  }

  function fromJson() {
    try {
      spec = JSON.parse(editor.value);
    } catch (err) {
      showProblem({ message: `not JSON: ${err.message}` });
      return;
    }
    for (const f of inputs) f.input.value = getIn(spec, f.path) ?? '';
    validateSoon();
  }

  function validateSoon() {
    clearTimeout(timer);
    timer = setTimeout(validate, 300);
  }

  async function validate() {
    const mine = ++seq;
    try {
      const report = await api('/v1/jobs/validate', { method: 'POST', body: spec });
      if (mine !== seq) return;
      showProblem(null);
      layers.replaceChildren(layerTable(report));
    } catch (err) {
      if (mine !== seq) return;
      showProblem(err);
      layers.replaceChildren(el('p', { class: 'muted' }, 'Fix the spec to see its layers.'));
    }
  }

  async function send() {
    submit.disabled = true;
    result.textContent = 'Submitting…';
    try {
      const job = await api('/v1/jobs', { method: 'POST', body: spec });
      location.hash = `#/job/${job.id}`;
    } catch (err) {
      showProblem(err);
      result.textContent = `Not submitted: ${err.message}`;
    } finally {
      submit.disabled = false;
    }
  }

  let started = 0;
  async function start(id) {
    for (const b of examples) b.setAttribute('aria-pressed', String(b.dataset.example === id));
    const mine = ++started;
    try {
      const loaded = await loadExample(id);
      if (mine !== started) return; // another example was picked meanwhile
      spec = loaded;
    } catch (err) {
      showProblem(err);
      return;
    }
    for (const f of inputs) f.input.value = getIn(spec, f.path) ?? '';
    toJson();
  }

  start(EXAMPLES[0].id);
  return () => clearTimeout(timer);
}

function layerTable(report) {
  const m = report.model;
  const quotas = report.quotas
    .filter((q) => q.exceeded)
    .map((q) => el('p', { class: 'error' }, `${q.name}: ${int(q.value)} over the limit ${int(q.limit)} (${q.variable})`));
  return el(
    'div',
    {},
    el(
      'div',
      { class: 'scroll' },
      el(
        'table',
        { id: 'layer-table' },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            ['#', 'Layer', 'Output shape', 'Parameters', 'FLOPs'].map((h) => el('th', { scope: 'col' }, h)),
          ),
        ),
        el(
          'tbody',
          {},
          el('tr', {}, el('td', {}, ''), el('td', {}, 'input'), el('td', {}, m.input.join('×')), el('td', {}, ''), el('td', {}, '')),
          m.layers.map((l) =>
            el(
              'tr',
              {},
              el('td', {}, l.index),
              el('td', {}, l.type),
              el('td', {}, l.outputShape.join('×')),
              el('td', { class: 'num' }, int(l.params)),
              el('td', { class: 'num' }, int(l.flops)),
            ),
          ),
        ),
        el(
          'tfoot',
          {},
          el(
            'tr',
            {},
            el('td', {}, ''),
            el('th', { scope: 'row' }, 'total'),
            el('td', {}, m.outputShape.join('×')),
            el('td', { class: 'num' }, int(m.params)),
            el('td', { class: 'num' }, int(m.flops)),
          ),
        ),
      ),
    ),
    el('p', { class: 'muted' }, `${report.stepsPerEpoch ?? '?'} steps per epoch; ${report.valid ? 'ready to submit' : 'over a quota'}.`),
    quotas,
  );
}
