// WebAssembly SIMD kernels for the Convoy engine (AssemblyScript, `--runtime stub`).
//
// Built by `npm run build:wasm` (scripts/build-wasm.mjs) twice: once with plain SIMD128 and once
// with relaxed SIMD (fused multiply-add); src/engine/kernels/wasm.ts picks the one the host
// validates. The module has zero imports: JavaScript grows its memory, copies Float32Array data
// in, passes byte offsets, and copies results out. All matrices are row-major float32.
//
// GEMM   C[M,N] = (accumulate ? C : 0) + op(A)[M,K] · op(B)[K,N]
//   op(A) is A [M,K], or A stored [K,M] when transA; op(B) is B [K,N], or B stored [N,K] when transB.
//   1. pack op(A) into row blocks of 4:     pa[(i/4)*K*4 + k*4 + i%4]   (zero-padded to 4 rows)
//   2. pack op(B) into column panels of 8:  pb[(j/8)*K*8 + k*8 + j%8]   (zero-padded to 8 columns)
//   3. a 4x8 micro-kernel walks k: two v128 loads of the B panel, four load32_splat broadcasts of
//      A, eight v128 accumulators (11 live vectors: V8 keeps them in registers; 5x8, 6x8, 4x12
//      spill). The k loop is not unrolled: unrolling made V8 hoist the loads and
//      spill (~34 fell to ~23 GFLOP/s; docs/performance.md).
//   Padding makes every tile full inside the kernel; only the store of an edge tile is partial.
//
// Convolution (NCHW, weights [F, C, KH, KW]) is im2col + GEMM inside wasm memory, one sample at a
// time and, within a sample, by blocks of output rows sized so that a block's columns, their packed
// copy and the GEMM's other operands stay in a core's L2 cache (COL_BLOCK_BYTES), with an optional
// fused activation act (codes below):
//   forward   z_n[F, P]    = W[F, R] · col_n[R, P] (+ b);  y_n = act(z_n)    R = C*KH*KW, P = OH*OW
//   backward  dz_n         = dy_n * act'(y_n)   (in place in dy's wasm copy)
//             dW[F, R]    += dz_n[F, P] · col_n[R, P]^T    (block by block: a sum over P in blocks)
//             db[F]       += sum_p dz_n[F, p]
//             dcol_n[R, P] = W[F, R]^T · dz_n[F, P];  dx_n = col2im(dcol_n)
// im2col / col2im copy whole row segments with v128 loads when the stride is 1.

const SCRATCH: usize = memory.data(128, 16); // one 4x8 tile for partial stores

@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}

/** First free byte after the module's static data, 64-byte aligned: JS allocates from here. */
export function heapBase(): usize {
  return (__heap_base + 63) & ~(<usize>63);
}

/** 1 when built with relaxed SIMD (FMA), 0 for plain SIMD128. */
export function relaxed(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

@inline function roundUp(x: i32, m: i32): i32 {
  return ((x + m - 1) / m) * m;
}

/** Bytes needed by packA / packB. */
export function packedABytes(M: i32, K: i32): i32 {
  return roundUp(M, 4) * K * 4;
}
export function packedBBytes(N: i32, K: i32): i32 {
  return roundUp(N, 8) * K * 4;
}

// ---------------------------------------------------------------------------------------------
// Packing

/** Pack op(A)[M,K] into 4-row blocks: dst[(i/4)*K*4 + k*4 + i%4]. */
export function packA(transA: i32, M: i32, K: i32, pA: usize, dst: usize): void {
  for (let ib = 0; ib < M; ib += 4) {
    const rows = min(4, M - ib);
    if (transA) {
      // op(A)[i][k] = A[k*M + i]: four consecutive floats per k
      if (rows == 4) {
        let src = pA + ((<usize>ib) << 2);
        const stride = (<usize>M) << 2;
        for (let k = 0; k < K; k++) {
          v128.store(dst, v128.load(src));
          src += stride;
          dst += 16;
        }
      } else {
        for (let k = 0; k < K; k++) {
          for (let r = 0; r < 4; r++) {
            store<f32>(dst + ((<usize>r) << 2), r < rows ? load<f32>(pA + ((<usize>(k * M + ib + r)) << 2)) : 0);
          }
          dst += 16;
        }
      }
    } else {
      // op(A)[i][k] = A[i*K + k]: four rows, transposed 4x4 at a time
      const r0 = pA + ((<usize>(ib * K)) << 2);
      const rs = (<usize>K) << 2;
      if (rows == 4) {
        let k = 0;
        for (; k + 4 <= K; k += 4) {
          const o = (<usize>k) << 2;
          const a = v128.load(r0 + o);
          const b = v128.load(r0 + rs + o);
          const c = v128.load(r0 + 2 * rs + o);
          const d = v128.load(r0 + 3 * rs + o);
          const t0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5);
          const t1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
          const t2 = v128.shuffle<f32>(c, d, 0, 4, 1, 5);
          const t3 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
          v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
          v128.store(dst, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 16);
          v128.store(dst, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 32);
          v128.store(dst, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 48);
          dst += 64;
        }
        for (; k < K; k++) {
          const o = (<usize>k) << 2;
          store<f32>(dst, load<f32>(r0 + o));
          store<f32>(dst, load<f32>(r0 + rs + o), 4);
          store<f32>(dst, load<f32>(r0 + 2 * rs + o), 8);
          store<f32>(dst, load<f32>(r0 + 3 * rs + o), 12);
          dst += 16;
        }
      } else {
        for (let k = 0; k < K; k++) {
          for (let r = 0; r < 4; r++) {
            store<f32>(dst + ((<usize>r) << 2), r < rows ? load<f32>(r0 + (<usize>r) * rs + ((<usize>k) << 2)) : 0);
          }
          dst += 16;
        }
      }
    }
  }
}

