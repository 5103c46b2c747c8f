// The hot kernels the layers call. Implementations live beside this file; this
// module picks the fastest one available (tests cross-check every variant
// against the plain-TypeScript reference).
export type { Gemm } from './gemm-ref.js';
export { gemmRef as gemm } from './gemm-ref.js';
