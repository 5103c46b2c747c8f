// Every WebAssembly kernel variant the host runs, cross-checked against the plain TypeScript
// reference on odd shapes (sizes that are not multiples of the 4x8 tile, transposes,
// accumulate on/off, strides, paddings, non-square kernels).
import { describe, expect, it } from 'vitest';
import {
  activateRef,
  activationBackwardRef,
  adamUpdateRef,
  sumIntoRef,
  maxPool2x2Ref,
  type AdamCoefficients,
  conv2dBackwardRef,
  conv2dForwardRef,
  gemmRef,
  kernelVariant,
  type ConvShape,
  type FusedActivation,
} from '../../src/engine/kernels/index.js';
import { loadWasmKernels, type WasmKernels } from '../../src/engine/kernels/wasm.js';
import { winogradForward, winogradInputGrad } from '../../src/engine/kernels/wasm-conv.js';
import { RELAXED_WASM_BASE64 } from '../../src/engine/kernels/wasm/kernels.generated.js';
import { execFileSync } from 'node:child_process';

function random(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

function expectClose(actual: Float32Array, expected: Float32Array, what: string, tolerance = 1e-4): void {
  expect(actual.length, what).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!) / (1 + Math.abs(expected[i]!));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  expect(worst, `${what}: worst relative error at ${at}`).toBeLessThan(tolerance);
}

const variants = (['wasm-simd', 'wasm-relaxed-simd'] as const).map((v) => loadWasmKernels(v)).filter((k): k is WasmKernels => k !== null);
// [name, kernels]: each variant, plus plain SIMD made to split conv calls into 1-2 sample chunks
const cases: Array<[string, WasmKernels]> = variants.map((k) => [k.variant, k]);
cases.push(['wasm-simd, conv and pooling in small chunks', loadWasmKernels('wasm-simd', { chunkBytes: 4000 })!]);

