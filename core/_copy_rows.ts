/**
 * Strided row copies from a plain WebAssembly memory (the tfjs wasm backend's heap) into a shared
 * one (the helper thread's, `_helper_thread.ts`) by `memory.copy` between two memories: the
 * helper's columns of a transposed operand, thousands of short rows, without a JavaScript call
 * per row. Where the runtime lacks multi-memory, {@linkcode rowCopier} returns null and callers
 * copy row by row in JavaScript (the same bytes).
 *
 * @module
 */
import {
  bump,
  countedLoop,
  END,
  get,
  I32,
  MEMORY_COPY_1_0,
  twoMemoryModuleBytes,
  uleb,
  vec,
  type WasmFunction,
} from "./_wasm_asm.ts";

/** `copyRows(dst, src, rows, rowBytes, srcStride, dstStride)`: byte offsets and strides, `dst` in the shared memory. */
function copyRowsFunction(): WasmFunction {
  const [DST, SRC, ROWS, ROW_BYTES, SRC_STRIDE, DST_STRIDE, I] = [0, 1, 2, 3, 4, 5, 6];
  const body = [
    ...[...get(DST), ...get(SRC), ...get(ROW_BYTES), ...MEMORY_COPY_1_0],
    ...bump(DST, get(DST_STRIDE)),
    ...bump(SRC, get(SRC_STRIDE)),
  ];
  return {
    name: "copyRows",
    nParams: 6,
    code: [...vec([[...uleb(1), I32]]), ...countedLoop(I, get(ROWS), 1, body), ...END],
  };
}

/** Copies `rows` rows of `rowFloats` floats from `src` (stride `srcStride`) to `dst` (stride `dstStride`): float32 element offsets. */
export type RowCopier = (
  dst: number,
  src: number,
  rows: number,
  rowFloats: number,
  srcStride: number,
  dstStride: number,
) => void;

const modules = new Map<number, WebAssembly.Module | null>();
const copiers = new WeakMap<WebAssembly.Memory, WeakMap<WebAssembly.Memory, RowCopier | null>>();

/**
 * A row copier from `plain` into `shared` (a memory of at most `sharedMaximumPages` pages), or
 * null where the runtime cannot compile or link it.
 */
export function rowCopier(
  plain: WebAssembly.Memory,
  shared: WebAssembly.Memory,
  sharedMaximumPages: number,
): RowCopier | null {
  let byShared = copiers.get(plain);
  if (byShared === undefined) {
    byShared = new WeakMap();
    copiers.set(plain, byShared);
  }
  let copier = byShared.get(shared);
  if (copier === undefined) {
    copier = null;
    if (!modules.has(sharedMaximumPages)) {
      let module: WebAssembly.Module | null = null;
      try {
        module = new WebAssembly.Module(twoMemoryModuleBytes([copyRowsFunction()], sharedMaximumPages) as BufferSource);
      } catch {
        module = null; // no multi-memory here
      }
      modules.set(sharedMaximumPages, module);
    }
    const module = modules.get(sharedMaximumPages)!;
    if (module !== null) {
      try {
        const exports = new WebAssembly.Instance(module, { env: { memory: plain, shared } }).exports as unknown as {
          copyRows: (...args: number[]) => void;
        };
        copier = (dst, src, rows, rowFloats, srcStride, dstStride) =>
          exports.copyRows(4 * dst, 4 * src, rows, 4 * rowFloats, 4 * srcStride, 4 * dstStride);
      } catch {
        copier = null;
      }
    }
    byShared.set(shared, copier);
  }
  return copier;
}