/** Pack op(B)[K,N] into 8-column panels: dst[(j/8)*K*8 + k*8 + j%8]. */
export function packB(transB: i32, N: i32, K: i32, pB: usize, dst: usize): void {
  for (let jb = 0; jb < N; jb += 8) {
    const cols = min(8, N - jb);
    if (!transB) {
      // op(B)[k][j] = B[k*N + j]: eight consecutive floats per k
      let src = pB + ((<usize>jb) << 2);
      const stride = (<usize>N) << 2;
      if (cols == 8) {
        for (let k = 0; k < K; k++) {
          v128.store(dst, v128.load(src));
          v128.store(dst, v128.load(src, 16), 16);
          src += stride;
          dst += 32;
        }
      } else {
        for (let k = 0; k < K; k++) {
          for (let c = 0; c < 8; c++) {
            store<f32>(dst + ((<usize>c) << 2), c < cols ? load<f32>(src + ((<usize>c) << 2)) : 0);
          }
          src += stride;
          dst += 32;
        }
      }
    } else {
      // op(B)[k][j] = B[j*K + k]: eight rows of B, transposed 4x4 at a time
      const r0 = pB + ((<usize>(jb * K)) << 2);
      const rs = (<usize>K) << 2;
      if (cols == 8) {
        let k = 0;
        for (; k + 4 <= K; k += 4) {
          const o = (<usize>k) << 2;
          for (let h = 0; h < 2; h++) {
            const base = r0 + (<usize>(h * 4)) * rs + o;
            const a = v128.load(base);
            const b = v128.load(base + rs);
            const c = v128.load(base + 2 * rs);
            const d = v128.load(base + 3 * rs);
            const t0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5);
            const t1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
            const t2 = v128.shuffle<f32>(c, d, 0, 4, 1, 5);
            const t3 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
            const out = dst + ((<usize>h) << 4);
            v128.store(out, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
            v128.store(out, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 32);
            v128.store(out, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 64);
            v128.store(out, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 96);
          }
          dst += 128;
        }
        for (; k < K; k++) {
          const o = (<usize>k) << 2;
          for (let c = 0; c < 8; c++) {
            store<f32>(dst + ((<usize>c) << 2), load<f32>(r0 + (<usize>c) * rs + o));
          }
          dst += 32;
        }
      } else {
        for (let k = 0; k < K; k++) {
          const o = (<usize>k) << 2;
          for (let c = 0; c < 8; c++) {
            store<f32>(dst + ((<usize>c) << 2), c < cols ? load<f32>(r0 + (<usize>c) * rs + o) : 0);
          }
          dst += 32;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// GEMM on packed operands

/** C[M,N] (row stride N) = (accumulate ? C : 0) + packedA · packedB. */
export function gemmPacked(M: i32, N: i32, K: i32, pa: usize, pb: usize, pC: usize, accumulate: i32): void {
  const ldc = (<usize>N) << 2;
  const aBlock = (<usize>K) << 4; // bytes of one 4-row block
  const bPanel = (<usize>K) << 5; // bytes of one 8-column panel
  let pbj = pb;
  for (let jb = 0; jb < N; jb += 8) {
    let pai = pa;
    for (let ib = 0; ib < M; ib += 4) {
      let c00 = f32x4.splat(0);
      let c01 = f32x4.splat(0);
      let c10 = f32x4.splat(0);
      let c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0);
      let c21 = f32x4.splat(0);
      let c30 = f32x4.splat(0);
      let c31 = f32x4.splat(0);
      let ap = pai;
      let bp = pbj;
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        let a = v128.load32_splat(ap);
        c00 = madd(a, b0, c00);
        c01 = madd(a, b1, c01);
        a = v128.load32_splat(ap, 4);
        c10 = madd(a, b0, c10);
        c11 = madd(a, b1, c11);
        a = v128.load32_splat(ap, 8);
        c20 = madd(a, b0, c20);
        c21 = madd(a, b1, c21);
        a = v128.load32_splat(ap, 12);
        c30 = madd(a, b0, c30);
        c31 = madd(a, b1, c31);
        ap += 16;
        bp += 32;
      }
      const full = ib + 4 <= M && jb + 8 <= N;
      let out = full ? pC + (<usize>ib) * ldc + ((<usize>jb) << 2) : SCRATCH;
      const ld: usize = full ? ldc : 32;
      if (full && accumulate) {
        v128.store(out, f32x4.add(v128.load(out), c00));
        v128.store(out, f32x4.add(v128.load(out, 16), c01), 16);
        out += ld;
        v128.store(out, f32x4.add(v128.load(out), c10));
        v128.store(out, f32x4.add(v128.load(out, 16), c11), 16);
        out += ld;
        v128.store(out, f32x4.add(v128.load(out), c20));
        v128.store(out, f32x4.add(v128.load(out, 16), c21), 16);
        out += ld;
        v128.store(out, f32x4.add(v128.load(out), c30));
        v128.store(out, f32x4.add(v128.load(out, 16), c31), 16);
      } else {
        v128.store(out, c00);
        v128.store(out, c01, 16);
        out += ld;
        v128.store(out, c10);
        v128.store(out, c11, 16);
        out += ld;
        v128.store(out, c20);
        v128.store(out, c21, 16);
        out += ld;
        v128.store(out, c30);
        v128.store(out, c31, 16);
      }
      if (!full) {
        const rows = min(4, M - ib);
        const cols = min(8, N - jb);
        for (let r = 0; r < rows; r++) {
          const dstRow = pC + (<usize>(ib + r)) * ldc + ((<usize>jb) << 2);
          const srcRow = SCRATCH + ((<usize>r) << 5);
          for (let c = 0; c < cols; c++) {
            const o = (<usize>c) << 2;
            const v = load<f32>(srcRow + o);
            store<f32>(dstRow + o, accumulate ? load<f32>(dstRow + o) + v : v);
          }
        }
      }
      pai += aBlock;
    }
    pbj += bPanel;
  }
}

/** C = (accumulate ? C : 0) + op(A) · op(B); pWork needs packedABytes(M,K) + packedBBytes(N,K). */
export function gemm(
  transA: i32,
  transB: i32,
  M: i32,
  N: i32,
  K: i32,
  pA: usize,
  pB: usize,
  pC: usize,
  accumulate: i32,
  pWork: usize,
): void {
  const pa = pWork;
  const pb = pa + <usize>packedABytes(M, K);
  packA(transA, M, K, pA, pa);
  packB(transB, N, K, pB, pb);
  gemmPacked(M, N, K, pa, pb, pC, accumulate);
}

// ---------------------------------------------------------------------------------------------
// Element-wise activations (codes: 0 none, 1 relu, 2 leakyRelu, 3 elu, 4 sigmoid, 5 tanh)
//
//   relu y = max(z, 0)   leakyRelu y = z > 0 ? z : alpha z   elu y = z > 0 ? z : alpha (e^z - 1)
//   sigmoid y = 1 / (1 + e^-z)   tanh y = 1 - 2 / (e^2z + 1)
// Derivatives are read from y (as in src/engine/layers/activations.ts).

const LOG2E: f32 = 1.4426950408889634;
const LN2_HI: f32 = 0.693145751953125;
const LN2_LO: f32 = 1.428606765330187e-6;

/** e^x for four lanes: 2^k * p(r), r = x - k ln2 in [-ln2/2, ln2/2], degree-6 Taylor (~2e-7 rel). */
@inline function exp4(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.0)), f32x4.splat(88.0));
  const k = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(k, f32x4.splat(LN2_HI))), f32x4.mul(k, f32x4.splat(LN2_LO)));
  let p = f32x4.add(f32x4.mul(r, f32x4.splat(1.0 / 720.0)), f32x4.splat(1.0 / 120.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 24.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 6.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(k), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

const ROUND_MAGIC: f32 = 12582912.0; // 1.5 * 2^23: adding it rounds a float of magnitude < 2^22 to an integer
const ROUND_MAGIC_BITS: i32 = 0x4b400000; // its bits: bits(ROUND_MAGIC + k) = ROUND_MAGIC_BITS + k

/**
 * e^x - 1 for x <= 0 lanes (others unused), in one pass without cancellation near 0:
 *   x = k ln2 + r, |r| <= ln2/2;  q = e^r - 1 = r + r^2 (1/2 + r/6 + ... + r^5/5040) (~1e-8 rel.)
 *   e^x - 1 = 2^k q + (2^k - 1)   (2^k - 1 is exact in float32 for k >= -24, and -1 below)
 * k is rounded by the 1.5 * 2^23 trick, so 2^k comes from k's bits with one shift (no float->int).
 */
@inline function expm14(x: v128): v128 {
  x = f32x4.pmax(x, f32x4.splat(-87.0)); // pmax is one maxps (max has NaN/-0 rules costing ~8)
  const kr = madd(x, f32x4.splat(LOG2E), f32x4.splat(ROUND_MAGIC));
  const k = f32x4.sub(kr, f32x4.splat(ROUND_MAGIC));
  const r = madd(k, f32x4.splat(-LN2_LO), madd(k, f32x4.splat(-LN2_HI), x));
  let p = madd(r, f32x4.splat(1.0 / 5040.0), f32x4.splat(1.0 / 720.0));
  p = madd(p, r, f32x4.splat(1.0 / 120.0));
  p = madd(p, r, f32x4.splat(1.0 / 24.0));
  p = madd(p, r, f32x4.splat(1.0 / 6.0));
  p = madd(p, r, f32x4.splat(0.5));
  const q = madd(f32x4.mul(r, r), p, r);
  const scale = i32x4.shl(i32x4.add(kr, i32x4.splat(127 - ROUND_MAGIC_BITS)), 23); // 2^k
  return madd(scale, q, f32x4.sub(scale, f32x4.splat(1.0)));
}

@inline function act4(kind: i32, alpha: v128, z: v128): v128 {
  const pos = f32x4.gt(z, f32x4.splat(0));
  if (kind == 1) return v128.and(z, pos); // !(z > 0) -> 0, NaN included, as activations.ts
  if (kind == 2) return v128.bitselect(z, f32x4.mul(alpha, z), pos);
  if (kind == 3) return v128.bitselect(z, f32x4.mul(alpha, expm14(z)), pos);
  const one = f32x4.splat(1.0);
  if (kind == 4) return f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(z))));
  // tanh z = 1 - 2 / (e^2z + 1); exact sign and saturation from exp4's clamp
  return f32x4.sub(one, f32x4.div(f32x4.splat(2.0), f32x4.add(exp4(f32x4.add(z, z)), one)));
}

