/**
 * The helper thread of `_helper_thread.ts`: instantiates the product module it is sent over the
 * shared memory it is sent, then runs one task per request (blocked in `Atomics.wait` between
 * tasks) until the `stop` task, which `HelperThread.stop` sends before its owner ends.
 *
 * @module
 */
import { type MessagePort, parentPort, receiveMessageOnPort } from "node:worker_threads";
import { CONTROL, TASKS } from "./_helper_thread.ts";
import { WasmKernel } from "./_wasm_gemm.ts";
import { backwardRows, forwardRows, weightGradientRows } from "./_gru_rows.ts";
import { type BlockGemm, gemmPasses } from "./_gemm_passes.ts";

/** What the main thread posts once. */
interface Start {
  control: SharedArrayBuffer;
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  /** Where {@linkcode Attach} messages arrive (read synchronously before each task). */
  port: MessagePort;
}

/** A module over a shared memory for later tasks (`HelperThread.attach`). */
interface Attach {
  space: number;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

type Product = (...args: number[]) => void;

/** Runs the task in `control`'s slots. */
function run(control: Int32Array, exports: Record<string, Product>, spaces: Map<number, WasmKernel>): void {
  const task = Atomics.load(control, CONTROL.task);
  const arg = (i: number) => Atomics.load(control, CONTROL.args + i);
  if (task === TASKS.gemm) {
    exports.gemm(arg(0), arg(1), arg(2), arg(3), arg(4), arg(5), arg(6), arg(7), arg(8), arg(9));
  } else if (task === TASKS.gemmTNChunked) {
    const [a, b, c, m, k, n, lda, ldb, ldc, chunk] = Array.from({ length: 10 }, (_, i) => arg(i));
    for (let p = 0; p < k; p += chunk) {
      exports.gemmTN(a + p * lda, b + p * ldb, c, m, Math.min(chunk, k - p), n, lda, ldb, ldc, p > 0 ? 1 : 0);
    }
  } else if (task === TASKS.gruForward || task === TASKS.gruBackward || task === TASKS.gruWeightGradient) {
    const kernel = spaces.get(arg(0));
    if (kernel === undefined) throw new Error(`helper thread: no space ${arg(0)}`);
    const dims = { batch: arg(1), steps: arg(2), units: arg(3) };
    const rows = task === TASKS.gruForward
      ? forwardRows
      : task === TASKS.gruBackward
      ? backwardRows
      : weightGradientRows;
    rows(kernel, dims, arg(4), arg(5));
  } else if (task === TASKS.blockGemm) {
    const kernel = spaces.get(arg(0));
    if (kernel === undefined) throw new Error(`helper thread: no space ${arg(0)}`);
    const [pa, pb, pc, pBias, m, k, n8, rowStride, kStride, relu, chunk] = Array.from(
      { length: 11 },
      (_, i) => arg(i + 1),
    );
    const f = kernel.exports as unknown as { gemm6: BlockGemm; gemm4: BlockGemm; gemm1: BlockGemm };
    const plan = {
      pa,
      pb,
      pc,
      pBias,
      m,
      k,
      n8,
      rowStride,
      kStride,
      batch: 1,
      sa: 0,
      sb: 0,
      sc: 0,
      relu: relu === 1,
      chunk,
    };
    gemmPasses(f, plan);
  } else {
    throw new Error(`helper thread: unknown task ${task}`);
  }
}

parentPort!.once("message", (message: Start) => {
  const control = new Int32Array(message.control);
  const instance = new WebAssembly.Instance(message.module, { env: { memory: message.memory } });
  const exports = instance.exports as unknown as Record<string, Product>;
  const spaces = new Map<number, WasmKernel>();
  Atomics.store(control, CONTROL.ready, 1);
  let seen = 0;
  for (;;) {
    Atomics.wait(control, CONTROL.request, seen);
    seen = Atomics.load(control, CONTROL.request);
    if (Atomics.load(control, CONTROL.task) === TASKS.stop) {
      message.port.close();
      Atomics.store(control, CONTROL.done, seen);
      Atomics.notify(control, CONTROL.done);
      return;
    }
    try {
      for (let got = receiveMessageOnPort(message.port); got !== undefined; got = receiveMessageOnPort(message.port)) {
        const { space, module, memory } = got.message as Attach;
        spaces.set(space, new WasmKernel(module, memory));
      }
      run(control, exports, spaces);
    } catch (error) {
      console.error(error);
      Atomics.add(control, CONTROL.failed, 1);
    }
    Atomics.store(control, CONTROL.done, seen);
    Atomics.notify(control, CONTROL.done);
  }
});
