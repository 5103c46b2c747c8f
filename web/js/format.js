// Small DOM and number helpers shared by the views.

/** el('td', { class: 'x', onclick }, child, 'text', ...): an element. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}

export const pct = (v) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)}%`);
export const num = (v, digits = 3) => (v === null || v === undefined ? '–' : Number(v).toFixed(digits));
export const int = (v) => (v === null || v === undefined ? '–' : Math.round(v).toLocaleString('en'));

export function eta(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

export const time = (iso) => (iso ? new Date(iso).toLocaleTimeString('en-GB') : '–');

export const TERMINAL = ['succeeded', 'failed', 'cancelled'];

/** Class names of the builtin datasets, else the class index. */
const CLASS_NAMES = {
  'fashion-mnist': ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
};
export const classNamer = (spec) => (i) => CLASS_NAMES[spec?.dataset?.builtin]?.[i] ?? String(i);

/** Decodes base64 into bytes. */
export function bytesOf(base64) {
  const s = atob(base64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A grayscale image (first channel of c*h*w values, scaled to 0-255) drawn on a canvas of `scale`x. */
export function imageCanvas(values, h, w, { scale = 3, min, max, label } = {}) {
  const canvas = el('canvas', { width: w, height: h, role: 'img', 'aria-label': label });
  canvas.style.width = `${w * scale}px`;
  canvas.style.height = `${h * scale}px`;
  const lo = min ?? Math.min(...values.slice(0, h * w));
  const hi = max ?? Math.max(...values.slice(0, h * w));
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    const v = hi > lo ? Math.round(((values[i] - lo) / (hi - lo)) * 255) : 0;
    img.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}