/** buf[0..len) = act(buf) in place. */
export function activate(kind: i32, alpha: f32, p: usize, len: i32): void {
  activateInto(kind, alpha, p, p, len);
}

/** y[0..len) = act(x) (y may alias x). */
export function activateInto(kind: i32, alpha: f32, pX: usize, pY: usize, len: i32): void {
  if (kind == 0) {
    if (pX != pY) memory.copy(pY, pX, (<usize>len) << 2);
    return;
  }
  const a = f32x4.splat(alpha);
  let i = 0;
  // one loop per kind: V8 does not move the kind test out of the loop itself
  if (kind == 1) {
    for (; i + 4 <= len; i += 4, pX += 16, pY += 16) v128.store(pY, act4(1, a, v128.load(pX)));
  } else if (kind == 3) {
    for (; i + 4 <= len; i += 4, pX += 16, pY += 16) v128.store(pY, act4(3, a, v128.load(pX)));
  } else {
    for (; i + 4 <= len; i += 4, pX += 16, pY += 16) v128.store(pY, act4(kind, a, v128.load(pX)));
  }
  for (; i < len; i++) {
    store<f32>(pY, f32x4.extract_lane(act4(kind, a, f32x4.splat(load<f32>(pX))), 0));
    pX += 4;
    pY += 4;
  }
}

@inline function dact4(kind: i32, alpha: v128, y: v128, dy: v128): v128 {
  const zero = f32x4.splat(0);
  const pos = f32x4.gt(y, zero);
  if (kind == 1) return v128.and(dy, pos);
  if (kind == 2) return v128.bitselect(dy, f32x4.mul(alpha, dy), pos);
  if (kind == 3) return v128.bitselect(dy, f32x4.mul(f32x4.add(y, alpha), dy), pos);
  const one = f32x4.splat(1.0);
  if (kind == 4) return f32x4.mul(dy, f32x4.mul(y, f32x4.sub(one, y)));
  return f32x4.mul(dy, f32x4.sub(one, f32x4.mul(y, y)));
}

/** dz[0..len) = dy * act'(y) (dz may alias dy). */
export function activationBackward(kind: i32, alpha: f32, pY: usize, pDY: usize, pDZ: usize, len: i32): void {
  const a = f32x4.splat(alpha);
  let i = 0;
  if (kind == 0) {
    if (pDZ != pDY) memory.copy(pDZ, pDY, (<usize>len) << 2);
    return;
  }
  for (; i + 4 <= len; i += 4) {
    v128.store(pDZ, dact4(kind, a, v128.load(pY), v128.load(pDY)));
    pY += 16;
    pDY += 16;
    pDZ += 16;
  }
  for (; i < len; i++) {
    store<f32>(pDZ, f32x4.extract_lane(dact4(kind, a, f32x4.splat(load<f32>(pY)), f32x4.splat(load<f32>(pDY))), 0));
    pY += 4;
    pDY += 4;
    pDZ += 4;
  }
}

// ---------------------------------------------------------------------------------------------
// Convolution helpers

/** dst[0..n) = src[0..n), v128 at a time. */
@inline function copyF32(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    v128.store(dst, v128.load(src));
    dst += 16;
    src += 16;
  }
  for (; i < n; i++) {
    store<f32>(dst, load<f32>(src));
    dst += 4;
    src += 4;
  }
}

/** dst[0..n) = 0 (small n: a loop beats a memory.fill call). */
@inline function zeroF32(dst: usize, n: i32): void {
  let i = 0;
  const z = f32x4.splat(0);
  for (; i + 4 <= n; i += 4) {
    v128.store(dst, z);
    dst += 16;
  }
  for (; i < n; i++) {
    store<f32>(dst, 0);
    dst += 4;
  }
}

/** dst[0..n) += src[0..n). */
@inline function addF32(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    v128.store(dst, f32x4.add(v128.load(dst), v128.load(src)));
    dst += 16;
    src += 16;
  }
  for (; i < n; i++) {
    store<f32>(dst, load<f32>(dst) + load<f32>(src));
    dst += 4;
    src += 4;
  }
}

/**
 * col[R, Pb] of one sample x[C, H, W] for output rows [oy0, oy1) (Pb = (oy1 - oy0) * OW):
 * col[r][p] = x[c][oy*SH - PT + ky][ox*SW - PL + kx] or 0, r = (c*KH + ky)*KW + kx, p = (oy - oy0)*OW + ox.
 */
export function im2col(
  pX: usize, C: i32, H: i32, W: i32, KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, oy0: i32, oy1: i32, OW: i32,
  pCol: usize,
): void {
  let dst = pCol;
  const rowBytes = (<usize>OW) << 2;
  for (let c = 0; c < C; c++) {
    const xc = pX + (<usize>(c * H * W)) * 4;
    for (let ky = 0; ky < KH; ky++) {
      for (let kx = 0; kx < KW; kx++) {
        // output columns whose input column is inside: ox in [lo, hi)
        let lo = 0;
        let hi = OW;
        if (SW == 1) {
          lo = max(0, PL - kx);
          hi = min(OW, W + PL - kx);
          if (hi < lo) hi = lo;
        }
        for (let oy = oy0; oy < oy1; oy++) {
          const iy = oy * SH - PT + ky;
          if (iy < 0 || iy >= H) {
            zeroF32(dst, OW);
          } else {
            const xrow = xc + (<usize>(iy * W)) * 4;
            if (SW == 1) {
              for (let o = 0; o < lo; o++) store<f32>(dst + ((<usize>o) << 2), 0);
              copyF32(dst + ((<usize>lo) << 2), xrow + ((<usize>(lo - PL + kx)) << 2), hi - lo);
              for (let o = hi; o < OW; o++) store<f32>(dst + ((<usize>o) << 2), 0);
            } else {
              for (let ox = 0; ox < OW; ox++) {
                const ix = ox * SW - PL + kx;
                store<f32>(dst + ((<usize>ox) << 2), ix >= 0 && ix < W ? load<f32>(xrow + ((<usize>ix) << 2)) : 0);
              }
            }
          }
          dst += rowBytes;
        }
      }
    }
  }
}

/** dx[C,H,W] += col2im(dcol[R,Pb]) for output rows [oy0, oy1): every entry added back to its pixel. */
export function col2im(
  pCol: usize, C: i32, H: i32, W: i32, KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, oy0: i32, oy1: i32, OW: i32,
  pX: usize,
): void {
  let src = pCol;
  const rowBytes = (<usize>OW) << 2;
  for (let c = 0; c < C; c++) {
    const xc = pX + (<usize>(c * H * W)) * 4;
    for (let ky = 0; ky < KH; ky++) {
      for (let kx = 0; kx < KW; kx++) {
        let lo = 0;
        let hi = OW;
        if (SW == 1) {
          lo = max(0, PL - kx);
          hi = min(OW, W + PL - kx);
          if (hi < lo) hi = lo;
        }
        for (let oy = oy0; oy < oy1; oy++) {
          const iy = oy * SH - PT + ky;
          if (iy >= 0 && iy < H) {
            const xrow = xc + (<usize>(iy * W)) * 4;
            if (SW == 1) {
              addF32(xrow + ((<usize>(lo - PL + kx)) << 2), src + ((<usize>lo) << 2), hi - lo);
            } else {
              for (let ox = 0; ox < OW; ox++) {
                const ix = ox * SW - PL + kx;
                if (ix >= 0 && ix < W) {
                  const q = xrow + ((<usize>ix) << 2);
                  store<f32>(q, load<f32>(q) + load<f32>(src + ((<usize>ox) << 2)));
                }
              }
            }
          }
          src += rowBytes;
        }
      }
    }
  }
}

