// docs/backprop.md stays true: every link into the source points at lines that exist and
// hold what the text says they compute, and every number of the worked example is what
// the engine computes from the example's inputs (read from the doc itself).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  computeGradients,
  createModel,
  createOptimizer,
  exportWeights,
  forward,
  loadWeights,
  predict,
  softmaxCrossEntropy,
  type LayerSpec,
  type Model,
  type ModelSpec,
} from '../../src/engine/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const docPath = resolve(root, 'docs/backprop.md');
const doc = readFileSync(docPath, 'utf8');

// What each link (by its text) must point at: snippets that must all occur in the linked lines.
const LINKED_CODE: Record<string, string[]> = {
  'model.ts: forward loop': ['this.layers.length', '.forward(input'],
  'model.ts: backward loop': ['this.layers.length - 1', '.backward('],
  'losses.ts: softmax-CE': ['max', 'Math.exp', 'label ? 1 - labelSmoothing : 0', 'scale'],
  'dense.ts: forward': ['gemm(', 'this.weight', 'this.bias'],
  'dense.ts: dW': ['gemm(', 'this.dweight'],
  'dense.ts: db': ['this.dbias', 'sum'],
  'dense.ts: dx': ['gemm(', 'this.weight', 'dx'],
  'dense.ts: activation': ['activationBackward('],
  'activation-ref.ts: relu mask': ["case 'relu'", 'y[i]! > 0'],
  'activation-ref.ts: elu': ['(v + alpha)'],
  'conv2d.ts: kernel calls': ['conv2dForward(', 'conv2dBackward(', 'this.weight', 'this.dweight'],
  'conv-ref.ts: im2col': ['im2colRef(', 'col[out]'],
  'conv-ref.ts: forward': ['im2colRef(', 'gemm(', 'w, col', 'b[f]'],
  'conv-ref.ts: db': ['db[f]', 'sum'],
  'conv-ref.ts: dW': ['im2colRef(', 'gemm(', 'dw, true'],
  'conv-ref.ts: dx': ['gemm(', 'w, dzs', 'col2imRef('],
  'conv-ref.ts: col2im': ['col2imRef(', 'dcol[src]'],
  'conv-ref.ts: activation': ['activationBackwardRef('],
  'max-pool2d.ts: switches': ['best', 'sw[out] = best'],
  'max-pool2d.ts: backward': ['dx[sw[i]!]', 'dy[i]'],
  'avg-pool2d.ts: backward': ['dy[out]! /', 'dx[i]'],
  'flatten.ts: backward': ['dx.set(dy'],
  'dropout.ts: backward': ['this.mask[g]', 'dx[i] = dy[i]! * m'],
  'global-avg-pool2d.ts: backward': ['dy[o]! / A'],
  'batch-norm.ts: statistics': ['sum / m', 'sq / m', 'sq / (m - 1)'],
  'batch-norm.ts: normalise': ['invStd', 'this.gamma[c]', 'x[i]! * scale + shift'],
  'batch-norm.ts: dgamma, dbeta': ['sumDyXhat +=', 'this.dbeta[c]', 'this.dgamma[c]'],
  'batch-norm.ts: dx': ['meanDy', 'meanDyXhat', 'dx[i] = k * (dy[i]! - meanDy'],
  'running-stats.ts: update': ['m * stats[i]! + (1 - m) * running[i]!'],
  'pool-step.ts: fold': ['updateRunningStats(w.model, stats)'],
  'residual.ts: join': ['y[i] = a[i]! + s[i]!'],
  'residual.ts: fork': ['.backward(', 'this.dxShortcut[i]', 'dx[i]! + dy[i]!'],
  'sgd.ts: update': ['momentum * b[i]', 'nesterov ?', 'weights[i] = w - lr'],
  'adam-ref.ts: update': ['beta1 * m[i]', 'beta2 * v[i]', 'Math.sqrt(vi)', 'decay'],
  'clip.ts: clip': ['l2Norm(grads)', 'scale < 1'],
  'schedule.ts: cosine': ['minLr', 'Math.cos'],
};

interface Link {
  text: string;
  path: string;
  from: number;
  to: number;
}