describe('kernels', () => {
  it('picks a WebAssembly implementation on Node', () => {
    expect(kernelVariant).not.toBe('ts-reference');
    expect(variants.map((v) => v.variant)).toContain('wasm-simd');
  });

  it('the relaxed-SIMD (FMA) module matches the reference (child node with the V8 flag)', () => {
    // Node 20 validates relaxed SIMD only with --experimental-wasm-relaxed-simd, a per-process flag:
    // run the raw gemm export in a child process that has it.
    const cases = [
      [false, false, 7, 17, 13],
      [true, false, 33, 31, 29],
      [false, true, 5, 9, 300],
      [true, true, 64, 10, 84],
    ] as const;
    const inputs = cases.map(([tA, tB, M, N, K], i) => ({
      tA,
      tB,
      M,
      N,
      K,
      A: Array.from(random(M * K, 100 + i)),
      B: Array.from(random(K * N, 200 + i)),
      C: Array.from(random(M * N, 300 + i)),
    }));
    const child = `
      const { base64, inputs } = JSON.parse(require('fs').readFileSync(0, 'utf8'));
      const bytes = Buffer.from(base64, 'base64');
      if (!WebAssembly.validate(bytes)) { console.log('null'); process.exit(0); }
      const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
      const out = inputs.map(({ tA, tB, M, N, K, A, B, C }) => {
        const base = ex.heapBase(), pB = base + A.length * 4, pC = pB + B.length * 4, pW = pC + C.length * 4;
        ex.memory.grow(Math.ceil((pW + ex.packedABytes(M, K) + ex.packedBBytes(N, K)) / 65536));
        const f = new Float32Array(ex.memory.buffer);
        f.set(A, base / 4); f.set(B, pB / 4); f.set(C, pC / 4);
        ex.gemm(tA ? 1 : 0, tB ? 1 : 0, M, N, K, base, pB, pC, 1, pW);
        return Array.from(f.subarray(pC / 4, pC / 4 + C.length));
      });
      console.log(JSON.stringify({ relaxed: ex.relaxed(), out }));`;
    const stdout = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '-e', child], {
      input: JSON.stringify({ base64: RELAXED_WASM_BASE64, inputs }),
      encoding: 'utf8',
    });
    const result = JSON.parse(stdout) as { relaxed: number; out: number[][] };
    expect(result.relaxed).toBe(1);
    inputs.forEach(({ tA, tB, M, N, K, A, B, C }, i) => {
      const expected = Float32Array.from(C);
      gemmRef(tA, tB, M, N, K, Float32Array.from(A), Float32Array.from(B), expected, true);
      expectClose(Float32Array.from(result.out[i]!), expected, `relaxed M${M} N${N} K${K} tA${tA} tB${tB}`);
    });
  });

  for (const [name, k] of cases) {
    describe(name, () => {
      it('gemm matches the reference on odd shapes, transposes and accumulate', () => {
        const sizes = [
          [1, 1, 1],
          [3, 5, 7],
          [4, 8, 4],
          [5, 9, 3],
          [7, 17, 13],
          [8, 16, 33],
          [13, 3, 1],
          [33, 31, 29],
          [6, 784, 25],
          [64, 10, 84],
        ] as const;
        let seed = 1;
        for (const [M, N, K] of sizes) {
          for (const transA of [false, true]) {
            for (const transB of [false, true]) {
              for (const accumulate of [false, true]) {
                const A = random(M * K, seed++);
                const B = random(K * N, seed++);
                const C0 = random(M * N, seed++);
                const expected = C0.slice();
                const actual = C0.slice();
                gemmRef(transA, transB, M, N, K, A, B, expected, accumulate);
                k.gemm(transA, transB, M, N, K, A, B, actual, accumulate);
                expectClose(actual, expected, `M${M} N${N} K${K} tA${transA} tB${transB} acc${accumulate}`);
              }
            }
          }
        }
      });

      it('gemm reads only the leading part of longer arrays and handles K = 0', () => {
        const A = random(2 * 3 + 5, 7);
        const B = random(3 * 9 + 2, 8);
        const expected = new Float32Array(2 * 9 + 4).fill(3);
        const actual = expected.slice();
        gemmRef(false, false, 2, 9, 3, A, B, expected, true);
        k.gemm(false, false, 2, 9, 3, A, B, actual, true);
        expectClose(actual, expected, 'longer arrays');
        const C = new Float32Array(6).fill(5);
        k.gemm(false, false, 2, 3, 0, new Float32Array(0), new Float32Array(0), C, false);
        expect(Array.from(C)).toEqual([0, 0, 0, 0, 0, 0]);
      });

      it('activations match the reference over the whole range', () => {
        const values: number[] = [0, -0, 1e-8, -1e-8, 1e-3, -1e-3, -0.49, -0.51, 100, -100, -90, 90];
        for (let v = -30; v <= 30; v += 0.0137) values.push(v);
        for (const act of [
          { kind: 'relu', alpha: 0 },
          { kind: 'leakyRelu', alpha: 0.01 },
          { kind: 'elu', alpha: 1 },
          { kind: 'elu', alpha: 0.3 },
          { kind: 'sigmoid', alpha: 0 },
          { kind: 'tanh', alpha: 0 },
        ] as FusedActivation[]) {
          const expected = Float32Array.from(values);
          const actual = expected.slice();
          activateRef(act.kind, act.alpha, expected, expected.length);
          k.activate(act, actual, actual.length);
          // absolute near 0, relative elsewhere: 1e-6 (float32 carries ~6e-8)
          expectClose(actual, expected, `${act.kind} alpha ${act.alpha}`, 1e-6);
          // into another array, leaving x alone; then the backward from y
          const x = Float32Array.from(values);
          const y = new Float32Array(x.length);
          k.activationForward(act, x, y, x.length);
          expectClose(y, expected, `${act.kind} forward into y`, 1e-6);
          expect(Array.from(x)).toEqual(Array.from(Float32Array.from(values)));
          const dy = random(x.length, 5);
          const dxRef = new Float32Array(x.length);
          const dx = new Float32Array(x.length);
          activationBackwardRef(act.kind, act.alpha, expected, dy, dxRef, x.length);
          k.activationBackward(act, expected, dy, dx, x.length);
          expectClose(dx, dxRef, `${act.kind} backward`, 1e-6);
        }
      });

      it("adamUpdate gives the reference's bits (Adam, Adam + L2, AdamW; lengths across blocks)", () => {
        const coefficients: AdamCoefficients[] = [
          { beta1: 0.9, beta2: 0.999, eps: 1e-8, l2: 0, decay: 1, stepSize: 1e-3 / (1 - 0.9), bc2Sqrt: Math.sqrt(1 - 0.999) },
          { beta1: 0.8, beta2: 0.99, eps: 1e-6, l2: 0.01, decay: 1, stepSize: 0.05, bc2Sqrt: 0.3 },
          { beta1: 0.9, beta2: 0.999, eps: 1e-8, l2: 0, decay: 1 - 1e-3 * 0.01, stepSize: 2e-3, bc2Sqrt: 0.2 },
        ];
        for (const [i, c] of coefficients.entries()) {
          for (const len of [1, 3, 4, 37, 16384 + 7, 40_000]) {
            const w = random(len, 10 + i);
            const g = random(len, 20 + i).map((x) => x * 1e-2);
            const m = random(len, 30 + i).map((x) => x * 1e-3);
            const v = random(len, 40 + i).map((x) => x * x * 1e-4);
            const ref = [w.slice(), m.slice(), v.slice()] as const;
            adamUpdateRef(ref[0], g, ref[1], ref[2], c);
            k.adamUpdate(w, g, m, v, c);
            for (const [name, a, b] of [
              ['w', w, ref[0]],
              ['m', m, ref[1]],
              ['v', v, ref[2]],
            ] as const) {
              expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer)), `${name}, coefficients ${i}, length ${len}`).toBe(true);
            }
            expect(
              ref[0].some((x, j) => x !== random(len, 10 + i)[j]),
              'the update moves the weights',
            ).toBe(true);
          }
        }
      });

      it("sumInto adds the shards in order with the reference's bits; its sum of squares to float64 rounding", () => {
        for (const shards of [0, 1, 3]) {
          for (const len of [1, 6, 16384 + 5, 50_000]) {
            const dst = random(len, 50 + shards);
            const srcs = Array.from({ length: shards }, (_, s) => random(len, 60 + s).map((x) => x * 10 ** s));
            const ref = dst.slice();
            const expected = sumIntoRef(ref, srcs);
            const actual = k.sumInto(dst, srcs);
            expect(Buffer.from(dst.buffer).equals(Buffer.from(ref.buffer)), `${shards} shards, length ${len}`).toBe(true);
            expect(Math.abs(actual - expected) / expected, `sum of squares, ${shards} shards, length ${len}`).toBeLessThan(1e-12);
          }
        }
      });

      it("maxPool2x2 gives the reference's maxima and switches (ties, NaN, odd sizes, chunks of planes)", () => {
        for (const [planes, h, w] of [
          [1, 2, 2],
          [3, 7, 9],
          [5, 24, 24],
          [70, 28, 28],
        ] as const) {
          const [oh, ow] = [Math.floor(h / 2), Math.floor(w / 2)];
          const x = random(planes * h * w, 80 + w).map((v) => Math.round(v * 4) / 4); // coarse: many ties
          x[3] = Number.NaN;
          x[x.length - 1] = Number.NaN;
          const [y, sw] = [new Float32Array(planes * oh * ow), new Int32Array(planes * oh * ow)];
          const [yRef, swRef] = [new Float32Array(planes * oh * ow), new Int32Array(planes * oh * ow)];
          maxPool2x2Ref(planes, h, w, oh, ow, x, yRef, swRef);
          k.maxPool2x2(planes, h, w, oh, ow, x, y, sw);
          expect(Buffer.from(y.buffer).equals(Buffer.from(yRef.buffer)), `y ${planes}x${h}x${w}`).toBe(true);
          expect([...sw], `switches ${planes}x${h}x${w}`).toEqual([...swRef]);
          expect(yRef.some(Number.isNaN), 'NaN propagates').toBe(true);
        }
      });

      const convCases: Array<[string, Omit<ConvShape, 'outH' | 'outW'>, number]> = [
        ['3x3 valid', { inC: 3, inH: 9, inW: 7, outC: 5, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 0, padLeft: 0 }, 3],
        ['5x5 same', { inC: 1, inH: 12, inW: 12, outC: 6, kH: 5, kW: 5, strideH: 1, strideW: 1, padTop: 2, padLeft: 2 }, 2],
        ['2x3 stride 2,1 pad 1', { inC: 4, inH: 8, inW: 11, outC: 9, kH: 2, kW: 3, strideH: 2, strideW: 1, padTop: 1, padLeft: 1 }, 2],
        ['1x1', { inC: 7, inH: 5, inW: 5, outC: 3, kH: 1, kW: 1, strideH: 1, strideW: 1, padTop: 0, padLeft: 0 }, 1],
        ['3x3 stride 3 pad 2', { inC: 2, inH: 10, inW: 9, outC: 4, kH: 3, kW: 3, strideH: 3, strideW: 3, padTop: 2, padLeft: 2 }, 3],
        // Winograd F(2x2, 3x3) (>= 8 channels, kernels/wasm-conv.ts): odd sizes (partial tiles), padding
        [
          'Winograd 3x3 same, odd sizes',
          { inC: 9, inH: 7, inW: 9, outC: 10, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1 },
          3,
        ],
        [
          'Winograd 3x3 valid, odd 9x7 output',
          { inC: 8, inH: 11, inW: 9, outC: 12, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 0, padLeft: 0 },
          2,
        ],
        // input gradient through Winograd too ('same' padding), partial tile rows (14 = 7 tiles of 8)
        [
          'Winograd 3x3 same, fashion-resnet 32 channels at 14x14',
          { inC: 32, inH: 14, inW: 14, outC: 32, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1 },
          2,
        ],
        // below WINOGRAD_MIN_OUTPUT: im2col for all three products
        ['3x3 same at 4x4 (im2col)', { inC: 16, inH: 4, inW: 4, outC: 8, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1 }, 2],
        ['Winograd 3x3 pad 2', { inC: 16, inH: 5, inW: 6, outC: 3, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 2, padLeft: 2 }, 2],
        [
          'fashion-cnn conv2 (8 of 32 channels)',
          { inC: 8, inH: 26, inW: 26, outC: 64, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 0, padLeft: 0 },
          1,
        ],
      ];
      for (const [name, g, n] of convCases) {
        it(`conv2d forward and backward match the reference: ${name}`, () => {
          // output size with the same padding at the far side
          const s: ConvShape = {
            ...g,
            outH: Math.floor((g.inH + 2 * g.padTop - g.kH) / g.strideH) + 1,
            outW: Math.floor((g.inW + 2 * g.padLeft - g.kW) / g.strideW) + 1,
          };
          const xCount = n * s.inC * s.inH * s.inW;
          const wCount = s.outC * s.inC * s.kH * s.kW;
          const yCount = n * s.outC * s.outH * s.outW;
          const x = random(xCount, 11);
          const w = random(wCount, 12);
          const b = random(s.outC, 13);
          const dy = random(yCount, 14);
          for (const bias of [b, null]) {
            const yRef = new Float32Array(yCount);
            const y = new Float32Array(yCount).fill(9);
            conv2dForwardRef(s, n, x, w, bias, yRef);
            k.conv2dForward(s, n, x, w, bias, y);
            expectClose(y, yRef, `${name} forward bias ${bias !== null}`);
          }
          const acts: FusedActivation[] = [
            { kind: 'relu', alpha: 0 },
            { kind: 'elu', alpha: 0.7 },
            { kind: 'tanh', alpha: 0 },
          ];
          for (const act of acts) {
            const yRef = new Float32Array(yCount);
            const y = new Float32Array(yCount);
            conv2dForwardRef(s, n, x, w, b, yRef, act);
            k.conv2dForward(s, n, x, w, b, y, act);
            expectClose(y, yRef, `${name} forward ${act.kind}`);
            const dwR = new Float32Array(wCount);
            const dbR = new Float32Array(s.outC);
            const dxR = new Float32Array(xCount);
            const dwA = new Float32Array(wCount);
            const dbA = new Float32Array(s.outC);
            const dxA = new Float32Array(xCount);
            const dyCopy = dy.slice();
            conv2dBackwardRef(s, n, x, w, dy, dxR, dwR, dbR, { ...act, y: yRef });
            k.conv2dBackward(s, n, x, w, dyCopy, dxA, dwA, dbA, { ...act, y: yRef });
            expect(Array.from(dyCopy)).toEqual(Array.from(dy));
            expectClose(dxA, dxR, `${name} dx ${act.kind}`);
            expectClose(dwA, dwR, `${name} dw ${act.kind}`);
            expectClose(dbA, dbR, `${name} db ${act.kind}`);
          }
          const dwRef = random(wCount, 15);
          const dbRef = random(s.outC, 16);
          const dxRef = new Float32Array(xCount);
          const dw = dwRef.slice();
          const db = dbRef.slice();
          const dx = new Float32Array(xCount).fill(7);
          conv2dBackwardRef(s, n, x, w, dy, dxRef, dwRef, dbRef);
          k.conv2dBackward(s, n, x, w, dy, dx, dw, db);
          expectClose(dx, dxRef, `${name} dx`);
          expectClose(dw, dwRef, `${name} dw (accumulated)`);
          expectClose(db, dbRef, `${name} db (accumulated)`);
          // without dx and db: dw still right, nothing else touched
          const dw2 = new Float32Array(wCount);
          const dw2Ref = new Float32Array(wCount);
          conv2dBackwardRef(s, n, x, w, dy, null, dw2Ref, null);
          k.conv2dBackward(s, n, x, w, dy, null, dw2, null);
          expectClose(dw2, dw2Ref, `${name} dw only`);
        });
      }
    });
  }
});

