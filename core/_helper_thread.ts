/**
 * The second core for megflow's WebAssembly kernels: one helper thread that computes part of a
 * large matrix product while the calling thread computes the rest.
 *
 * tfjs's wasm backend runs on one thread under Deno (its threaded build does not start here), so
 * a training step leaves the machine's second core idle. The helper is a `node:worker_threads`
 * worker (unref'd: it never keeps the process alive) holding an instance of `_wasm_gemm.ts`'s
 * product module over a **shared** WebAssembly memory. The caller copies the helper's operands
 * into that memory, {@linkcode HelperThread.start}s a task, computes its own rows in place,
 * then {@linkcode HelperThread.join}s (`Atomics.wait`: no spinning, no event loop needed) and
 * copies the helper's rows back. Both threads run the same compiled code (the module is compiled
 * once and posted to the worker), and a split by output rows computes every output with the same
 * instructions in the same order as one thread does, so results are bit for bit those of one
 * thread (`tests/core/_helper_thread_test.ts`, `tests/backends/kernels/gemm_mat_mul_test.ts`).
 *
 * The helper starts on first use and is ready a few hundred milliseconds later; until then
 * (and when it cannot start, or the machine has no core to spare, or `MEGFLOW_KERNEL_THREADS=1`,
 * or {@linkcode setKernelThreads}(1)), {@linkcode helperThread} returns null and callers compute
 * everything on their own thread.
 *
 * @module
 */
import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";
import { compileWithFallback, gemmFunctions } from "./_wasm_gemm.ts";
import { rowCopier } from "./_copy_rows.ts";

/** Slots of the control block (an `Int32Array` over a `SharedArrayBuffer`). */
export const CONTROL = Object.freeze({
  /** Sequence number of the last task requested (main thread writes, helper waits on it). */
  request: 0,
  /** Sequence number of the last task finished (helper writes, main thread waits on it). */
  done: 1,
  /** 1 once the helper has instantiated its modules. */
  ready: 2,
  /** Tasks that threw since the start (the helper also prints the error). */
  failed: 3,
  /** The task of the last request (one of {@linkcode TASKS}). */
  task: 4,
  /** First of the task's integer arguments. */
  args: 5,
  /** Slots in all. */
  size: 32,
});

/** The helper's tasks; their integer arguments follow the product functions' (bytes, elements). */
export const TASKS = Object.freeze({
  /** `gemm(a, b, c, m, k, n, lda, ldb, ldc, accumulate)` of `_wasm_gemm.ts` (byte pointers and strides). */
  gemm: 1,
  /**
   * `c = a^T b` in chunks of `chunk` rows of `a` and `b` (each added to `c`), as
   * `backends/kernels/gemm_mat_mul.ts` runs it: `(a, b, c, m, k, n, lda, ldb, ldc, chunk)`.
   */
  gemmTNChunked: 2,
  /**
   * `_gru_rows.ts`'s `forwardRows` on an attached GRU kernel memory:
   * `(space, batch, steps, units, first, count)`.
   */
  gruForward: 3,
  /** `_gru_rows.ts`'s `backwardRows`, arguments as {@linkcode TASKS.gruForward}'s. */
  gruBackward: 4,
  /** `_gru_rows.ts`'s `weightGradientRows` (rows of `dR`: units), arguments as {@linkcode TASKS.gruForward}'s. */
  gruWeightGradient: 6,
  /**
   * `_gemm_passes.ts`'s `gemmPasses` with the attached `gemm6`/`gemm4`/`gemm1` module of
   * `backends/kernels/_gemm_wasm.ts`, a single product: `(space, a, b, c, bias, m, k, n8,
   * rowStride, kStride, relu, chunk)`.
   */
  blockGemm: 5,
  /**
   * Leave the task loop ({@linkcode HelperThread.stop}): the helper marks the request done and
   * returns, so it is out of WebAssembly and out of `Atomics.wait` before its worker ends.
   */
  stop: 7,
});

