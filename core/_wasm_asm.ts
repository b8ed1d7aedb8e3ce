/**
 * A few WebAssembly encodings, to assemble small SIMD kernels at load time from instruction
 * lists (no toolchain, no binary file in the repository): value types, LEB128, sections and the
 * instructions the kernels use (https://webassembly.github.io/spec/core/binary/). Every kernel of
 * megflow assembles with these: `_wasm_gemm.ts`, `_wasm_tanh.ts`, the fused GRU step
 * (`models/layers/_gru_kernel.ts`), the wasm backend's `_gemm_wasm.ts` and `_erf_wasm.ts`
 * (`backends/kernels/`) and the resampler (`operators/_resample_wasm.ts`).
 *
 * @module
 */

/** Value types. */
export const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

/** A vector: its length, then its items. */
export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (text: string): number[] => vec([...new TextEncoder().encode(text)].map((b) => [b]));
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** `local.get`, `local.set`, `local.tee`, `i32.const`. */
export const get = (i: number): number[] => [0x20, ...uleb(i)];
export const set = (i: number): number[] => [0x21, ...uleb(i)];
export const tee = (i: number): number[] => [0x22, ...uleb(i)];
export const i32 = (n: number): number[] => [0x41, ...sleb(n)];
/** i32 arithmetic, bitwise and comparison. */
export const ADD = [0x6a], SUB = [0x6b], MUL = [0x6c], SHL = [0x74], SHR_U = [0x76], AND = [0x71];
export const LT_S = [0x48], GT_S = [0x4a], GE_S = [0x4e], EQZ = [0x45];
/** Control. */
export const BLOCK = [0x02, 0x40], LOOP = [0x03, 0x40], IF = [0x04, 0x40], ELSE = [0x05], END = [0x0b];
/** `if` with a v128 result. */
export const IF_V128 = [0x04, V128];
/** `select`: the first operand when the condition is nonzero, else the second. */
export const SELECT = [0x1b];
export const br = (depth: number): number[] => [0x0c, depth];
export const brIf = (depth: number): number[] => [0x0d, depth];
/** Scalar float32. */
export const f32Load = (offset: number): number[] => [0x2a, 2, ...uleb(offset)];
export const f32Store = (offset: number): number[] => [0x38, 2, ...uleb(offset)];
export const F32_ADD = [0x92], F32_MUL = [0x94];
export const F32_ZERO = [0x43, 0, 0, 0, 0];
/** Loads and stores of i32 and float64 (natural alignment). */
export const i32Load = (offset: number): number[] => [0x28, 2, ...uleb(offset)];
export const f64Load = (offset: number): number[] => [0x2b, 3, ...uleb(offset)];
export const f64Store = (offset: number): number[] => [0x39, 3, ...uleb(offset)];
/** SIMD. */
export const simd = (op: number, ...rest: number[]): number[] => [0xfd, ...uleb(op), ...rest];
export const v128Load = (offset: number): number[] => simd(0x00, 4, ...uleb(offset));
export const v128Store = (offset: number): number[] => simd(0x0b, 4, ...uleb(offset));
export const load32Splat = (offset: number): number[] => simd(0x09, 2, ...uleb(offset));
export const V128_ZERO = simd(0x0c, ...new Array(16).fill(0));
export const F32X4_ADD = simd(0xe4), F32X4_SUB = simd(0xe5), F32X4_MUL = simd(0xe6), F32X4_DIV = simd(0xe7);
export const F32X4_MIN = simd(0xe8), F32X4_MAX = simd(0xe9), F32X4_LT = simd(0x43), F32X4_GT = simd(0x44);
export const V128_AND = simd(0x4e), V128_BITSELECT = simd(0x52);
export const F32X4_PMIN = simd(0xea), F32X4_PMAX = simd(0xeb), I32X4_SHL = simd(0xab);
export const F64X2_ADD = simd(0xf0), F64X2_SUB = simd(0xf1), F64X2_MUL = simd(0xf2);
/** `f64x2.promote_low_f32x4` and `f32x4.demote_f64x2_zero`. */
export const F64X2_PROMOTE_LOW = simd(0x5f), F32X4_DEMOTE_ZERO = simd(0x5e);
export const F32X4_RELAXED_MADD = simd(0x105);
/** `f32x4.splat` of a float32 constant. */
export function f32x4Const(value: number): number[] {
  const bytes = new Uint8Array(new Float32Array([value]).buffer);
  return simd(0x0c, ...[0, 1, 2, 3].flatMap(() => [...bytes]));
}

/** `i8x16.shuffle` of two v128 values by four 32-bit lanes (0-3 the first operand, 4-7 the second). */
export function shuffle32(lanes: readonly number[]): number[] {
  return simd(0x0d, ...lanes.flatMap((lane) => [4 * lane, 4 * lane + 1, 4 * lane + 2, 4 * lane + 3]));
}

/**
 * A 4 x 4 float32 block transposed through registers: four `v128` rows loaded from `src` plus
 * `srcSteps` (0 or a local holding a byte step: `[null, s1, s2, s3]`) into the locals `rows`,
 * interleaved by eight `i8x16.shuffle`s through the locals `pairs`, and stored as four columns at
 * `dst` plus `dstSteps`. `src` and `dst` are locals holding byte addresses.
 */