describe('which convolutions take Winograd (shape.ts rules, read by kernels/wasm-conv.ts)', () => {
  const conv = (inC: number, outC: number, h: number, w: number, pad: number): ConvShape => ({
    inC,
    inH: h,
    inW: w,
    outC,
    kH: 3,
    kW: 3,
    strideH: 1,
    strideW: 1,
    padTop: pad,
    padLeft: pad,
    outH: h + 2 * pad - 2,
    outW: w + 2 * pad - 2,
  });
  // [what, shape, forward and weight gradient through Winograd, input gradient through Winograd]
  const cases: Array<[string, ConvShape, boolean, boolean]> = [
    ["fashion-cnn's conv2: 'valid', 24x24 out", conv(32, 64, 26, 26, 0), true, false],
    ["fashion-resnet's 14x14 block: 'same'", conv(32, 32, 14, 14, 1), true, true],
    ["the kernel tests' odd 7x9 'same'", conv(9, 10, 7, 9, 1), true, true],
    ['6x6 out: the smallest Winograd output', conv(16, 16, 6, 6, 1), true, true],
    ['5x5 out: im2col', conv(16, 16, 5, 5, 1), false, false],
    ["4x4 out (fashion-resnet's last block): im2col", conv(128, 128, 4, 4, 1), false, false],
    ['wide but 5 rows out: im2col', conv(16, 16, 5, 20, 1), false, false],
    ['7 input channels: im2col', conv(7, 16, 12, 12, 1), false, false],
    ["'same' with 4 filters: the input gradient's convolution has 4 input channels, im2col", conv(16, 4, 12, 12, 1), true, false],
    ['padding 2: Winograd forward, im2col input gradient', conv(16, 16, 10, 10, 2), true, false],
    ['stride 2: im2col', { ...conv(16, 16, 12, 12, 1), strideH: 2, strideW: 2, outH: 6, outW: 6 }, false, false],
  ];
  for (const [what, s, forward, inputGrad] of cases) {
    it(what, () => {
      expect(winogradForward(s), 'forward and weight gradient').toBe(forward);
      expect(winogradInputGrad(s), 'input gradient').toBe(inputGrad);
    });
  }
});