function links(): Link[] {
  const found: Link[] = [];
  for (const m of doc.matchAll(/\[([^\]]+)\]\((\.\.\/[^)#\s]+)(?:#L(\d+)(?:-L(\d+))?)?\)/g)) {
    const [, text, path, from, to] = m;
    if (from === undefined) throw new Error(`link '${text}' to ${path} has no #L line anchor`);
    found.push({ text: text!, path: path!, from: Number(from), to: Number(to ?? from) });
  }
  return found;
}

describe('docs/backprop.md links into the code', () => {
  const all = links();

  it('has one expectation per link and one link per expectation', () => {
    expect(all.length).toBeGreaterThan(20);
    expect(new Set(all.map((l) => l.text)).size).toBe(all.length);
    expect(all.map((l) => l.text).sort()).toEqual(Object.keys(LINKED_CODE).sort());
  });

  for (const link of all) {
    it(`'${link.text}' -> ${link.path}#L${link.from}-L${link.to} holds ${JSON.stringify(LINKED_CODE[link.text])}`, () => {
      const file = resolve(dirname(docPath), link.path);
      expect(existsSync(file), `${link.path} exists`).toBe(true);
      const lines = readFileSync(file, 'utf8').split('\n');
      expect(
        link.from >= 1 && link.from <= link.to && link.to <= lines.length,
        `L${link.from}-L${link.to} within ${lines.length} lines`,
      ).toBe(true);
      const range = lines.slice(link.from - 1, link.to).join('\n');
      for (const snippet of LINKED_CODE[link.text] ?? []) {
        if (!range.includes(snippet)) {
          const now = lines.flatMap((line, i) => (line.includes(snippet) ? [`L${i + 1}`] : []));
          throw new Error(
            `${link.path}#L${link.from}-L${link.to} ('${link.text}') no longer contains '${snippet}'` +
              (now.length ? `; it is now at ${now.join(', ')}: update the link in docs/backprop.md` : ''),
          );
        }
      }
    });
  }

  it('names test files that exist', () => {
    const paths = [...doc.matchAll(/`(test\/[^`]+)`/g)].map((m) => m[1]!);
    expect(paths.length).toBeGreaterThan(2);
    for (const path of paths) expect(existsSync(resolve(root, path)), path).toBe(true);
  });
});

// ---- the worked example ----

type Value = number | Value[];

/** `name = value` lines (JSON values) and `name[i][j] = arithmetic = result` lines of the example. */
function exampleLines(): { values: Map<string, Value>; sums: { target: string; index: number[]; expr: string; result: number }[] } {
  const section = doc.split('<!-- worked-example:begin -->')[1]?.split('<!-- worked-example:end -->')[0];
  if (!section) throw new Error('docs/backprop.md lacks the worked-example markers');
  const blocks = [...section.matchAll(/```text\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const values = new Map<string, Value>();
  const sums: { target: string; index: number[]; expr: string; result: number }[] = [];
  for (const line of blocks
    .join('')
    .split('\n')
    .filter((l) => l.trim())) {
    const plain = /^(\w+) = (.+)$/.exec(line);
    const indexed = /^(\w+)((?:\[\d+\])+) = (.+) = (-?[\d.]+)$/.exec(line);
    if (indexed) {
      const [, target, index, expr, result] = indexed;
      sums.push({ target: target!, index: [...index!.matchAll(/\d+/g)].map(Number), expr: expr!, result: Number(result) });
    } else if (plain) {
      values.set(plain[1]!, JSON.parse(plain[2]!) as Value);
    } else {
      throw new Error(`cannot read example line: ${line}`);
    }
  }
  return { values, sums };
}

/** Evaluates + - * and parentheses over decimal numbers (nothing else gets through). */
function arithmetic(expr: string): number {
  if (!/^[\d\s.+\-*()]+$/.test(expr)) throw new Error(`not plain arithmetic: ${expr}`);
  return Function(`"use strict"; return (${expr});`)() as number;
}

function decimals(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** Every number as printed, paired with the engine's value; tolerance = half a unit in the last printed digit. */
function expectPrinted(name: string, printed: Value, actual: ArrayLike<number> | number): void {
  const flat = (v: Value): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);
  const want = flat(printed);
  const got = typeof actual === 'number' ? [actual] : Array.from(actual);
  expect(got.length, `${name}: element count`).toBe(want.length);
  // the printed precision of each number, read from the doc's text of that line
  const line = doc.split('\n').find((l) => l.startsWith(`${name} = `))!;
  const texts = line.slice(name.length + 3).match(/-?\d+(?:\.\d+)?/g)!;
  want.forEach((w, i) => {
    const tolerance = 0.5 * 10 ** -decimals(texts[i]!) + 1e-6;
    if (!(Math.abs(got[i]! - w) <= tolerance)) {
      throw new Error(`${name}[${i}]: the doc prints ${texts[i]}, the engine computes ${got[i]}`);
    }
  });
}

describe('docs/backprop.md worked example', () => {
  const { values, sums } = exampleLines();
  const input = (name: string): Value => {
    const v = values.get(name);
    if (v === undefined) throw new Error(`the example does not give ${name}`);
    return v;
  };
  const flat = (name: string): Float32Array => Float32Array.from((input(name) as Value[]).flat(2) as number[]);
  const x = flat('x');
  const label = input('label') as number;
  const lr = input('lr') as number;
  const labels = Int32Array.of(label);

  const conv: LayerSpec = { type: 'conv2d', filters: 1, kernelSize: 2 };
  const dense: LayerSpec = { type: 'dense', units: 2 };
  const build = (inputShape: [number, number, number], layers: LayerSpec[]): Model => {
    const spec: ModelSpec = { input: inputShape, layers };
    const model = createModel(spec, { seed: 1 });
    const weights: Record<string, Float32Array> = {
      conv2d: flat('K'),
      'conv2d.bias': Float32Array.of(input('bc') as number),
      dense: flat('W'),
      'dense.bias': flat('bd'),
    };
    loadWeights(
      model,
      model.params.map((p) => {
        const type = layers[p.layer]!.type;
        return { name: p.name, shape: p.shape, data: weights[p.kind === 'bias' ? `${type}.bias` : type]! };
      }),
    );
    return model;
  };

  // The whole network, and pieces of it, so that the intermediate values come from the engine too.
  const net = build([1, 3, 3], [{ ...conv, activation: 'relu' }, { type: 'flatten' }, dense]);
  const engine: Record<string, ArrayLike<number> | number> = {};
  // (a model must end in a flat vector; flatten leaves the values and their order as they are)
  engine.z = forward(build([1, 3, 3], [conv, { type: 'flatten' }]), x, 1).slice();
  engine.f = forward(build([1, 3, 3], [{ ...conv, activation: 'relu' }, { type: 'flatten' }]), x, 1).slice();
  engine.a = engine.f;
  const logits = forward(net, x, 1).slice();
  engine.logits = logits;
  engine.p = predict(net, x, 1);
  const dlogits = new Float32Array(2);
  engine.loss = softmaxCrossEntropy(logits, labels, 1, 2, dlogits, 1);
  engine.dlogits = dlogits;

  // df = dL/df: the dense head alone, fed f, hands its input gradient back
  const head = build([1, 2, 2], [{ type: 'flatten' }, dense]);
  const df = new Float32Array(4);
  computeGradients(head, { x: Float32Array.from(engine.f as Float32Array), labels, n: 1, scale: 1, inputGrad: df });
  engine.df = df;
  engine.da = df;
  // dz = dL/dz: ReLU + head, fed z
  const reluHead = build([1, 2, 2], [{ type: 'relu' }, { type: 'flatten' }, dense]);
  const dz = new Float32Array(4);
  computeGradients(reluHead, { x: Float32Array.from(engine.z as Float32Array), labels, n: 1, scale: 1, inputGrad: dz });
  engine.dz = dz;

  // The whole network's backward: parameter gradients and the input gradient
  const dx = new Float32Array(9);
  net.grads.fill(0);
  const { lossSum } = computeGradients(net, { x, labels, n: 1, scale: 1, inputGrad: dx });
  const grad = (name: string): Float32Array => {
    const p = net.params.find((q) => q.name === name)!;
    return net.grads.slice(p.offset, p.offset + p.size);
  };
  engine.dK = grad('layers.0.weight');
  engine.dbc = grad('layers.0.bias')[0]!;
  engine.dW = grad('layers.2.weight');
  engine.db = grad('layers.2.bias');
  engine.dx = dx;

  // One SGD step
  const pBefore = predict(net, x, 1)[label]!;
  createOptimizer({ type: 'sgd' }, net.weights.length).step(net.weights, net.grads, lr);
  const after = Object.fromEntries(exportWeights(net).map((t) => [t.name, t.data]));
  engine.K_new = after['layers.0.weight']!;
  engine.bc_new = after['layers.0.bias']![0]!;
  engine.W_new = after['layers.2.weight']!;
  engine.bd_new = after['layers.2.bias']!;

  const inputs = new Set(['x', 'K', 'bc', 'W', 'bd', 'label', 'lr']);

  it('gives every input and every computed value, and nothing the test does not check', () => {
    const printed = [...values.keys()].filter((k) => !inputs.has(k)).sort();
    expect(printed).toEqual(Object.keys(engine).sort());
  });

  for (const name of Object.keys(engine)) {
    it(`${name} is what the engine computes`, () => {
      expectPrinted(name, input(name), engine[name]!);
    });
  }

  it('the whole-network loss equals the fused loss of its logits', () => {
    expect(lossSum).toBeCloseTo(engine.loss as number, 6);
  });

  it('each spelled-out sum adds up to its printed result, which is the printed matrix entry', () => {
    expect(sums.length).toBeGreaterThanOrEqual(5);
    for (const { target, index, expr, result } of sums) {
      expect(Math.abs(arithmetic(expr) - result), `${target}${JSON.stringify(index)}: ${expr}`).toBeLessThanOrEqual(2e-4);
      const entry = index.reduce<Value>((v, i) => (v as Value[])[i]!, input(target));
      expect(entry, `${target}${JSON.stringify(index)}`).toBe(result);
    }
  });

  it('after the step the true class is more likely, as the doc says', () => {
    expect(predict(net, x, 1)[label]!).toBeGreaterThan(pBefore);
  });
});
