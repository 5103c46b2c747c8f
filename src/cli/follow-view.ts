// How `convoy submit --follow` and `convoy logs --follow` show a job's events: a progress bar per
// epoch on a terminal (cli-progress), one line per event otherwise, or JSON lines with --json.
import cliProgress from 'cli-progress';
import type { JobEvent } from '../client/index.js';

export interface FollowView {
  show(e: JobEvent): void;
  stop(): void;
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);
const num = (x: number | null | undefined) => (x === null || x === undefined ? '-' : x.toFixed(4));

/** One readable line for an event (no progress bars). */
export function eventLine(e: JobEvent): string {
  switch (e.type) {
    case 'snapshot':
      return `job ${e.data.id}: ${e.data.status} (${e.data.stage})`;
    case 'status':
      return `status ${e.data.status} / ${e.data.stage}${e.data.message ? `: ${e.data.message}` : ''}`;
    case 'progress':
      return `epoch ${e.data.epoch}/${e.data.epochs} step ${e.data.step}/${e.data.stepsPerEpoch} loss ${num(e.data.loss)} accuracy ${pct(e.data.accuracy)}`;
    case 'epoch': {
      const m = e.data.metrics;
      const held =
        m.testAccuracy !== undefined ? ` test ${pct(m.testAccuracy)}` : m.valAccuracy !== undefined ? ` val ${pct(m.valAccuracy)}` : '';
      return `epoch ${e.data.epoch}/${e.data.epochs} done: loss ${num(m.loss)} accuracy ${pct(m.accuracy)}${held} (${(m.seconds ?? 0).toFixed(1)} s)`;
    }
    case 'completed':
      return `completed (${e.data.reason ?? 'epochs'}): loss ${num(e.data.metrics.loss)} accuracy ${pct(e.data.metrics.accuracy)}${
        e.data.metrics.testAccuracy !== undefined && e.data.metrics.testAccuracy !== null ? ` test ${pct(e.data.metrics.testAccuracy)}` : ''
      }`;
    case 'failed':
      return `failed: ${e.data.error.code}: ${e.data.error.message}`;
    case 'cancelled':
      return 'cancelled';
  }
}

export function followView(opts: { json: boolean; tty: boolean }): FollowView {
  if (opts.json) return { show: (e) => console.log(JSON.stringify(e)), stop: () => undefined };
  if (!opts.tty) return { show: (e) => e.type !== 'progress' && console.log(eventLine(e)), stop: () => undefined };
  let bar: cliProgress.SingleBar | undefined;
  let epoch = 0;
  const stopBar = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    show(e) {
      if (e.type === 'progress') {
        if (!bar || e.data.epoch !== epoch) {
          stopBar();
          epoch = e.data.epoch;
          bar = new cliProgress.SingleBar(
            {
              format: `epoch ${epoch}/${e.data.epochs} [{bar}] {value}/{total} steps | loss {loss} | {sps} samples/s | eta {eta}s`,
              hideCursor: true,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(e.data.stepsPerEpoch, 0, { loss: '-', sps: '-' });
        }
        bar.update(e.data.step, { loss: num(e.data.loss), sps: e.data.samplesPerSecond ?? '-' });
        return;
      }
      stopBar();
      console.log(eventLine(e));
    },
    stop: stopBar,
  };
}
