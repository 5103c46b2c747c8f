// Links in responses: relative by default, absolute under PUBLIC_URL.
import type { JobLinks } from '../contracts/index.js';

export function jobLinks(base: string, id: string): JobLinks {
  const self = `${base}/v1/jobs/${id}`;
  return {
    self,
    events: `${self}/events`,
    weights: `${self}/weights`,
    cancel: `${self}/cancel`,
    predict: `${self}/predict`,
  };
}
