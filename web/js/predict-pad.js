// The predict pad: draw on a canvas (white on black, like MNIST) or pick a test image, and see the
// class probabilities POST /v1/jobs/{id}/predict returns. The drawing is scaled down to the model's
// input (28x28 for the presets) as 0-255 pixels, the scale of the builtin datasets.
import { api } from './api.js';
import { bytesOf, classNamer, el, pct } from './format.js';

const SIZE = 280;

export function predictPad(section, id) {
  let shape = [1, 28, 28];
  let name = classNamer(null);
  let enabled = false;
  const canvas = el('canvas', {
    id: 'pad',
    width: SIZE,
    height: SIZE,
    'aria-label': 'drawing pad: draw a digit or a garment with the mouse or a finger',
  });
  const ctx = canvas.getContext('2d');
  const bars = el('ol', { id: 'probabilities', class: 'bars', 'aria-live': 'polite' });
  const note = el('p', { class: 'muted' }, 'Available when the job has succeeded.');
  const predictButton = el('button', { type: 'button', id: 'predict-button', disabled: true, onclick: () => predict() }, 'Predict');
  section.append(
    el('h2', { id: 'h-predict' }, 'Predict'),
    note,
    el(
      'div',
      { class: 'pad' },
      canvas,
      el(
        'div',
        {},
        el('div', { class: 'toolbar' }, predictButton, el('button', { type: 'button', onclick: () => clear() }, 'Clear')),
        bars,
      ),
    ),
  );
  clear();

  let drawing = false;
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * SIZE, ((e.clientY - r.top) / r.height) * SIZE];
  };
  canvas.addEventListener('pointerdown', (e) => {
    drawing = true;
    canvas.setPointerCapture(e.pointerId);
    ctx.beginPath();
    ctx.moveTo(...at(e));
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    ctx.lineTo(...at(e));
    ctx.stroke();
  });
  canvas.addEventListener('pointerup', () => {
    drawing = false;
    if (enabled) predict();
  });

  function clear() {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, SIZE, SIZE);
    Object.assign(ctx, { strokeStyle: '#fff', lineWidth: 22, lineCap: 'round', lineJoin: 'round' });
    bars.replaceChildren();
  }

  /** The pad as one flat c*h*w input of 0-255 values. */
  function input() {
    const [c, h, w] = shape;
    const small = el('canvas', { width: w, height: h });
    const sctx = small.getContext('2d');
    sctx.imageSmoothingQuality = 'high';
    sctx.drawImage(canvas, 0, 0, w, h);
    const rgba = sctx.getImageData(0, 0, w, h).data;
    const gray = Array.from({ length: h * w }, (_, i) => rgba[i * 4]);
    return Array.from({ length: c }, () => gray).flat();
  }

  async function predict(values = input()) {
    try {
      const { predictions } = await api(`/v1/jobs/${id}/predict`, { method: 'POST', body: { inputs: [values] } });
      const p = predictions[0];
      bars.replaceChildren(
        ...p.probabilities.map((v, k) =>
          el(
            'li',
            { class: k === p.label ? 'top' : '', 'data-class': k },
            el('span', { class: 'bar-label' }, name(k)),
            el('span', { class: 'bar', style: `width: ${Math.max(1, v * 100).toFixed(1)}%` }),
            el('span', { class: 'bar-value' }, pct(v)),
          ),
        ),
      );
      bars.dataset.label = String(p.label);
    } catch (err) {
      bars.replaceChildren(el('li', { class: 'error' }, err.message));
    }
  }

  return {
    /** The job's spec (input shape, class names) and whether it has weights to predict with. */
    ready(ok, spec) {
      if (spec?.model?.input) shape = spec.model.input;
      name = classNamer(spec);
      enabled = ok;
      predictButton.disabled = !ok;
      note.textContent = ok
        ? 'Draw in the square (light on dark), or pick one of the most-confused test images above.'
        : 'Available when the job has succeeded.';
    },
    /** Shows a test image (an evaluation sample with pixels) on the pad and predicts it. */
    show(sample) {
      const [c, h, w] = shape;
      const pixels = bytesOf(sample.pixels);
      const small = el('canvas', { width: w, height: h });
      const sctx = small.getContext('2d');
      const img = sctx.createImageData(w, h);
      for (let i = 0; i < h * w; i++) img.data.set([pixels[i], pixels[i], pixels[i], 255], i * 4);
      sctx.putImageData(img, 0, 0);
      clear();
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(small, 0, 0, SIZE, SIZE);
      if (enabled) predict([...pixels].slice(0, c * h * w));
      canvas.scrollIntoView({ block: 'nearest' });
    },
  };
}
