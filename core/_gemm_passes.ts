/**
 * The pass structure of `backends/kernels/simd_mat_mul.ts`'s products over the functions
 * `gemm6`, `gemm4` and `gemm1` of `backends/kernels/_gemm_wasm.ts` (each: blocks of six, four
 * or one row(s) by eight columns, every output the sum over `k` in order): the depth in chunks
 * (each added to `C`), the rows in blocks of six, then four, then single rows. Here so that the
 * helper thread (`_helper_thread.ts`) runs the same loop over its rows as the calling thread.
 *
 * @module
 */

/** The signature of `gemm6`, `gemm4` and `gemm1` (byte offsets and strides). */
export type BlockGemm = (
  a: number,
  b: number,
  c: number,
  bias: number,
  rows: number,
  cols: number,
  k: number,
  rowStride: number,
  kStride: number,
  ldb: number,
  ldc: number,
  batch: number,
  sa: number,
  sb: number,
  sc: number,
  relu: number,
  accumulate: number,
) => void;

/** One product `C = op(A) B (+ bias, relu)`: byte offsets and strides, `n8` columns (a multiple of 8). */
export interface PassPlan {
  pa: number;
  pb: number;
  pc: number;
  /** The bias (`n8` values), or 0 for none. */
  pBias: number;
  m: number;
  k: number;
  n8: number;
  /** Bytes between rows of `op(A)`, and between its steps along `k`. */
  rowStride: number;
  kStride: number;
  batch: number;
  /** Bytes between the matrices of a batch (0: the same matrix for all). */
  sa: number;
  sb: number;
  sc: number;
  relu: boolean;
  /** Steps along `k` per pass over `C`. */
  chunk: number;
  /**
   * Add to `C`'s values from the first step (default false: start from the bias, or zero). With a
   * batch of matrices summed into one `C` (`sc` 0), `chunk` must cover `k`, so that each output
   * sums the matrices in order.
   */
  accumulate?: boolean;
}

/**
 * Row blocks of six for `m` rows: as many as leave a multiple of four rows (no single rows: a single row's
 * step splats one value for two multiply-adds where a block of six splats six for twelve), else all whole
 * sixes from 96 rows; none under 24 rows. E.g. 50 rows (vivit's cell filters' weight gradient): 7 sixes and
 * 2 fours, not 12 fours and 2 single rows.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { sixBlocks } from "./_gemm_passes.ts";
 *
 * assertEquals([sixBlocks(50), sixBlocks(400), sixBlocks(30), sixBlocks(97), sixBlocks(20)], [7, 66, 5, 16, 0]);
 * ```
 */
export function sixBlocks(m: number): number {
  if (m < 24) return 0;
  const whole = Math.floor(m / 6);
  for (let sixes = whole; sixes >= whole - 1; sixes--) if ((m - 6 * sixes) % 4 === 0) return sixes;
  return m >= 96 ? whole : 0;
}

/**
 * The row passes of an `m`-row product: `[gemm, blocks, firstRow]` for `gemm6` ({@linkcode sixBlocks}),
 * `gemm4` and `gemm1` (a pass may have 0 blocks). Each output row is computed the same way whichever
 * block holds it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { rowPasses } from "./_gemm_passes.ts";
 *
 * const f = { gemm6: () => {}, gemm4: () => {}, gemm1: () => {} };
 * assertEquals(rowPasses(f, 50).map(([, blocks, row]) => [blocks, row]), [[7, 0], [2, 42], [0, 50]]);
 * ```
 */
export function rowPasses<G>(f: { gemm6: G; gemm4: G; gemm1: G }, m: number): Array<[G, number, number]> {
  const sixes = sixBlocks(m);
  const fours = (m - 6 * sixes) >> 2, singles = m - 6 * sixes - 4 * fours;
  return [[f.gemm6, sixes, 0], [f.gemm4, fours, 6 * sixes], [f.gemm1, singles, 6 * sixes + 4 * fours]];
}

/**
 * Runs the product of `plan` with `gemm6`, `gemm4` and `gemm1`: row blocks of six (3-11 % faster
 * than four) where few single rows are left over, then of four, then single rows (a pass over
 * `B` each); long sums in chunks of `plan.chunk` steps, each added to `C` (the chunk of `A` and
 * `B` stays in cache). Each output is computed the same way whichever block holds its row.
 */
export function gemmPasses(f: { gemm6: BlockGemm; gemm4: BlockGemm; gemm1: BlockGemm }, plan: PassPlan): void {
  const { pa, pb, pc, pBias, m, k, n8, rowStride, kStride, batch, sa, sb, sc, relu, chunk } = plan;
  const passes = rowPasses(f, m), cols = n8 >> 3;
  for (let k0 = 0; k0 < k; k0 += chunk) {
    const kk = Math.min(chunk, k - k0), first = k0 === 0, last = k0 + kk === k;
    const a0 = pa + k0 * kStride, b0 = pb + k0 * 4 * n8;
    const start = first && plan.accumulate !== true;
    const r = relu && last ? 1 : 0, bias0 = start ? pBias : 0, acc = start ? 0 : 1;
    for (const [gemm, blocks, row] of passes) {
      if (blocks === 0) continue;
      const a1 = a0 + row * rowStride, c1 = pc + 4 * row * n8;
      gemm(a1, b0, c1, bias0, blocks, cols, kk, rowStride, kStride, 4 * n8, 4 * n8, batch, sa, sb, sc, r, acc);
    }
  }
}
