import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  HelperThread,
  helperThread,
  helperThreadReady,
  kernelThreads,
  setKernelThreads,
  SHARED_MAXIMUM_PAGES,
  spareCore,
  TASKS,
} from "../../core/_helper_thread.ts";
import { rowCopier } from "../../core/_copy_rows.ts";
import { WasmKernel } from "../../core/_wasm_gemm.ts";
import { Random } from "../../core/random.ts";
import { setupBackend } from "../../backends/backend.ts";
import { gemmSplitProducts } from "../../backends/kernels/gemm_mat_mul.ts";
import { splitRecurrences } from "../../models/layers/_gru_steps.ts";
import { simdSplitProductCount } from "../../backends/kernels/simd_mat_mul.ts";
import { weightBitsAfterSteps } from "../training/_weight_bits_after_steps.ts";
import { BENCH_VARIANTS } from "../../bench/train.ts";

/** Random values in [-1, 1). */
function values(random: Random, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => 2 * random.next() - 1);
}

/** Bits of two arrays equal, element by element (NaN, -0 and all). */
function assertSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  assertEquals(actual.length, expected.length, what);
  const [a, e] = [
    new Uint32Array(actual.buffer, actual.byteOffset, actual.length),
    new Uint32Array(expected.slice().buffer),
  ];
  const first = a.findIndex((bits, i) => bits !== e[i]);
  assertEquals(first, -1, `${what}: first differing element ${first}`);
}

/** The helper thread, started and ready (whatever the machine's load). */
async function readyHelper() {
  setKernelThreads(2);
  assert(await helperThreadReady(), "a machine with two cores runs the helper");
  return helperThread()!;
}

Deno.test("the helper thread's products (a b, and a^T b in depth chunks) are the calling thread's, bit for bit", async () => {
  const helper = await readyHelper();
  const random = new Random(7);
  const local = new WasmKernel();
  for (const [m, k, n, chunk] of [[13, 300, 37, 128], [6, 5, 8, 2], [31, 1, 9, 128], [40, 257, 20, 128]]) {
    const [a, b] = [values(random, m * k), values(random, k * n)];
    const mine = local.reserve(2 * (m * k + k * n + m * n));
    mine.set(a, 0);
    mine.set(b, m * k);
    local.gemm(0, m * k, m * k + k * n, m, k, n, k, n, n);
    for (let p = 0; p < k; p += chunk) { // a as [k, m] for a^T b
      local.gemmTN(p * m, m * k + p * n, m * k + k * n + m * n, m, Math.min(chunk, k - p), n, m, n, n, p > 0);
    }
    const expected = local.f32.slice(m * k + k * n, m * k + k * n + 2 * m * n);
    const shared = helper.reserve(m * k + k * n + m * n);
    shared.set(a, 0);
    shared.set(b, m * k);
    const c = 4 * (m * k + k * n);
    helper.start(TASKS.gemm, [0, 4 * m * k, c, m, k, n, 4 * k, 4 * n, 4 * n, 0]);
    helper.join();
    assertSameBits(helper.f32.slice(c / 4, c / 4 + m * n), expected.subarray(0, m * n), `a b [${m}, ${k}, ${n}]`);
    helper.start(TASKS.gemmTNChunked, [0, 4 * m * k, c, m, k, n, 4 * m, 4 * n, 4 * n, chunk]);
    helper.join();
    assertSameBits(helper.f32.slice(c / 4, c / 4 + m * n), expected.subarray(m * n), `a^T b [${m}, ${k}, ${n}]`);
  }
});

