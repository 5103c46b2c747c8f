// The WebAssembly kernels' memory layouts in bytes, mirrored from assembly/kernels.ts (its
// packedABytes, convWorkBytes, winogradWorkBytes, winogradGradWorkBytes) and kernels/wasm-conv.ts,
// for memory.ts's estimate. Pure: the server reaches it through describe.ts. A change to a layout
// there is a change here; test/workers/memory.test.ts holds the two together.

export const F32 = 4;
const COL_BLOCK_BYTES = 128 << 10; // assembly/kernels.ts

export const align = (bytes: number): number => Math.ceil(bytes / 64) * 64;
const roundUp = (x: number, m: number): number => Math.ceil(x / m) * m;
export const packedA = (m: number, k: number): number => roundUp(m, 4) * k * F32;
const packedB = (n: number, k: number): number => roundUp(n, 8) * k * F32;

/** C[M, N] = A[M, K] B[K, N]: the three operands and their packed copies. */
export function gemmBytes(m: number, n: number, k: number): number {
  return align(m * k * F32) + align(n * k * F32) + align(m * n * F32) + align(packedA(m, k)) + align(packedB(n, k));
}

/** assembly/kernels.ts convWorkBytes: a block of output rows' columns, packed operands, dz and dcol. */
export function convWorkBytes(r: number, f: number, oh: number, ow: number): number {
  const pb = Math.min(oh, Math.max(1, Math.floor(COL_BLOCK_BYTES / (r * ow * F32)))) * ow;
  const a = Math.max(packedA(f, r), packedA(r, f));
  const b = Math.max(packedB(pb, r), packedB(r, pb), packedB(pb, f));
  return a + b + packedA(f, pb) + 2 * f * pb * F32 + 2 * r * pb * F32 + 1024;
}

/** Winograd's transformed weights, their scratch and one sample's tiles (assembly/kernels.ts). */
export function winogradBytes(c: number, f: number, oh: number, ow: number): number {
  return align(16 * packedA(f, c)) + align(16 * f * c * F32) + align(winogradTileBytes(c, f, oh, ow));
}

/** assembly/kernels.ts winogradWorkBytes: one sample's V and M, 16 planes each at planeStride. */
export function winogradTileBytes(c: number, f: number, oh: number, ow: number): number {
  const t = roundUp(((oh + 1) >> 1) * roundUp((ow + 1) >> 1, 4), 8);
  return 16 * planeStride(c * t) + 16 * planeStride(f * t) + 1024;
}

/** assembly/kernels.ts winogradGradWorkBytes: V and dM row-major, their packed copies and dU. */
export function winogradGradBytes(c: number, f: number, oh: number, ow: number): number {
  const tk = ((oh + 1) >> 1) * roundUp((ow + 1) >> 1, 4);
  return 16 * (planeStride(c * tk) + planeStride(f * tk)) + packedA(f, tk) + packedB(c, tk) + 16 * f * c * F32 + 1024 + 6 * 64;
}

/** assembly/kernels.ts planeStride: a plane of `floats`, padded to 4 KB + 256 B. */
function planeStride(floats: number): number {
  return roundUp(floats * F32, 4096) + 256;
}
