// Line charts with uPlot (served from node_modules at /vendor/uplot/). Series are Maps x -> y;
// uPlot wants one shared x array, so the union of the xs is taken and each series gets nulls where
// it has no point (spanGaps joins them).
import uPlot from '/vendor/uplot/uPlot.esm.js';

export const COLORS = ['#1b5fa8', '#c0392b', '#1e7b34', '#7d3c98', '#b35900', '#117a8b', '#6d4c41', '#ad1457', '#37474f', '#827717'];

/**
 * lineChart(parent, { title, x, y, series: [{ label, color, points }] }): { set(maps), points(), destroy() }.
 * `points: true` draws each point (sparse series, e.g. one per epoch); 'auto' when they are apart.
 */
export function lineChart(parent, { title, x = 'epoch', y, series }) {
  const holder = document.createElement('figure');
  holder.className = 'chart';
  holder.setAttribute('aria-label', title);
  parent.append(holder);
  let plot = null;
  let data = [[], ...series.map(() => [])];
  let defs = series;

  function options(width) {
    return {
      title,
      width,
      height: 220,
      scales: { x: { time: false } },
      axes: [{ label: x }, { label: y, size: 60 }],
      series: [
        { label: x, value: (_u, v) => (v === null || v === undefined ? '–' : Number(v).toFixed(2)) },
        ...defs.map((s, i) => ({
          label: s.label,
          stroke: s.color ?? COLORS[i % COLORS.length],
          width: 2,
          spanGaps: true,
          // 'auto': uPlot's own rule, points only where they are far enough apart
          points: s.points === 'auto' ? { size: 6 } : { show: s.points ?? false, size: 6 },
          value: (_u, v) => (v === null || v === undefined ? '–' : Number(v).toFixed(4)),
        })),
      ],
      legend: { live: true },
    };
  }

  function build() {
    plot?.destroy();
    plot = new uPlot(options(Math.max(280, holder.clientWidth || parent.clientWidth || 600)), data, holder);
  }

  const resize = new ResizeObserver(() => plot?.setSize({ width: Math.max(280, holder.clientWidth), height: 220 }));
  resize.observe(holder);

  return {
    /** maps[i] is series i's Map x -> y; `labels` (optional) renames the series (Compare adds jobs). */
    set(maps, relabel) {
      const xs = [...new Set(maps.flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
      data = [xs, ...maps.map((m) => xs.map((v) => (m.has(v) ? m.get(v) : null)))];
      if (relabel || !plot) {
        if (relabel) defs = relabel;
        build();
      } else plot.setData(data);
    },
    /** How many x values the chart holds. */
    points: () => data[0].length,
    destroy() {
      resize.disconnect();
      plot?.destroy();
    },
  };
}