export function transposeBlock4(
  src: number,
  srcSteps: readonly (number | null)[],
  dst: number,
  dstSteps: readonly (number | null)[],
  rows: readonly number[],
  pairs: readonly number[],
): number[] {
  const at = (base: number, step: number | null) => [...get(base), ...(step === null ? [] : [...get(step), ...ADD])];
  const [a, b, c, d] = rows;
  const [p0, p1, p2, p3] = pairs;
  const pair = (x: number, y: number, lanes: number[], into: number) => [
    ...[...get(x), ...get(y), ...shuffle32(lanes), ...set(into)],
  ];
  const columns: [number, number, number[]][] = [[p0, p2, [0, 1, 4, 5]], [p0, p2, [2, 3, 6, 7]], [
    p1,
    p3,
    [0, 1, 4, 5],
  ], [p1, p3, [2, 3, 6, 7]]];
  return [
    ...rows.flatMap((row, i) => [...at(src, srcSteps[i]), ...v128Load(0), ...set(row)]),
    ...pair(a, b, [0, 4, 1, 5], p0),
    ...pair(a, b, [2, 6, 3, 7], p1),
    ...pair(c, d, [0, 4, 1, 5], p2),
    ...pair(c, d, [2, 6, 3, 7], p3),
    ...columns.flatMap(([x, y, lanes], i) => [
      ...at(dst, dstSteps[i]),
      ...[...get(x), ...get(y), ...shuffle32(lanes), ...v128Store(0)],
    ]),
  ];
}

/** `local = local + step` */
export const bump = (local: number, step: number[]): number[] => [...get(local), ...step, ...ADD, ...set(local)];

/**
 * `for (local = 0; local < limit; local += step) body` over i32 locals (`limit` an instruction
 * list, e.g. `get(n)`), `body` at depth 0 inside an outer block at depth 1.
 */
export function countedLoop(local: number, limit: number[], step: number, body: number[]): number[] {
  return [
    ...[...i32(0), ...set(local)],
    ...BLOCK,
    ...LOOP,
    ...[...get(local), ...limit, ...GE_S, ...brIf(1)],
    ...body,
    ...bump(local, i32(step)),
    ...br(0),
    ...END,
    ...END,
  ];
}

/** One exported function: its name, number of i32 parameters and code (locals, body, `end`). */
export interface WasmFunction {
  name: string;
  nParams: number;
  code: number[];
}

/**
 * A module that imports `env.memory` and exports `functions` (i32 parameters, no results).
 * With `sharedMaximumPages`, the imported memory is a shared one of at most that many 64 KiB
 * pages (`new WebAssembly.Memory({ initial, maximum, shared: true })`), for a module that runs
 * on two threads (`core/_helper_thread.ts`); the code is the same.
 */
export function moduleBytes(functions: WasmFunction[], sharedMaximumPages?: number): Uint8Array {
  const arities = [...new Set(functions.map((f) => f.nParams))];
  const type = (n: number) => [0x60, ...vec(new Array(n).fill([I32])), ...vec([])];
  const limits = sharedMaximumPages === undefined ? [0x00, 0x01] : [0x03, 0x01, ...uleb(sharedMaximumPages)];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(arities.map(type))),
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, ...limits]])),
    ...section(3, vec(functions.map((f) => uleb(arities.indexOf(f.nParams))))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(functions.map((f) => [...uleb(f.code.length), ...f.code]))),
  ]);
}

/**
 * A module that imports two memories, `env.memory` (a plain one, memory 0) and `env.shared` (a
 * shared one of at most `sharedMaximumPages` pages, memory 1; multi-memory, V8 12+), and exports
 * `functions` (i32 parameters, no results): for copies between a backend's heap and the helper
 * thread's memory ({@linkcode MEMORY_COPY_1_0}).
 */
export function twoMemoryModuleBytes(functions: WasmFunction[], sharedMaximumPages: number): Uint8Array {
  const arities = [...new Set(functions.map((f) => f.nParams))];
  const type = (n: number) => [0x60, ...vec(new Array(n).fill([I32])), ...vec([])];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(arities.map(type))),
    ...section(
      2,
      vec([
        [...name("env"), ...name("memory"), 0x02, 0x00, 0x01],
        [...name("env"), ...name("shared"), 0x02, 0x03, 0x01, ...uleb(sharedMaximumPages)],
      ]),
    ),
    ...section(3, vec(functions.map((f) => uleb(arities.indexOf(f.nParams))))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(functions.map((f) => [...uleb(f.code.length), ...f.code]))),
  ]);
}

/** `memory.copy` from memory 0 to memory 1 (operands: destination, source, bytes). */
export const MEMORY_COPY_1_0 = [0xfc, 0x0a, 0x01, 0x00];

/**
 * The exports of one instance of a module per wasm memory (the module imports it as
 * `env.memory`), the module compiled once, on first use, by `compile`. Kernels that work in
 * a backend's heap call the returned function with the backend's memory on every call.
 */
export function instancePerMemory<T>(compile: () => WebAssembly.Module): (memory: WebAssembly.Memory) => T {
  let compiled: WebAssembly.Module | undefined;
  const instances = new WeakMap<WebAssembly.Memory, T>();
  return (memory) => {
    let exports = instances.get(memory);
    if (exports === undefined) {
      compiled ??= compile();
      exports = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as T;
      instances.set(memory, exports);
    }
    return exports;
  };
}