/** Largest shared memory, in 64 KiB pages (1 GiB; only what is used is resident). */
export const SHARED_MAXIMUM_PAGES = 16384;

const PAGE = 65536;

/** Tasks handed to any helper since the process started. */
let tasksStarted = 0;

/**
 * How many tasks the kernels have handed to the helper thread since the process started (for
 * benchmarks and tests: whether the second core took part).
 */
export function helperTasks(): number {
  return tasksStarted;
}

/** How long {@linkcode HelperThread.join} waits for a task before it gives up (ms). */
const JOIN_TIMEOUT_MS = 120_000;

/**
 * One helper thread and its shared memory (float32 element offsets in
 * {@linkcode HelperThread.f32}).
 */
export class HelperThread {
  /** The memory the helper's product module works in, shared with the helper. */
  readonly memory: WebAssembly.Memory;
  readonly #control: Int32Array;
  readonly #worker: Worker;
  readonly #port: MessagePort;
  #spaces = 0;
  readonly #attached = new WeakMap<WebAssembly.Memory, WeakMap<WebAssembly.Module, number>>();
  #view: Float32Array;
  #sequence = 0;
  #busy = false;
  #failedBefore = 0;
  #stopped = false;
  #terminated: Promise<number> = Promise.resolve(0);

  /** Starts the worker (asynchronously: {@linkcode HelperThread.ready} says when it can take tasks). */
  constructor() {
    this.memory = new WebAssembly.Memory({ initial: 1, maximum: SHARED_MAXIMUM_PAGES, shared: true });
    this.#view = new Float32Array(this.memory.buffer as unknown as ArrayBuffer);
    this.#control = new Int32Array(new SharedArrayBuffer(4 * CONTROL.size));
    const module = compileWithFallback(gemmFunctions, SHARED_MAXIMUM_PAGES);
    this.#worker = new Worker(new URL("./_helper_thread_worker.ts", import.meta.url));
    this.#worker.unref();
    // a worker that cannot start (its module not loadable, e.g. from a remote URL) never becomes ready
    this.#worker.on("error", () => Atomics.store(this.#control, CONTROL.ready, -1));
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.#worker.postMessage({ control: this.#control.buffer, memory: this.memory, module, port: port2 }, [port2]);
  }

  /**
   * Makes `module` instantiated over the shared `memory` available to the helper's tasks (it
   * instantiates it before its next task); a pair attached before keeps its space id, so callers
   * may attach before every task.
   *
   * @returns the space id to pass to tasks that work in that memory
   */
  attach(module: WebAssembly.Module, memory: WebAssembly.Memory): number {
    let byModule = this.#attached.get(memory);
    if (byModule === undefined) {
      byModule = new WeakMap();
      this.#attached.set(memory, byModule);
    }
    const known = byModule.get(module);
    if (known !== undefined) return known;
    const space = ++this.#spaces;
    this.#port.postMessage({ space, module, memory });
    byModule.set(module, space);
    return space;
  }

  /**
   * Runs `task` with `args` on the helper while `mine()` runs on the calling thread, and returns
   * once both have finished ({@linkcode HelperThread.start}, then {@linkcode HelperThread.join}
   * even when `mine` throws).
   *
   * @throws {Error} as `start` and `join` do, or what `mine` throws
   */
  run(task: number, args: number[], mine: () => void): void {
    this.start(task, args);
    try {
      mine();
    } finally {
      this.join();
    }
  }

  /** Whether the helper has started and can take a task (never, when it failed to start or was stopped). */
  get ready(): boolean {
    return !this.#stopped && Atomics.load(this.#control, CONTROL.ready) === 1;
  }