Deno.test("the helper thread reports a failed task from join, and refuses a start before the join", async () => {
  const helper = await readyHelper();
  helper.start(99, []);
  assertThrows(() => helper.start(TASKS.gemm, []), Error, "before the previous task was joined");
  assertThrows(() => helper.join(), Error, "the task failed");
  helper.start(TASKS.gemm, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // an empty product: fine again
  helper.join();
});

Deno.test("setKernelThreads(1) turns the helper thread off, 2 back on, and auto follows spareCore()", async () => {
  const before = kernelThreads();
  try {
    setKernelThreads(1);
    assertEquals(helperThread(), null);
    assertEquals(await helperThreadReady(), false);
    setKernelThreads(2);
    assert(await helperThreadReady());
    assertThrows(() => setKernelThreads(3 as 2), RangeError);
    setKernelThreads("auto"); // the helper while the load average leaves a core to spare
    // spareCore() rereads the load average once its last read is a second old, which can happen
    // between two calls (and the load cross the line then): the decision is one of the two reads.
    const [spareBefore, used, spareAfter] = [spareCore(), helperThread() !== null, spareCore()];
    assert(
      used === spareBefore || used === spareAfter,
      `helper used: ${used}, spare core: ${spareBefore}, ${spareAfter}`,
    );
  } finally {
    setKernelThreads(before);
  }
});

/** Two Adam steps of the registered `name` at the bench's sizes, from seeded weights; the weights' bits after. */
async function twoSteps(name: string, threads: 1 | 2): Promise<number[][]> {
  setKernelThreads(threads);
  // vivit_wide (the registry default before session 21): its large tubelet products are split
  const options = name === "vivit" ? BENCH_VARIANTS.vivit_wide.options : {};
  return (await weightBitsAfterSteps(name, 2, options)).map((bits) => Array.from(bits));
}

Deno.test("training steps of gru, cascade, vivit, tsa and cnn with the helper thread give the one-thread weights bit for bit", async () => {
  await setupBackend("wasm");
  const before = kernelThreads();
  try {
    setKernelThreads(2);
    assert(await helperThreadReady());
    for (const name of ["gru", "cascade", "vivit", "tsa", "cnn"]) {
      const counts = () => [gemmSplitProducts(), splitRecurrences(), simdSplitProductCount()];
      const countsBefore = counts();
      const two = await twoSteps(name, 2);
      const split = counts().map((count, i) => count > countsBefore[i]);
      // gru: its products and recurrence; cascade: its GRU's products (its recurrence is too short);
      // vivit (vivit_wide): its tubelet products and others; tsa: single products; cnn: one large product
      const expected = {
        gru: [true, true, false],
        cascade: [true, false, false],
        vivit: [true, false, true],
        tsa: [true, false, false],
        cnn: [false, false, true],
      }[name];
      assertEquals(split, expected, `${name}: split [single products, recurrences, large products]: ${split}`);
      const one = await twoSteps(name, 1);
      assertEquals(two.length, one.length);
      one.forEach((bits, i) => assertEquals(two[i], bits, `${name}: weight ${i}`));
    }
  } finally {
    setKernelThreads(before);
  }
});

Deno.test("HelperThread.copyRows copies strided rows from a plain memory into the shared one (multi-memory where the runtime has it)", async () => {
  const helper = await readyHelper();
  const plain = new WebAssembly.Memory({ initial: 1 });
  const from = new Float32Array(plain.buffer);
  from.forEach((_, i) => from[i] = i + 0.5);
  assert(rowCopier(plain, helper.memory, SHARED_MAXIMUM_PAGES) !== null, "Deno's V8 has multi-memory");
  for (
    const [src, rows, rowFloats, srcStride, dstStride] of [[3, 7, 5, 11, 5], [0, 1, 1, 1, 1], [10, 40, 13, 300, 16]]
  ) {
    helper.reserve(64 + rows * dstStride);
    helper.f32.fill(-1, 64, 64 + rows * dstStride);
    helper.copyRows(plain, 64, src, rows, rowFloats, srcStride, dstStride);
    for (let row = 0; row < rows; row++) {
      for (let j = 0; j < dstStride; j++) {
        const expected = j < rowFloats ? from[src + row * srcStride + j] : -1;
        assertEquals(helper.f32[64 + row * dstStride + j], expected, `row ${row}, column ${j}`);
      }
    }
  }
});

Deno.test("HelperThread.stop leaves the task loop, ends the worker and refuses later tasks; a second stop does nothing", async () => {
  const helper = new HelperThread();
  const deadline = performance.now() + 10_000;
  while (!helper.ready && !helper.failed && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert(helper.ready, "a helper of its own starts");
  helper.start(TASKS.gemm, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  helper.join();
  const ended = helper.stop();
  assert(helper.stopped);
  assertEquals(helper.ready, false);
  assertThrows(() => helper.start(TASKS.gemm, []), Error, "not ready");
  await ended; // the worker's thread has ended
  assert(helper.stop() === ended, "a second stop returns the same termination");
});

/** Runs `code` (a module using the helper thread) in a fresh `deno run`; its exit code and output. */
async function runScript(code: string): Promise<{ code: number; output: string }> {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, code);
    const { code: exit, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: exit, output: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr) };
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("a process that used the helper thread stops it before it ends, at the end of its event loop and at Deno.exit", async () => {
  const module = new URL("../../core/_helper_thread.ts", import.meta.url).href;
  for (const ending of ["", "Deno.exit(0);"]) {
    const { code, output } = await runScript(`
      import { helperThread, helperThreadReady, setKernelThreads, TASKS } from "${module}";
      setKernelThreads(2);
      if (!(await helperThreadReady())) throw new Error("no helper");
      const helper = helperThread()!;
      helper.start(TASKS.gemm, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      helper.join();
      globalThis.addEventListener("unload", () => console.log("stopped:", helper.stopped));
      ${ending}
    `);
    assertEquals({ code, output: output.trim() }, { code: 0, output: "stopped: true" }, `ending: "${ending}"`);
  }
});