/** Bytes of one block's columns the conv kernels aim for: with its packed copy and the GEMM's other
 *  operands a block stays in a core's L2 cache (1 MB here) instead of streaming through L3, which
 *  two threads share. */
const COL_BLOCK_BYTES: i32 = 128 << 10;

/** Output rows per block: as many as keep col[R, rows*OW] within COL_BLOCK_BYTES, at least one. */
@inline function blockRows(R: i32, OH: i32, OW: i32): i32 {
  return min(OH, max(1, COL_BLOCK_BYTES / (R * OW * 4)));
}

/** Working bytes conv2dForward / conv2dBackward need at pWork. */
export function convWorkBytes(C: i32, KH: i32, KW: i32, F: i32, OH: i32, OW: i32): i32 {
  const R = C * KH * KW;
  const Pb = blockRows(R, OH, OW) * OW;
  const aBytes = max(packedABytes(F, R), packedABytes(R, F)); // W or W^T packed as A
  const bBytes = max(max(packedBBytes(Pb, R), packedBBytes(R, Pb)), packedBBytes(Pb, F)); // col, col^T or dz as B
  return aBytes + bBytes + packedABytes(F, Pb) + 2 * F * Pb * 4 + 2 * R * Pb * 4 + 1024;
}

/** dst[F, Pb] = columns [p0, p0 + Pb) of src[F, P]. */
function copyColumns(src: usize, F: i32, P: i32, p0: i32, Pb: i32, dst: usize): void {
  for (let f = 0; f < F; f++) copyF32(dst + (<usize>(f * Pb)) * 4, src + (<usize>(f * P + p0)) * 4, Pb);
}

@inline function alignUp(p: usize): usize {
  return (p + 63) & ~(<usize>63);
}

/** y[n,F,OH,OW] = act(conv(x[n,C,H,W], W[F,C,KH,KW]) (+ b[F] when pBias != 0)). */
export function conv2dForward(
  n: i32, C: i32, H: i32, W: i32, F: i32, KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, OH: i32, OW: i32,
  pX: usize, pW: usize, pBias: usize, pY: usize, act: i32, alpha: f32, pWork: usize,
): void {
  const R = C * KH * KW;
  const P = OH * OW;
  const rows = blockRows(R, OH, OW);
  const pa = pWork;
  const pb = alignUp(pa + <usize>packedABytes(F, R));
  const pCol = alignUp(pb + <usize>packedBBytes(rows * OW, R));
  const pOut = alignUp(pCol + (<usize>(R * rows * OW)) * 4);
  packA(0, F, R, pW, pa);
  const xBytes = (<usize>(C * H * W)) << 2;
  const yBytes = (<usize>(F * P)) << 2;
  for (let s = 0; s < n; s++) {
    const xs = pX + (<usize>s) * xBytes;
    const ys = pY + (<usize>s) * yBytes;
    // by blocks of output rows: z[:, block] = W · col_block
    for (let oy0 = 0; oy0 < OH; oy0 += rows) {
      const oy1 = min(OH, oy0 + rows);
      const Pb = (oy1 - oy0) * OW;
      im2col(xs, C, H, W, KH, KW, SH, SW, PT, PL, oy0, oy1, OW, pCol);
      packB(0, Pb, R, pCol, pb);
      if (Pb == P) {
        gemmPacked(F, P, R, pa, pb, ys, 0);
      } else {
        gemmPacked(F, Pb, R, pa, pb, pOut, 0);
        for (let f = 0; f < F; f++) copyF32(ys + (<usize>(f * P + oy0 * OW)) * 4, pOut + (<usize>(f * Pb)) * 4, Pb);
      }
    }
    if (pBias) {
      for (let f = 0; f < F; f++) {
        const bv = load<f32>(pBias + ((<usize>f) << 2));
        const b4 = f32x4.splat(bv);
        let q = ys + (<usize>(f * P)) * 4;
        let p = 0;
        for (; p + 4 <= P; p += 4) {
          v128.store(q, f32x4.add(v128.load(q), b4));
          q += 16;
        }
        for (; p < P; p++) {
          store<f32>(q, load<f32>(q) + bv);
          q += 4;
        }
      }
    }
    activate(act, alpha, ys, F * P);
  }
}

/**
 * Backward of conv2dForward over n samples (pY: the forward output, read when act != 0):
 *   dz = dy * act'(y) (overwrites dy);  dW[F,R] += sum_n dz_n · col_n^T;
 *   db[F] += sum_n,p dz_n[f,p] (when pDB != 0);  dx_n = col2im(W^T · dz_n) (when pDX != 0; overwritten).
 *   pDW == 0 skips dW (winogradWeightGrad computes it from the dz left in pDY).
 */