  /** Whether {@linkcode HelperThread.stop} was called. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Ends the helper: when it is ready, it is asked to leave its task loop and this waits (at most
   * `timeoutMs`) until it has, so it runs no WebAssembly and waits on no atomic when its worker is
   * terminated; then the worker is terminated. A stopped helper takes no more tasks. Called before
   * the owning thread ends (its `beforeunload` and `unload` events), so that no helper thread is
   * left running while a runtime or the process tears down the shared memory and compiled code
   * under it; calling it again does nothing.
   *
   * @returns the worker's termination (resolves when its thread has ended)
   */
  stop(timeoutMs = 2000): Promise<number> {
    if (this.#stopped) return this.#terminated;
    if (this.ready && !this.#busy) {
      try {
        this.#request(TASKS.stop, []);
        this.#join(timeoutMs);
      } catch {
        // it did not answer in time: terminated below all the same
      }
    }
    this.#stopped = true;
    this.#worker.ref(); // an event loop that is still running waits for the thread's end
    this.#terminated = this.#worker.terminate().catch(() => 0);
    return this.#terminated;
  }

  /** Whether the helper failed to start (it will never be ready). */
  get failed(): boolean {
    return Atomics.load(this.#control, CONTROL.ready) === -1;
  }

  /** The float32 view of the whole shared memory. */
  get f32(): Float32Array {
    return this.#view;
  }

  /**
   * Makes room for `floats` float32 values; returns the view of the whole memory (a new one
   * when it grew).
   *
   * @throws {RangeError} when that is more than {@linkcode SHARED_MAXIMUM_PAGES} pages
   */
  reserve(floats: number): Float32Array {
    const bytes = 4 * floats;
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      const pages = Math.ceil((bytes - have) / PAGE);
      if (have / PAGE + pages > SHARED_MAXIMUM_PAGES) {
        throw new RangeError(`HelperThread: ${floats} floats exceed the shared memory's maximum`);
      }
      this.memory.grow(pages);
      this.#view = new Float32Array(this.memory.buffer as unknown as ArrayBuffer);
    }
    return this.#view;
  }

  /**
   * Copies `rows` rows of `rowFloats` floats from `plain` (a plain WebAssembly memory: the tfjs
   * heap) at element `src`, `srcStride` apart, into the shared memory at `dst`, `dstStride` apart:
   * one `memory.copy` per row in WebAssembly where the runtime has multi-memory (4000 rows of 124
   * floats: ~0.3 ms against ~2.2 ms of `set` calls), else `set` per row. Reserve the room first.
   */
  copyRows(
    plain: WebAssembly.Memory,
    dst: number,
    src: number,
    rows: number,
    rowFloats: number,
    srcStride: number,
    dstStride: number,
  ): void {
    const copier = rowCopier(plain, this.memory, SHARED_MAXIMUM_PAGES);
    if (copier !== null) return copier(dst, src, rows, rowFloats, srcStride, dstStride);
    const from = new Float32Array(plain.buffer);
    for (let row = 0; row < rows; row++) {
      const at = src + row * srcStride;
      this.#view.set(from.subarray(at, at + rowFloats), dst + row * dstStride);
    }
  }

  /** Whether `floats` float32 values fit in the shared memory at its largest. */
  fits(floats: number): boolean {
    return 4 * floats <= SHARED_MAXIMUM_PAGES * PAGE;
  }

  /**
   * Hands `task` (one of {@linkcode TASKS}) with its integer arguments to the helper; returns at
   * once. Every `start` must be followed by a {@linkcode HelperThread.join} before the next.
   *
   * @throws {Error} when the helper is not ready or still runs a task
   */
  start(task: number, args: number[]): void {
    if (!this.ready) throw new Error("HelperThread: not ready");
    if (this.#busy) throw new Error("HelperThread: start before the previous task was joined");
    if (args.length > CONTROL.size - CONTROL.args) throw new RangeError("HelperThread: too many arguments");
    tasksStarted++;
    this.#request(task, args);
  }

  #request(task: number, args: number[]): void {
    const control = this.#control;
    Atomics.store(control, CONTROL.task, task);
    args.forEach((value, i) => Atomics.store(control, CONTROL.args + i, value));
    this.#busy = true;
    this.#failedBefore = Atomics.load(control, CONTROL.failed);
    Atomics.store(control, CONTROL.request, ++this.#sequence);
    Atomics.notify(control, CONTROL.request);
  }

  /**
   * Waits until the helper has finished the task of the last {@linkcode HelperThread.start}.
   *
   * @throws {Error} when the task failed in the helper, or did not finish within two minutes
   */
  join(): void {
    this.#join(JOIN_TIMEOUT_MS);
  }

  #join(timeoutMs: number): void {
    if (!this.#busy) return;
    const control = this.#control;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const done = Atomics.load(control, CONTROL.done);
      if (done === this.#sequence) break;
      if (performance.now() > deadline) throw new Error("HelperThread: the helper did not finish its task");
      Atomics.wait(control, CONTROL.done, done, Math.min(1000, timeoutMs));
    }
    this.#busy = false;
    if (Atomics.load(control, CONTROL.failed) !== this.#failedBefore) throw new Error("HelperThread: the task failed");
  }
}

/** How megflow's kernels use the helper thread: never, always, or while the machine has a core to spare. */
export type KernelThreads = 1 | 2 | "auto";

/** The setting of the environment variable `MEGFLOW_KERNEL_THREADS` (`1`, `2`), else `"auto"`. */
function defaultThreads(): KernelThreads {
  let setting: string | undefined;
  try {
    // asked only where granted: never a permission prompt in the middle of a training step
    const granted = Deno.permissions.querySync({ name: "env", variable: "MEGFLOW_KERNEL_THREADS" }).state === "granted";
    setting = granted ? Deno.env.get("MEGFLOW_KERNEL_THREADS") : undefined;
  } catch {
    setting = undefined; // no env permission: the default
  }
  return setting === "1" ? 1 : setting === "2" ? 2 : "auto";
}

let threads: KernelThreads | undefined;
let helper: HelperThread | null | undefined;

/**
 * Sets how megflow's WebAssembly kernels use the helper thread: `1` never (the calling thread
 * only), `2` always (where the machine has two cores), `"auto"` (the default, unless the
 * environment variable `MEGFLOW_KERNEL_THREADS` is `1` or `2`) while the machine's 1-minute load
 * average leaves a core to spare ({@linkcode spareCore}). Results are the same bits either way;
 * only the time differs: on a busy machine the helper waits for a core and the calling thread
 * for the helper (measured at load 5-8 with two cores: gru's step 87 ms of wall time on one
 * thread, 94 split).
 *
 * @param count 1, 2 or `"auto"`
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { kernelThreads, setKernelThreads } from "./_helper_thread.ts";
 *
 * const before = kernelThreads();
 * setKernelThreads(1);
 * assertEquals(kernelThreads(), 1);
 * setKernelThreads(before);
 * ```
 */
export function setKernelThreads(count: KernelThreads): void {
  if (count !== 1 && count !== 2 && count !== "auto") {
    throw new RangeError(`setKernelThreads: expected 1, 2 or "auto", got ${count}`);
  }
  threads = count;
}

/** How megflow's WebAssembly kernels use the helper thread (see {@linkcode setKernelThreads}). */
export function kernelThreads(): KernelThreads {
  threads ??= defaultThreads();
  return threads;
}

/** When {@linkcode spareCore} last read the load average, and what it decided. */
let spare = { at: -Infinity, value: false };

/**
 * Whether the machine has a core to spare for the helper thread: at least two cores and a
 * 1-minute load average below the number of cores plus 0.5. Alone on two cores a training step
 * keeps the load near 1.5 (its thread, the helper's share) and the PyTorch twins of the bench
 * up to 2 (OpenBLAS runs two threads), while two other trainings beside it make it 3-8, where a
 * split step waits for the helper more than it gains. Read at most once a second; false where
 * the load average may not be read (no `--allow-sys`; never asked for).
 */
export function spareCore(): boolean {
  const now = performance.now();
  if (now - spare.at < 1000) return spare.value;
  const cores = navigator.hardwareConcurrency ?? 1;
  let value = false;
  try {
    const granted = Deno.permissions.querySync({ name: "sys", kind: "loadavg" }).state === "granted";
    value = granted && cores >= 2 && Deno.loadavg()[0] < cores + 0.5;
  } catch {
    value = false; // no sys permission: one thread
  }
  spare = { at: now, value };
  return value;
}

/** Whether the setting ({@linkcode kernelThreads}), the cores and the load let kernels use the helper now. */
function helperWanted(): boolean {
  const setting = kernelThreads();
  return setting !== 1 && (navigator.hardwareConcurrency ?? 1) >= 2 && (setting !== "auto" || spareCore());
}

/**
 * The helper thread when kernels may use one and it is ready to take a task; else null (it is
 * started on the first call, and is ready a little later).
 *
 * @returns the helper, or null: compute on the calling thread
 */
export function helperThread(): HelperThread | null {
  if (!helperWanted()) return null;
  if (helper === undefined) {
    try {
      helper = new HelperThread();
      stopBeforeExit(helper);
    } catch {
      helper = null; // no workers here (permissions, runtime): one thread
    }
  }
  return helper !== null && helper.ready ? helper : null;
}

/**
 * Stops `thread` when this thread's runtime ends: at `beforeunload` (the event loop is empty; the
 * termination keeps it running until the worker's thread has ended) and at `unload` (also after
 * `Deno.exit`). A helper left blocked in `Atomics.wait` while the process or a `deno test
 * --parallel` module worker exits once aborted the process at exit (glibc: "corrupted size vs.
 * prev_size in fastbins", 1 of 5 full test runs).
 */
function stopBeforeExit(thread: HelperThread): void {
  const end = () => {
    if (thread.stopped) return;
    thread.stop();
    if (helper === thread) helper = null;
  };
  globalThis.addEventListener("beforeunload", end);
  globalThis.addEventListener("unload", end);
}

/** Output rows below which a product is not split. */
export const SPLIT_MIN_ROWS = 24;
/** Products of fewer multiply-adds are not split: ~0.15 ms at ~25 G multiply-adds/s, against a hand-over of tens of µs. */
export const SPLIT_MIN_PRODUCT = 1 << 22;
/**
 * Multiply-adds of the helper's part per float copied into the shared memory below which a
 * product is not split: a copied float costs about as much as 15-20 multiply-adds (memory
 * bandwidth against ~25 G multiply-adds/s), and the calling thread copies before the helper
 * starts, so splitting only pays where the helper's part is well above its operands.
 */
export const SPLIT_MIN_INTENSITY = 24;

/**
 * The output rows the calling thread keeps when it splits a product of `m` output rows, depth
 * `k` and `n` columns with the helper (the helper's operands: its rows of `op(A)`, all of `B`),
 * or 0 when the split does not pay ({@linkcode SPLIT_MIN_ROWS}, {@linkcode SPLIT_MIN_PRODUCT},
 * {@linkcode SPLIT_MIN_INTENSITY}): about half, in whole blocks of six rows.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { splitRows } from "./_helper_thread.ts";
 *
 * assertEquals(splitRows(1280, 2500, 128), 642); // vivit's tubelet embedding
 * assertEquals(splitRows(40, 38400, 16), 0); // a skinny weight gradient: copies cost more
 * ```
 */
export function splitRows(m: number, k: number, n: number): number {
  if (m < SPLIT_MIN_ROWS || m * k * n < SPLIT_MIN_PRODUCT) return 0;
  const mine = Math.min(m - 1, 6 * Math.ceil(m / 12));
  const theirs = m - mine;
  return (theirs * k * n) / (theirs * k + k * n) >= SPLIT_MIN_INTENSITY ? mine : 0;
}

/**
 * Waits (asynchronously, up to `timeoutMs`) until the helper thread is ready, starting it if
 * needed; for tests and benchmarks that want the split from their first product.
 *
 * @returns whether a helper is ready
 */
export async function helperThreadReady(timeoutMs = 10_000): Promise<boolean> {
  if (!helperWanted()) return false;
  const deadline = performance.now() + timeoutMs;
  while (helperThread() === null) {
    if (helper === null || helper?.failed || performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}
