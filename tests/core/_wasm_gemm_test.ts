import { assertEquals, assertLess } from "@std/assert";
import { compileWithFallback, gemmFunctions, WasmKernel } from "../../core/_wasm_gemm.ts";
import { Random } from "../../core/random.ts";

/** Every shape class of the kernel: 4-row blocks and single rows, 8- and 4-column blocks, single columns, depth 0. */
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [4, 8, 8],
  [5, 3, 9],
  [9, 0, 5],
  [13, 17, 21],
  [32, 64, 128],
  [6, 130, 13],
];

function check(transposeA: boolean, accumulate: boolean, kernel = new WasmKernel()): void {
  const random = new Random(transposeA ? 5 : 3);
  for (const [m, k, n] of SHAPES) {
    // padded strides and offsets, so that reading or writing past a row shows
    const [lda, ldb, ldc] = [(transposeA ? m : k) + 2, n + 3, n + 1];
    const a = 5, b = a + (transposeA ? k : m) * lda + 3, c = b + k * ldb + 7, end = c + m * ldc + 9;
    const f = kernel.reserve(end);
    for (let i = 0; i < end; i++) f[i] = random.normal();
    const before = f.slice(0, end);
    if (transposeA) kernel.gemmTN(a, b, c, m, k, n, lda, ldb, ldc, accumulate);
    else kernel.gemm(a, b, c, m, k, n, lda, ldb, ldc, accumulate);
    const after = kernel.f32;
    let worst = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = accumulate ? before[c + i * ldc + j] : 0;
        for (let p = 0; p < k; p++) {
          sum += (transposeA ? before[a + p * lda + i] : before[a + i * lda + p]) * before[b + p * ldb + j];
        }
        worst = Math.max(worst, Math.abs(after[c + i * ldc + j] - sum) / Math.sqrt(k + 1));
        before[c + i * ldc + j] = after[c + i * ldc + j];
      }
    }
    assertLess(worst, 1e-5, `[${m}, ${k}, ${n}]`);
    assertEquals(after.slice(0, end), before, `[${m}, ${k}, ${n}]: nothing outside c's rows written`);
  }
}

Deno.test("WasmKernel.gemm computes a b (and c + a b) for every block and tail shape, with row strides", () => {
  check(false, false);
  check(false, true);
});

Deno.test("WasmKernel.gemmTN computes a^T b (and c + a^T b) for every block and tail shape, with row strides", () => {
  check(true, false);
  check(true, true);
});

Deno.test("the module without the relaxed-SIMD multiply-add (older runtimes) computes the same products", () => {
  const plain = compileWithFallback(() => gemmFunctions(false));
  for (const transposeA of [false, true]) check(transposeA, true, new WasmKernel(plain));
});

Deno.test("WasmKernel.reserve grows the memory and returns a view of it", () => {
  const kernel = new WasmKernel();
  const view = kernel.reserve(100_000);
  assertEquals(view.length >= 100_000, true);
  assertEquals(kernel.f32, view);
});