export function conv2dBackward(
  n: i32, C: i32, H: i32, W: i32, F: i32, KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, OH: i32, OW: i32,
  pX: usize, pW: usize, pY: usize, pDY: usize, pDX: usize, pDW: usize, pDB: usize, act: i32, alpha: f32, pWork: usize,
): void {
  const R = C * KH * KW;
  const P = OH * OW;
  const rows = blockRows(R, OH, OW);
  const Pmax = rows * OW;
  const pWt = pWork; // W^T packed as A [R, F]
  const pb = alignUp(pWt + <usize>max(packedABytes(R, F), packedABytes(F, R)));
  const pDz = alignUp(pb + <usize>max(max(packedBBytes(R, Pmax), packedBBytes(Pmax, R)), packedBBytes(Pmax, F)));
  const pDzBlock = alignUp(pDz + <usize>packedABytes(F, Pmax));
  const pCol = alignUp(pDzBlock + (<usize>(F * Pmax)) * 4);
  const pDcol = alignUp(pCol + (<usize>(R * Pmax)) * 4);
  if (act) activationBackward(act, alpha, pY, pDY, pDY, n * F * P);
  if (pDX) packA(1, R, F, pW, pWt);
  const xBytes = (<usize>(C * H * W)) << 2;
  const yBytes = (<usize>(F * P)) << 2;
  for (let s = 0; s < n; s++) {
    const xs = pX + (<usize>s) * xBytes;
    const dzs = pDY + (<usize>s) * yBytes;
    const dxs = pDX + (<usize>s) * xBytes;
    if (pDX) memory.fill(dxs, 0, xBytes);
    // by blocks of output rows
    for (let oy0 = 0; oy0 < OH; oy0 += rows) {
      const oy1 = min(OH, oy0 + rows);
      const Pb = (oy1 - oy0) * OW;
      const dzb = Pb == P ? dzs : pDzBlock;
      if (Pb != P && (pDW || pDX)) copyColumns(dzs, F, P, oy0 * OW, Pb, pDzBlock);
      if (pDW) {
        // dW += dz_block · col_block^T:  A = dz_block [F, Pb], B = col_block^T [Pb, R]
        packA(0, F, Pb, dzb, pDz);
        im2col(xs, C, H, W, KH, KW, SH, SW, PT, PL, oy0, oy1, OW, pCol);
        packB(1, R, Pb, pCol, pb);
        gemmPacked(F, R, Pb, pDz, pb, pDW, 1);
      }
      if (pDX) {
        // dcol_block[R, Pb] = W^T · dz_block:  A = W^T [R, F] (packed above), B = dz_block [F, Pb]
        packB(0, Pb, F, dzb, pb);
        gemmPacked(R, Pb, F, pWt, pb, pDcol, 0);
        col2im(pDcol, C, H, W, KH, KW, SH, SW, PT, PL, oy0, oy1, OW, dxs);
      }
    }
    if (pDB) {
      for (let f = 0; f < F; f++) {
        let acc = f32x4.splat(0);
        let q = dzs + (<usize>(f * P)) * 4;
        let p = 0;
        for (; p + 4 <= P; p += 4) {
          acc = f32x4.add(acc, v128.load(q));
          q += 16;
        }
        let sum: f32 =
          f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
        for (; p < P; p++) {
          sum += load<f32>(q);
          q += 4;
        }
        const d = pDB + ((<usize>f) << 2);
        store<f32>(d, load<f32>(d) + sum);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Optimizer

/**
 * Adam / AdamW on len elements in place, in float32 arithmetic (src/engine/kernels/adam-ref.ts
 * is the definition; every operation is IEEE-rounded, so both give the same bits):
 *   w' = w * decay;  g = dw + l2 * w';  m = beta1 * m + c1 * g;  v = beta2 * v + c2 * g * g
 *   w = w' - (stepSize * m) / (sqrt(v) / bc2Sqrt + eps)
 */
export function adam(
  pW: usize, pG: usize, pM: usize, pV: usize, len: i32,
  beta1: f32, beta2: f32, c1: f32, c2: f32, l2: f32, decay: f32, stepSize: f32, bc2Sqrt: f32, eps: f32,
): void {
  const B1 = f32x4.splat(beta1);
  const B2 = f32x4.splat(beta2);
  const C1 = f32x4.splat(c1);
  const C2 = f32x4.splat(c2);
  const L2 = f32x4.splat(l2);
  const DECAY = f32x4.splat(decay);
  const STEP = f32x4.splat(stepSize);
  const BC2 = f32x4.splat(bc2Sqrt);
  const EPS = f32x4.splat(eps);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = (<usize>i) << 2;
    const w = f32x4.mul(v128.load(pW + o), DECAY);
    const g = f32x4.add(v128.load(pG + o), f32x4.mul(L2, w));
    const m = f32x4.add(f32x4.mul(B1, v128.load(pM + o)), f32x4.mul(C1, g));
    const v = f32x4.add(f32x4.mul(B2, v128.load(pV + o)), f32x4.mul(f32x4.mul(C2, g), g));
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(v), BC2), EPS);
    v128.store(pM + o, m);
    v128.store(pV + o, v);
    v128.store(pW + o, f32x4.sub(w, f32x4.div(f32x4.mul(STEP, m), denom)));
  }
  for (; i < len; i++) {
    const o = (<usize>i) << 2;
    const w = load<f32>(pW + o) * decay;
    const g = load<f32>(pG + o) + l2 * w;
    const m = beta1 * load<f32>(pM + o) + c1 * g;
    const v = beta2 * load<f32>(pV + o) + c2 * g * g;
    store<f32>(pM + o, m);
    store<f32>(pV + o, v);
    store<f32>(pW + o, w - (stepSize * m) / (Mathf.sqrt(v) / bc2Sqrt + eps));
  }
}

/**
 * Sums gradient buffers in a fixed order (src/engine/kernels/sum-ref.ts is the definition):
 * dst[i] = (((dst[i] + src_0[i]) + src_1[i]) + ...) in float32, src_k at pSrc + k * srcStride bytes.
 * Returns sum_i dst[i]^2 (the squares added in float64, in this function's fixed order).
 */
export function sumInto(pDst: usize, pSrc: usize, count: i32, srcStride: usize, len: i32): f64 {
  let lo = f64x2.splat(0);
  let hi = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = (<usize>i) << 2;
    let g = v128.load(pDst + o);
    for (let k = 0; k < count; k++) g = f32x4.add(g, v128.load(pSrc + (<usize>k) * srcStride + o));
    v128.store(pDst + o, g);
    const gLo = f64x2.promote_low_f32x4(g);
    const gHi = f64x2.promote_low_f32x4(i32x4.shuffle(g, g, 2, 3, 0, 1));
    lo = f64x2.add(lo, f64x2.mul(gLo, gLo));
    hi = f64x2.add(hi, f64x2.mul(gHi, gHi));
  }
  let sum = f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1) + f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1);
  for (; i < len; i++) {
    const o = (<usize>i) << 2;
    let g = load<f32>(pDst + o);
    for (let k = 0; k < count; k++) g += load<f32>(pSrc + (<usize>k) * srcStride + o);
    store<f32>(pDst + o, g);
    sum += <f64>g * <f64>g;
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------
// Max pooling, 2x2 windows, stride 2, no padding (src/engine/kernels/pool-ref.ts is the definition)

/** v beats the running maximum m: larger, or NaN over a number (NaN propagates, as in PyTorch). */
@inline function beats4(v: v128, m: v128): v128 {
  return v128.or(f32x4.gt(v, m), v128.andnot(f32x4.ne(v, v), f32x4.ne(m, m)));
}

/**
 * planes of x[H, W] -> y[OH, OW]: the maximum of each 2x2 window, visited (0,0) (0,1) (1,0) (1,1),
 * the first maximum winning; sw[...] = its index into x plus `first` (the switch backward scatters to).
 * Four windows at a time: two v128 loads per input row, deinterleaved into even and odd columns.
 */
export function maxPool2x2(planes: i32, H: i32, W: i32, OH: i32, OW: i32, pX: usize, pY: usize, pSw: usize, first: i32): void {
  const offW = i32x4.splat(W);
  const offW1 = i32x4.splat(W + 1);
  const one = i32x4.splat(1);
  const lanes = i32x4(0, 2, 4, 6);
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * H * W;
    for (let oy = 0; oy < OH; oy++) {
      const row = base + 2 * oy * W; // index of the window row's first input
      const r0 = pX + ((<usize>row) << 2);
      const r1 = r0 + ((<usize>W) << 2);
      let ox = 0;
      for (; ox + 4 <= OW; ox += 4) {
        const o = (<usize>(2 * ox)) << 2;
        const a = v128.load(r0 + o);
        const b = v128.load(r0 + o, 16);
        const c = v128.load(r1 + o);
        const d = v128.load(r1 + o, 16);
        let m = v128.shuffle<f32>(a, b, 0, 2, 4, 6);
        let off = i32x4.splat(0);
        let v = v128.shuffle<f32>(a, b, 1, 3, 5, 7);
        let k = beats4(v, m);
        m = v128.bitselect(v, m, k);
        off = v128.bitselect(one, off, k);
        v = v128.shuffle<f32>(c, d, 0, 2, 4, 6);
        k = beats4(v, m);
        m = v128.bitselect(v, m, k);
        off = v128.bitselect(offW, off, k);
        v = v128.shuffle<f32>(c, d, 1, 3, 5, 7);
        k = beats4(v, m);
        m = v128.bitselect(v, m, k);
        off = v128.bitselect(offW1, off, k);
        const out = (<usize>((plane * OH + oy) * OW + ox)) << 2;
        v128.store(pY + out, m);
        v128.store(pSw + out, i32x4.add(i32x4.add(i32x4.splat(first + row + 2 * ox), lanes), off));
      }
      for (; ox < OW; ox++) {
        const i = row + 2 * ox;
        let best = i;
        let max = load<f32>(pX + ((<usize>i) << 2));
        for (let q = 1; q < 4; q++) {
          const j = q == 1 ? i + 1 : q == 2 ? i + W : i + W + 1;
          const v = load<f32>(pX + ((<usize>j) << 2));
          if (v > max || (v != v && max == max)) {
            max = v;
            best = j;
          }
        }
        const out = (<usize>((plane * OH + oy) * OW + ox)) << 2;
        store<f32>(pY + out, max);
        store<i32>(pSw + out, first + best);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Winograd F(2x2, 3x3): 3x3 stride-1 convolutions with 16 multiplications per 2x2 output tile and
// channel pair instead of 36 (2.25x fewer). Lavin & Gray's transforms:
//   U = G g G^T (weights, 4x4)   V = B^T d B (4x4 input tile)   y = A^T [U . V] A (2x2 outputs)
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1]
//   A^T = [1 1 1 0; 0 1 -1 -1]
// The sum over input channels is 16 GEMMs, one per tile position xi: M_xi[F, T] = U_xi[F, C] . V_xi[C, T]
// (T tiles of one sample), on the packed 4x8 micro-kernel above. The input gradient of a 3x3 stride-1
// convolution is itself one (dz padded by 2 - pad, weights flipped and transposed: winogradWeights'
// `flip`), and the weight gradient is the transpose of the forward (winogradWeightGrad): the forward
// pass, the weight gradient and, with 'same' padding, the input gradient use them (wasm-conv.ts).

/** Bytes of the transformed weights of F x C 3x3 kernels: 16 packed A matrices [F, C]. */
export function winogradWeightBytes(F: i32, C: i32): i32 {
  return 16 * packedABytes(F, C);
}

/**
 * U_xi = (G g G^T)_xi for every (f, c), packed as A. g = w[f][c] ([F, C, 3, 3]), or, with flip, the
 * input gradient's kernel g'[c][f] = w[f][c] rotated 180 degrees (then the GEMM's rows are C).
 */
export function winogradWeights(F: i32, C: i32, pW: usize, flip: i32, pU: usize, pScratch: usize): void {
  const rows = flip ? C : F; // output channels of the convolution these weights compute
  const cols = flip ? F : C;
  const mat = (<usize>(rows * cols)) << 2; // one xi's [rows, cols] row-major in scratch
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < cols; k++) {
      const f = flip ? k : r;
      const c = flip ? r : k;
      const g = pW + (<usize>((f * C + c) * 9)) * 4;
      // g[i][j], rotated when flipped
      const g00 = load<f32>(g + (flip ? 32 : 0)), g01 = load<f32>(g + (flip ? 28 : 4)), g02 = load<f32>(g + (flip ? 24 : 8));
      const g10 = load<f32>(g + (flip ? 20 : 12)), g11 = load<f32>(g + 16), g12 = load<f32>(g + (flip ? 12 : 20));
      const g20 = load<f32>(g + (flip ? 8 : 24)), g21 = load<f32>(g + (flip ? 4 : 28)), g22 = load<f32>(g + (flip ? 0 : 32));
      // u = G g (4x3), row by row
      const u00 = g00, u01 = g01, u02 = g02;
      const u10 = (g00 + g10 + g20) * 0.5, u11 = (g01 + g11 + g21) * 0.5, u12 = (g02 + g12 + g22) * 0.5;
      const u20 = (g00 - g10 + g20) * 0.5, u21 = (g01 - g11 + g21) * 0.5, u22 = (g02 - g12 + g22) * 0.5;
      const u30 = g20, u31 = g21, u32 = g22;
      const o = pScratch + (<usize>(r * cols + k)) * 4;
      // U = u G^T: column j of G^T is (1, .5, .5, 0)... per row i: [a, (a+b+c)/2, (a-b+c)/2, c]
      store<f32>(o + 0 * mat, u00);
      store<f32>(o + 1 * mat, (u00 + u01 + u02) * 0.5);
      store<f32>(o + 2 * mat, (u00 - u01 + u02) * 0.5);
      store<f32>(o + 3 * mat, u02);
      store<f32>(o + 4 * mat, u10);
      store<f32>(o + 5 * mat, (u10 + u11 + u12) * 0.5);
      store<f32>(o + 6 * mat, (u10 - u11 + u12) * 0.5);
      store<f32>(o + 7 * mat, u12);
      store<f32>(o + 8 * mat, u20);
      store<f32>(o + 9 * mat, (u20 + u21 + u22) * 0.5);
      store<f32>(o + 10 * mat, (u20 - u21 + u22) * 0.5);
      store<f32>(o + 11 * mat, u22);
      store<f32>(o + 12 * mat, u30);
      store<f32>(o + 13 * mat, (u30 + u31 + u32) * 0.5);
      store<f32>(o + 14 * mat, (u30 - u31 + u32) * 0.5);
      store<f32>(o + 15 * mat, u32);
    }
  }
  const packed = <usize>packedABytes(rows, cols);
  for (let xi = 0; xi < 16; xi++) packA(0, rows, cols, pScratch + (<usize>xi) * mat, pU + (<usize>xi) * packed);
}

/** Working bytes of winogradConv3x3 (per sample: V and M for its tiles; 256 B of edge scratch). */
export function winogradWorkBytes(C: i32, F: i32, OH: i32, OW: i32): i32 {
  const T = roundUp(((OH + 1) >> 1) * roundUp((OW + 1) >> 1, 4), 8);
  return 16 * <i32>planeStride(C * T) + 16 * <i32>planeStride(F * T) + 1024;
}

/**
 * Bytes between the 16 planes (one per xi) of V, M or dM holding `floats` each. The transforms
 * write (or read) all 16 for every group of tiles: at a stride that is a multiple of 4 KB (fashion-
 * cnn's [64, 144] is 9 x 4 KB) the 16 addresses share one L1 set and evict each other, so the
 * stride is padded to 4 KB + 256 B: the planes fall in 16 different sets (2x faster transforms).
 */
@inline function planeStride(floats: i32): usize {
  return (<usize>roundUp(floats * 4, 4096)) + 256;
}

@inline function at(p: usize, H: i32, W: i32, iy: i32, ix: i32): f32 {
  return iy >= 0 && iy < H && ix >= 0 && ix < W ? load<f32>(p + ((<usize>(iy * W + ix)) << 2)) : 0;
}

/**
 * y[n, F, OH, OW] = act(conv3x3(x[n, C, H, W]) (+ b)), stride 1, padding PT/PL (out-of-bounds
 * inputs are 0), with U from winogradWeights (rows F, cols C).
 * Tiles are numbered t = ty * TWp + tx with the tile row padded to TWp (a multiple of 4), so that
 * four tiles side by side are four lanes: the input transform reads three v128 per input row and
 * deinterleaves them, the output transform writes two v128 per output row. Edge groups copy their
 * inputs through a small scratch with bounds checks (zeros outside). No arrays: `--runtime stub`
 * would allocate them where JS keeps its data.
 */
export function winogradConv3x3(
  n: i32, C: i32, H: i32, W: i32, F: i32, PT: i32, PL: i32, OH: i32, OW: i32,
  pX: usize, pU: usize, pBias: usize, pY: usize, act: i32, alpha: f32, pWork: usize,
): void {
  const TH = (OH + 1) >> 1;
  const TW = (OW + 1) >> 1;
  const TWp = roundUp(TW, 4);
  const T = roundUp(TH * TWp, 8);
  const vBytes = planeStride(C * T); // one xi's packed V [C, T]
  const mBytes = planeStride(F * T); // one xi's M [F, T]
  const pV = pWork;
  const pM = pV + 16 * vBytes;
  const pEdge = pM + 16 * mBytes; // edge inputs (192 B), B^T d (at 192), D (at 512)
  const uBytes = <usize>packedABytes(F, C);
  const xBytes = (<usize>(C * H * W)) << 2;
  const yBytes = (<usize>(F * OH * OW)) << 2;
  for (let s = 0; s < n; s++) {
    const xs = pX + (<usize>s) * xBytes;
    const ys = pY + (<usize>s) * yBytes;
    if (T > TH * TWp) {
      // the padding tiles of the last panel: zero in every V_xi
      for (let c = 0; c < C; c++) {
        for (let t = TH * TWp; t < T; t++) {
          const o = (<usize>(t >> 3)) * (<usize>C) * 32 + (<usize>c) * 32 + ((<usize>(t & 7)) << 2);
          for (let xi = 0; xi < 16; xi++) store<f32>(pV + (<usize>xi) * vBytes + o, 0);
        }
      }
    }
    winogradInput(xs, C, H, W, PT, PL, TH, TWp, T, pV, vBytes, 1, pEdge);
    for (let xi = 0; xi < 16; xi++) {
      gemmPacked(F, T, C, pU + (<usize>xi) * uBytes, pV + (<usize>xi) * vBytes, pM + (<usize>xi) * mBytes, 0);
    }
    // y = A^T M A, four tiles of a tile row at a time
    for (let f = 0; f < F; f++) {
      const b4 = f32x4.splat(pBias ? load<f32>(pBias + ((<usize>f) << 2)) : 0);
      const yf = ys + (<usize>(f * OH * OW)) * 4;
      const mf = pM + (<usize>(f * T)) * 4;
      for (let ty = 0; ty < TH; ty++) {
        const oy = 2 * ty;
        for (let tx = 0; tx < TWp; tx += 4) {
          const q = mf + ((<usize>(ty * TWp + tx)) << 2);
          const m0 = v128.load(q), m1 = v128.load(q + mBytes), m2 = v128.load(q + 2 * mBytes), m3 = v128.load(q + 3 * mBytes);
          const m4 = v128.load(q + 4 * mBytes), m5 = v128.load(q + 5 * mBytes), m6 = v128.load(q + 6 * mBytes), m7 = v128.load(q + 7 * mBytes);
          const m8 = v128.load(q + 8 * mBytes), m9 = v128.load(q + 9 * mBytes), m10 = v128.load(q + 10 * mBytes), m11 = v128.load(q + 11 * mBytes);
          const m12 = v128.load(q + 12 * mBytes), m13 = v128.load(q + 13 * mBytes), m14 = v128.load(q + 14 * mBytes), m15 = v128.load(q + 15 * mBytes);
          // s = A^T m (2x4): row 0 = m_0j + m_1j + m_2j, row 1 = m_1j - m_2j - m_3j
          const s00 = f32x4.add(f32x4.add(m0, m4), m8), s01 = f32x4.add(f32x4.add(m1, m5), m9);
          const s02 = f32x4.add(f32x4.add(m2, m6), m10), s03 = f32x4.add(f32x4.add(m3, m7), m11);
          const s10 = f32x4.sub(f32x4.sub(m4, m8), m12), s11 = f32x4.sub(f32x4.sub(m5, m9), m13);
          const s12 = f32x4.sub(f32x4.sub(m6, m10), m14), s13 = f32x4.sub(f32x4.sub(m7, m11), m15);
          const y00 = f32x4.add(f32x4.add(f32x4.add(s00, s01), s02), b4);
          const y01 = f32x4.add(f32x4.sub(f32x4.sub(s01, s02), s03), b4);
          const y10 = f32x4.add(f32x4.add(f32x4.add(s10, s11), s12), b4);
          const y11 = f32x4.add(f32x4.sub(f32x4.sub(s11, s12), s13), b4);
          const ox = 2 * tx;
          const p = yf + (<usize>(oy * OW + ox)) * 4;
          const p1 = p + ((<usize>OW) << 2);
          if (ox + 8 <= OW && oy + 2 <= OH) {
            v128.store(p, v128.shuffle<f32>(y00, y01, 0, 4, 1, 5));
            v128.store(p, v128.shuffle<f32>(y00, y01, 2, 6, 3, 7), 16);
            v128.store(p1, v128.shuffle<f32>(y10, y11, 0, 4, 1, 5));
            v128.store(p1, v128.shuffle<f32>(y10, y11, 2, 6, 3, 7), 16);
          } else {
            for (let l = 0; l < 4; l++) {
              const x0 = ox + 2 * l;
              if (x0 >= OW) break;
              const right = x0 + 1 < OW;
              const below = oy + 1 < OH;
              const pl = p + ((<usize>(2 * l)) << 2);
              store<f32>(pl, lane(y00, l));
              if (right) store<f32>(pl, lane(y01, l), 4);
              if (below) {
                const pl1 = pl + ((<usize>OW) << 2);
                store<f32>(pl1, lane(y10, l));
                if (right) store<f32>(pl1, lane(y11, l), 4);
              }
            }
          }
        }
      }
    }
    activate(act, alpha, ys, F * OH * OW);
  }
}

/**
 * V_xi = (B^T d B)_xi for every channel c and tile t of one sample x[C, H, W] (tile t = ty * TWp + tx
 * reads the 4x4 input at (2ty - PT, 2tx - PL), zeros outside), four tiles side by side as the lanes
 * of a v128. Stored at pV + xi * vBytes, either packed as GEMM operand B [C, T] (panels of 8 tiles:
 * the forward's V_xi for U_xi · V_xi) or row-major [C, T] (the weight gradient's).
 */
function winogradInput(
  xs: usize, C: i32, H: i32, W: i32, PT: i32, PL: i32, TH: i32, TWp: i32, T: i32, pV: usize, vBytes: usize, packed: i32,
  pEdge: usize,
): void {
  const rowBytes = (<usize>W) << 2;
  for (let c = 0; c < C; c++) {
    const xc = xs + (<usize>(c * H * W)) * 4;
    for (let ty = 0; ty < TH; ty++) {
      const iy = 2 * ty - PT;
      for (let tx = 0; tx < TWp; tx += 4) {
        const ix = 2 * tx - PL;
        const t = ty * TWp + tx;
        const o = packed
          ? (<usize>(t >> 3)) * (<usize>C) * 32 + (<usize>c) * 32 + ((<usize>(t & 7)) << 2)
          : (<usize>(c * T + t)) << 2;
        // d_rj: lane l = input (iy + r, ix + 2l + j) of tile tx + l
        let src: usize;
        let stride: usize;
        if (iy >= 0 && iy + 3 < H && ix >= 0 && ix + 12 <= W) {
          src = xc + (<usize>(iy * W + ix)) * 4;
          stride = rowBytes;
        } else {
          for (let r = 0; r < 4; r++) {
            for (let e = 0; e < 12; e++) store<f32>(pEdge + (<usize>(r * 12 + e)) * 4, at(xc, H, W, iy + r, ix + e));
          }
          src = pEdge;
          stride = 48;
        }
        // D[r][j] at pEdge + 512: column j of the four tiles in input row r
        const pD = pEdge + 512;
        for (let r = 0; r < 4; r++) deinterleave(src + (<usize>r) * stride, pD + ((<usize>r) << 6));
        // B^T d: per column j
        for (let j = 0; j < 4; j++) {
          const qd = pD + ((<usize>j) << 4);
          const d0 = v128.load(qd);
          const d1 = v128.load(qd, 64);
          const d2 = v128.load(qd, 128);
          const d3 = v128.load(qd, 192);
          const t0 = f32x4.sub(d0, d2);
          const t1 = f32x4.add(d1, d2);
          const t2 = f32x4.sub(d2, d1);
          const t3 = f32x4.sub(d1, d3);
          // (B^T d)[r][j] at pEdge + 192
          const q = pEdge + 192 + ((<usize>j) << 4);
          v128.store(q, t0);
          v128.store(q, t1, 64);
          v128.store(q, t2, 128);
          v128.store(q, t3, 192);
        }
        // (B^T d) B: per row r, v_r = [t0 - t2, t1 + t2, t2 - t1, t1 - t3]
        for (let r = 0; r < 4; r++) {
          const q = pEdge + 192 + ((<usize>r) << 6);
          const t0 = v128.load(q);
          const t1 = v128.load(q, 16);
          const t2 = v128.load(q, 32);
          const t3 = v128.load(q, 48);
          const base = pV + (<usize>(r * 4)) * vBytes + o;
          v128.store(base, f32x4.sub(t0, t2));
          v128.store(base + vBytes, f32x4.add(t1, t2));
          v128.store(base + 2 * vBytes, f32x4.sub(t2, t1));
          v128.store(base + 3 * vBytes, f32x4.sub(t1, t3));
        }
      }
    }
  }
}

/** Working bytes of winogradWeightGrad: one sample's V and dM (row-major per xi), their packed copies and dU. */
export function winogradGradWorkBytes(C: i32, F: i32, OH: i32, OW: i32): i32 {
  const Tk = ((OH + 1) >> 1) * roundUp((OW + 1) >> 1, 4);
  return 16 * <i32>(planeStride(C * Tk) + planeStride(F * Tk)) + packedABytes(F, Tk) + packedBBytes(C, Tk) + 16 * F * C * 4 + 1024 + 6 * 64;
}

/**
 * The weight gradient of a 3x3 stride-1 convolution through Winograd F(2x2, 3x3), the transpose of
 * winogradConv3x3: with V = B^T d B (input tiles) and y = A^T (sum_c U . V) A per output tile,
 *   dM = A dz A^T (4x4 per tile and f);  dU_xi[F, C] = sum_n,t dM_xi[f, t] V_xi[c, t] (16 GEMMs);
 *   dW[f, c] += G^T dU[f, c] G   (3x3): 2.25x fewer multiplications than dz · col^T.
 * dz = pDZ [n, F, OH, OW] (after the activation's derivative); tiles past the output are zero in dM.
 */
export function winogradWeightGrad(
  n: i32, C: i32, H: i32, W: i32, F: i32, PT: i32, PL: i32, OH: i32, OW: i32,
  pX: usize, pDZ: usize, pDW: usize, pWork: usize,
): void {
  const TH = (OH + 1) >> 1;
  const TWp = roundUp((OW + 1) >> 1, 4);
  const Tk = TH * TWp;
  const vBytes = planeStride(C * Tk);
  const mBytes = planeStride(F * Tk);
  const uBytes = (<usize>(F * C)) << 2;
  const pV = alignUp(pWork);
  const pDM = alignUp(pV + 16 * vBytes);
  const pa = alignUp(pDM + 16 * mBytes);
  const pb = alignUp(pa + <usize>packedABytes(F, Tk));
  const pDU = alignUp(pb + <usize>packedBBytes(C, Tk));
  const pEdge = alignUp(pDU + 16 * uBytes);
  memory.fill(pDU, 0, 16 * uBytes);
  const xBytes = (<usize>(C * H * W)) << 2;
  const zBytes = (<usize>(F * OH * OW)) << 2;
  for (let s = 0; s < n; s++) {
    winogradInput(pX + (<usize>s) * xBytes, C, H, W, PT, PL, TH, TWp, Tk, pV, vBytes, 0, pEdge);
    winogradOutputGrad(pDZ + (<usize>s) * zBytes, F, OH, OW, TH, TWp, Tk, pDM, mBytes, pEdge);
    for (let xi = 0; xi < 16; xi++) {
      packA(0, F, Tk, pDM + (<usize>xi) * mBytes, pa);
      packB(1, C, Tk, pV + (<usize>xi) * vBytes, pb);
      gemmPacked(F, C, Tk, pa, pb, pDU + (<usize>xi) * uBytes, 1);
    }
  }
  // dW[f, c] += G^T dU G: rows first (t_k = G^T's row k times dU), then each row times G
  for (let f = 0; f < F; f++) {
    for (let c = 0; c < C; c++) {
      const q = pDU + (<usize>(f * C + c)) * 4;
      const w = pDW + (<usize>((f * C + c) * 9)) * 4;
      for (let j = 0; j < 4; j++) {
        const d0 = load<f32>(q + (<usize>j) * uBytes);
        const d1 = load<f32>(q + (<usize>(4 + j)) * uBytes);
        const d2 = load<f32>(q + (<usize>(8 + j)) * uBytes);
        const d3 = load<f32>(q + (<usize>(12 + j)) * uBytes);
        const h = (d1 + d2) * 0.5;
        store<f32>(pEdge + (<usize>j) * 4, d0 + h); // t_0j
        store<f32>(pEdge + (<usize>(4 + j)) * 4, (d1 - d2) * 0.5); // t_1j
        store<f32>(pEdge + (<usize>(8 + j)) * 4, h + d3); // t_2j
      }
      for (let k = 0; k < 3; k++) {
        const r = pEdge + (<usize>(k * 4)) * 4;
        const a = load<f32>(r), b = load<f32>(r, 4), cc = load<f32>(r, 8), d = load<f32>(r, 12);
        const h = (b + cc) * 0.5;
        const o = w + (<usize>(k * 3)) * 4;
        store<f32>(o, load<f32>(o) + (a + h));
        store<f32>(o, load<f32>(o, 4) + (b - cc) * 0.5, 4);
        store<f32>(o, load<f32>(o, 8) + (h + d), 8);
      }
    }
  }
}

/**
 * dM_xi = (A dz A^T)_xi row-major [F, Tk] per xi, four tiles side by side as lanes: with the tile's
 * output gradient [[p, q], [r, s]], the rows of A dz are (p, q), (p + r, q + s), (p - r, q - s),
 * (-r, -s), and each row (a, b) times A^T is (a, a + b, a - b, -b). Outputs past OH/OW read as 0.
 */
function winogradOutputGrad(
  dzs: usize, F: i32, OH: i32, OW: i32, TH: i32, TWp: i32, Tk: i32, pDM: usize, mBytes: usize, pEdge: usize,
): void {
  const rowBytes = (<usize>OW) << 2;
  for (let f = 0; f < F; f++) {
    const zf = dzs + (<usize>(f * OH * OW)) * 4;
    for (let ty = 0; ty < TH; ty++) {
      const oy = 2 * ty;
      for (let tx = 0; tx < TWp; tx += 4) {
        const ox = 2 * tx;
        let src: usize;
        let stride: usize;
        if (oy + 2 <= OH && ox + 8 <= OW) {
          src = zf + (<usize>(oy * OW + ox)) * 4;
          stride = rowBytes;
        } else {
          for (let r = 0; r < 2; r++) {
            for (let e = 0; e < 8; e++) {
              const inside = oy + r < OH && ox + e < OW;
              store<f32>(pEdge + (<usize>(r * 8 + e)) * 4, inside ? load<f32>(zf + (<usize>((oy + r) * OW + ox + e)) * 4) : 0);
            }
          }
          src = pEdge;
          stride = 32;
        }
        const a0 = v128.load(src), a1 = v128.load(src, 16);
        const b0 = v128.load(src + stride), b1 = v128.load(src + stride, 16);
        const p = v128.shuffle<f32>(a0, a1, 0, 2, 4, 6);
        const q = v128.shuffle<f32>(a0, a1, 1, 3, 5, 7);
        const r = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6);
        const sv = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7);
        const o = pDM + ((<usize>(f * Tk + ty * TWp + tx)) << 2);
        dmRow(o, mBytes, p, q);
        dmRow(o + 4 * mBytes, mBytes, f32x4.add(p, r), f32x4.add(q, sv));
        dmRow(o + 8 * mBytes, mBytes, f32x4.sub(p, r), f32x4.sub(q, sv));
        dmRow(o + 12 * mBytes, mBytes, f32x4.neg(r), f32x4.neg(sv));
      }
    }
  }
}

