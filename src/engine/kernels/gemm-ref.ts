// Reference GEMM in plain TypeScript: the definition every faster kernel is tested against.
//
//   C[M,N] = beta * C + op(A)[M,K] · op(B)[K,N]      (row-major, beta = accumulate ? 1 : 0)
//
// A is stored [M,K], or [K,M] when transA; B is stored [K,N], or [N,K] when transB.

export type Gemm = (
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  B: Float32Array,
  C: Float32Array,
  accumulate: boolean,
) => void;

export const gemmRef: Gemm = (transA, transB, M, N, K, A, B, C, accumulate) => {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = 0;
      for (let k = 0; k < K; k++) {
        const a = transA ? A[k * M + i]! : A[i * K + k]!;
        const b = transB ? B[j * K + k]! : B[k * N + j]!;
        sum += a * b;
      }
      C[i * N + j] = accumulate ? C[i * N + j]! + sum : sum;
    }
  }
};
