// The panels of the job view that are not curves: the stage timeline, weight and gradient norms per
// tensor over the epochs, the confusion matrix with the most-confused test images, and the first
// convolution's learned filters drawn from the weights.
import { api } from './api.js';
import { lineChart } from './charts.js';
import { bytesOf, classNamer, el, imageCanvas, time } from './format.js';

/** The transitions in time order, once each (the snapshot's and the replayed status events overlap). */
export function timelinePanel(section, all) {
  const once = new Map(all.map((t) => [`${t.at}|${t.status}|${t.stage}`, t]));
  const transitions = [...once.values()].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const rows = transitions.map((t, i) => {
    const next = transitions[i + 1];
    const seconds = next ? (Date.parse(next.at) - Date.parse(t.at)) / 1000 : null;
    return el(
      'li',
      {},
      el('time', { datetime: t.at }, time(t.at)),
      ` ${t.stage} (${t.status})`,
      seconds === null ? '' : el('span', { class: 'muted' }, ` ${seconds.toFixed(1)} s`),
    );
  });
  section.replaceChildren(el('h2', { id: 'h-timeline' }, 'Stage timeline'), el('ol', { class: 'timeline' }, rows));
}

/** Two charts: each weight tensor's L2 norm, and its last-step gradient's, keyed by x (epochs done):
 *  at each epoch's end and on the progress events that carry them (every 2 s or so). */
export function normsPanel(section) {
  section.append(
    el('h2', { id: 'h-norms' }, 'Backprop: weight and gradient norms'),
    el(
      'p',
      { class: 'muted' },
      'L2 norm of each weight tensor, and of its gradient at that step, every few seconds and at each epoch end.',
    ),
  );
  const weights = lineChart(section, { title: 'Weight norm', y: '‖W‖', series: [] });
  const grads = lineChart(section, { title: 'Gradient norm', y: '‖dW‖', series: [] });
  let names = '';
  return {
    set(byEpoch) {
      const tensors = [...new Set([...byEpoch.values()].flat().map((n) => n.name))].filter((n) => n.endsWith('.weight'));
      const series = (key) =>
        tensors.map((name) => new Map([...byEpoch].map(([epoch, list]) => [epoch, list.find((n) => n.name === name)?.[key] ?? null])));
      const labels = tensors.join();
      const relabel = labels !== names ? tensors.map((name) => ({ label: name, points: 'auto' })) : undefined;
      names = labels;
      weights.set(series('weightNorm'), relabel);
      grads.set(series('gradNorm'), relabel);
    },
    destroy() {
      weights.destroy();
      grads.destroy();
    },
  };
}

/** The confusion matrix (rows: true class) and the most confidently wrong images; onPick(sample). */
export function evaluationPanel(section, evaluation, spec, onPick) {
  const name = classNamer(spec);
  const m = evaluation.confusion;
  const max = Math.max(1, ...m.flat());
  const shape = spec?.model?.input ?? [1, 28, 28];
  const table = el(
    'table',
    { id: 'confusion', class: 'confusion' },
    el('caption', {}, `Confusion matrix on the ${evaluation.split} split: rows are the true class, columns the predicted one`),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col' }, 'true \\ predicted'),
        m.map((_, j) => el('th', { scope: 'col' }, name(j))),
      ),
    ),
    el(
      'tbody',
      {},
      m.map((row, i) =>
        el(
          'tr',
          {},
          el('th', { scope: 'row' }, name(i)),
          row.map((v, j) => {
            const shade = v / max;
            const style = `background: rgba(${i === j ? '27, 95, 168' : '192, 57, 43'}, ${shade.toFixed(2)}); color: ${shade > 0.5 ? '#fff' : '#111'}`;
            return el('td', { style, title: `${v} ${name(i)} predicted as ${name(j)}` }, String(v));
          }),
        ),
      ),
    ),
  );
  const confused = evaluation.confused.map((c) => {
    const caption = `${name(c.label)} → ${name(c.predicted)} (${Math.round(c.probability * 100)}%)`;
    const image = c.pixels ? imageCanvas(bytesOf(c.pixels), shape[1], shape[2], { scale: 2, min: 0, max: 255, label: caption }) : '';
    return el(
      'li',
      {},
      el(
        'button',
        {
          type: 'button',
          class: 'sample',
          disabled: !c.pixels,
          onclick: () => onPick(c),
          'aria-label': `predict test image ${c.index}: ${caption}`,
        },
        image,
      ),
      el('div', { class: 'small' }, caption),
    );
  });
  section.replaceChildren(
    el('h2', { id: 'h-eval' }, 'Evaluation'),
    el('div', { class: 'scroll' }, table),
    el('h3', {}, 'Most confused test images'),
    confused.length
      ? el('ul', { class: 'samples', id: 'confused' }, confused)
      : el('p', { class: 'muted' }, 'None: every test image was classified right.'),
  );
}

/** The first conv2d layer's filters (weight [out, in, kh, kw]), each as a small image (channel 0). */
export async function filtersPanel(section, id) {
  const weights = await api(`/v1/jobs/${id}/weights?format=json`);
  const conv = weights.tensors.find((t) => t.shape.length === 4);
  section.replaceChildren(el('h2', { id: 'h-filters' }, 'Learned filters'));
  if (!conv) return section.append(el('p', { class: 'muted' }, 'The model has no convolution.'));
  const [out, inChannels, kh, kw] = conv.shape;
  const bytes = bytesOf(conv.data);
  const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const images = [];
  for (let f = 0; f < out; f++) {
    const start = f * inChannels * kh * kw;
    images.push(
      el(
        'li',
        {},
        imageCanvas(values.subarray(start, start + kh * kw), kh, kw, { scale: Math.max(4, Math.round(40 / kw)), label: `filter ${f}` }),
      ),
    );
  }
  section.append(
    el(
      'p',
      { class: 'muted' },
      `${conv.name}: ${out} filters of ${kh}×${kw}${inChannels > 1 ? ' (first input channel)' : ''}, dark = negative, light = positive.`,
    ),
    el('ul', { class: 'filters' }, images),
  );
}
