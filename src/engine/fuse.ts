// Layer fusion: what the model actually runs for a spec. A conv2d or dense layer without an
// activation followed by an activation layer becomes one layer with that activation fused in: the
// kernel applies it while the output is still in its (WebAssembly) memory, and the activation
// layer's own pass over the tensor, its copies in and out of the kernels' memory and its output
// buffer go away (`lenet5` spends ~10% of a step there).
//
// The bits do not change: a fused activation runs the same kernel function as the activation
// layer (kernels/index.ts: forward act(z), backward dy * act'(y), read from the output). Dense
// applies its activation in TypeScript (activation-ref.ts) in float64 (exp; leakyRelu's alpha, which
// the kernels round to float32 first): dense fuses relu only, exact in both
// (test/engine/fuse.test.ts compares the bits with the layers run one by one).
// Parameter names, init and dropout streams hang on spec indices, which fusion keeps.
import type { ResolvedLayer } from './describe.js';
import type { ActivationName } from './spec.js';

const ACTIVATIONS: ReadonlySet<string> = new Set<ActivationName>(['relu', 'leakyRelu', 'elu', 'sigmoid', 'tanh']);
const EXACT: ReadonlySet<string> = new Set<ActivationName>(['relu']);

/** The layers to build: `layers` with each fusable (conv2d | dense, activation layer) pair as one layer. */
export function fuseActivations(layers: readonly ResolvedLayer[]): ResolvedLayer[] {
  const out: ResolvedLayer[] = [];
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i]!;
    const next = layers[i + 1];
    if (next && (l.type === 'conv2d' || l.type === 'dense') && l.activation === null && ACTIVATIONS.has(next.type)) {
      const act = next as Extract<ResolvedLayer, { type: ActivationName }>;
      if (l.type === 'conv2d' || EXACT.has(act.type)) {
        out.push({ ...l, activation: act.type, alpha: act.alpha, outShape: act.outShape });
        i++;
        continue;
      }
    }
    out.push(l);
  }
  return out;
}