/** One row of dM: (a, b) A^T = (a, a + b, a - b, -b), at o + j * mBytes. */
@inline function dmRow(o: usize, mBytes: usize, a: v128, b: v128): void {
  v128.store(o, a);
  v128.store(o + mBytes, f32x4.add(a, b));
  v128.store(o + 2 * mBytes, f32x4.sub(a, b));
  v128.store(o + 3 * mBytes, f32x4.neg(b));
}

/** dst[j] (v128, j = 0..3) = elements 2l + j, l = 0..3, of the 12 floats at p: column j of four tiles. */
@inline function deinterleave(p: usize, dst: usize): void {
  const v0 = v128.load(p);
  const v1 = v128.load(p, 16);
  const v2 = v128.load(p, 32);
  v128.store(dst, v128.shuffle<f32>(v0, v1, 0, 2, 4, 6));
  v128.store(dst, v128.shuffle<f32>(v0, v1, 1, 3, 5, 7), 16);
  v128.store(dst, v128.shuffle<f32>(v0, v128.shuffle<f32>(v1, v2, 0, 2, 4, 6), 2, 4, 5, 6), 32);
  v128.store(dst, v128.shuffle<f32>(v0, v128.shuffle<f32>(v1, v2, 1, 3, 5, 7), 3, 4, 5, 6), 48);
}

@inline function lane(v: v128, l: i32): f32 {
  if (l == 0) return f32x4.extract_lane(v, 0);
  if (l == 1) return f32x4.extract_lane(v, 1);
  if (l == 2) return f32x4.extract_lane(v, 2);
  return f32x4.extract_lane(v, 3);
}
