/**
 * The element-wise work of a GRU step (tfjs's `GRUCell`: hard-sigmoid gates, `tanh` candidate,
 * `reset_after: false`) in WebAssembly SIMD, four units at a time, in one module with the
 * product kernel of `core/_wasm_gemm.ts`, so a whole step (and its back-propagation) runs on
 * operands in one WebAssembly memory.
 *
 * `tanh` is `core/_wasm_tanh.ts`'s rational approximation (within 3e-7 of `Math.tanh` relative
 * to the value, small inputs included).
 *
 * Pointers and strides are in bytes; a step's rows are `batch` rows of `units` values
 * (`ub = 4 units` bytes, a multiple of 16).
 *
 * @module
 */

import {
  ADD,
  countedLoop,
  END,
  F32X4_ADD,
  F32X4_GT,
  F32X4_LT,
  F32X4_MAX,
  F32X4_MIN,
  F32X4_MUL,
  F32X4_SUB,
  f32x4Const,
  get,
  I32,
  i32,
  MUL,
  set,
  SHL,
  uleb,
  V128,
  V128_AND,
  v128Load,
  v128Store,
  vec,
  type WasmFunction,
} from "../../core/_wasm_asm.ts";
import { compileWithFallback, gemmFunctions, WasmKernel } from "../../core/_wasm_gemm.ts";
import { tanhCode } from "../../core/_wasm_tanh.ts";

/** `hardSigmoid` of the vector on the stack: `min(max(0.2 x + 0.5, 0), 1)`. */
const HARD_SIGMOID = [
  ...f32x4Const(0.2),
  ...F32X4_MUL,
  ...f32x4Const(0.5),
  ...F32X4_ADD,
  ...f32x4Const(0),
  ...F32X4_MAX,
  ...f32x4Const(1),
  ...F32X4_MIN,
];

/** The derivative of `hardSigmoid` in terms of its value `y` (local `y`): 0.2 where `0 < y < 1`, else 0. */
const hardSigmoidGrad = (y: number) => [
  ...[...get(y), ...f32x4Const(0), ...F32X4_GT, ...get(y), ...f32x4Const(1), ...F32X4_LT, ...V128_AND],
  ...[...f32x4Const(0.2), ...V128_AND],
];

/** Row strides that are not parameters: `ub` and `2 ub` bytes. */
const UB_STRIDE = -1, TWO_UB = -2;

/**
 * An element-wise function over `batch` rows: `nParams` parameters (the last two are `batch`
 * and `ub`), one row pointer per entry of `rows` (`[base parameter, stride parameter]`, or
 * {@linkcode UB_STRIDE} / {@linkcode TWO_UB} for rows `ub` / `2 ub` apart), and `body` run for
 * every 16 bytes `j` of a row (`at(row)`: the address of row pointer `row` plus `j`), with
 * `nVectors` v128 locals from `v` and three more for `tanh` from `tanhLocal`.
 */
function rowsFunction(
  fnName: string,
  nParams: number,
  rows: [number, number][],
  nVectors: number,
  body: (at: (row: number) => number[], v: number, tanhLocal: number, ub: number[]) => number[],
): WasmFunction {
  const [BATCH, UB] = [nParams - 2, nParams - 1];
  const [B, J] = [nParams, nParams + 1];
  const P = nParams + 2; // row pointers
  const V = P + rows.length; // v128 locals
  const at = (row: number) => [...get(P + row), ...get(J), ...ADD];
  const pointers = rows.flatMap(([base, stride], row) => [
    ...get(base),
    ...get(B),
    ...(stride === UB_STRIDE ? get(UB) : stride === TWO_UB ? [...get(UB), ...i32(1), ...SHL] : get(stride)),
    ...MUL,
    ...ADD,
    ...set(P + row),
  ]);
  const perRow = [...pointers, ...countedLoop(J, get(UB), 16, body(at, V, V + nVectors, get(UB)))];
  const locals = vec([[...uleb(2 + rows.length), I32], [...uleb(nVectors + 3), V128]]);
  return { name: fnName, nParams, code: [...locals, ...countedLoop(B, get(BATCH), 1, perRow), ...END] };
}

/**
 * `gates(xw, ldx, a, h, ldh, z, r, rh, lds, batch, ub)`: `z = hs(xz + az)`, `r = hs(xr + ar)`,
 * `rh = r * h`, with `a = h [Rz Rr]` (`[batch, 2 units]`, contiguous).
 */
function gatesFunction(): WasmFunction {
  const [XW, LDX, A, H, LDH, Z, R, RH, LDS] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const rows: [number, number][] = [[XW, LDX], [H, LDH], [Z, LDS], [R, LDS], [RH, LDS], [A, TWO_UB]];
  return rowsFunction("gates", 11, rows, 2, (at, v, _t, ub) => {
    const [ZV, RV] = [v, v + 1];
    return [
      ...[...at(0), ...v128Load(0), ...at(5), ...v128Load(0), ...F32X4_ADD, ...HARD_SIGMOID, ...set(ZV)],
      ...[...at(0), ...ub, ...ADD, ...v128Load(0), ...at(5), ...ub, ...ADD, ...v128Load(0)],
      ...[...F32X4_ADD, ...HARD_SIGMOID, ...set(RV)],
      ...[...at(2), ...get(ZV), ...v128Store(0)],
      ...[...at(3), ...get(RV), ...v128Store(0)],
      ...[...at(4), ...get(RV), ...at(1), ...v128Load(0), ...F32X4_MUL, ...v128Store(0)],
    ];
  });
}

/**
 * `candidate(xh, ldx, c, h, ldh, z, hh, out, lds, batch, ub)`: `hh = tanh(xh + c)`,
 * `out = z * h + (1 - z) * hh`, with `c = (r * h) Rh` (`[batch, units]`, contiguous).
 */
function candidateFunction(): WasmFunction {
  const [XH, LDX, C, H, LDH, Z, HH, OUT, LDS] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  return rowsFunction(
    "candidate",
    11,
    [[XH, LDX], [C, UB_STRIDE], [H, LDH], [Z, LDS], [HH, LDS], [OUT, LDS]],
    3,
    (at, v, t) => {
      const [HHV, ZV, HV] = [v, v + 1, v + 2];
      return [
        ...[...at(0), ...v128Load(0), ...at(1), ...v128Load(0), ...F32X4_ADD, ...tanhCode(t), ...set(HHV)],
        ...[...at(3), ...v128Load(0), ...set(ZV), ...at(2), ...v128Load(0), ...set(HV)],
        ...[...at(4), ...get(HHV), ...v128Store(0)],
        ...at(5),
        ...[...get(ZV), ...get(HV), ...F32X4_MUL],
        ...[...f32x4Const(1), ...get(ZV), ...F32X4_SUB, ...get(HHV), ...F32X4_MUL, ...F32X4_ADD],
        ...v128Store(0),
      ];
    },
  );
}

/**
 * `backZH(dy, dh, hp, ldh, z, hh, dx, ldx, dhp, lds, batch, ub)`: with `dOut = dh + dy`,
 * `dx[h] = dOut (1 - z) (1 - hh^2)`, `dx[z] = dOut (hp - hh) hs'(z)`, `dhp = dOut z`
 * (`dh`, `dhp`: `[batch, units]`, contiguous; `dx` a step's rows of the `xw` gradient).
 */
function backZHFunction(): WasmFunction {
  const [DY, DH, HP, LDH, Z, HH, DX, LDX, DHP, LDS] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const rows: [number, number][] = [[DY, LDS], [DH, UB_STRIDE], [HP, LDH], [Z, LDS], [HH, LDS], [DX, LDX], [
    DHP,
    UB_STRIDE,
  ]];
  return rowsFunction("backZH", 12, rows, 3, (at, v, _t, ub) => {
    const [DOUT, ZV, HHV] = [v, v + 1, v + 2];
    return [
      ...[...at(1), ...v128Load(0), ...at(0), ...v128Load(0), ...F32X4_ADD, ...set(DOUT)],
      ...[...at(3), ...v128Load(0), ...set(ZV), ...at(4), ...v128Load(0), ...set(HHV)],
      // dx[h part] at dx + 2 ub
      ...[...at(5), ...ub, ...ub, ...ADD, ...ADD],
      ...[...get(DOUT), ...f32x4Const(1), ...get(ZV), ...F32X4_SUB, ...F32X4_MUL],
      ...[...f32x4Const(1), ...get(HHV), ...get(HHV), ...F32X4_MUL, ...F32X4_SUB, ...F32X4_MUL],
      ...v128Store(0),
      ...at(5),
      ...[...get(DOUT), ...at(2), ...v128Load(0), ...get(HHV), ...F32X4_SUB, ...F32X4_MUL],
      ...[...hardSigmoidGrad(ZV), ...F32X4_MUL],
      ...v128Store(0),
      ...[...at(6), ...get(DOUT), ...get(ZV), ...F32X4_MUL, ...v128Store(0)],
    ];
  });
}

/**
 * `backR(drh, hp, ldh, r, dx, ldx, dhp, dh, lds, batch, ub)`: `dx[r] = drh hp hs'(r)`,
 * `dh = dhp + drh r`, with `drh = dx[h] Rh^T` (`drh`, `dhp`, `dh`: `[batch, units]`, contiguous).
 */
function backRFunction(): WasmFunction {
  const [DRH, HP, LDH, R, DX, LDX, DHP, DH, LDS] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const rows: [number, number][] = [[DRH, UB_STRIDE], [HP, LDH], [R, LDS], [DX, LDX], [DHP, UB_STRIDE], [
    DH,
    UB_STRIDE,
  ]];
  return rowsFunction("backR", 11, rows, 2, (at, v, _t, ub) => {
    const [DRHV, RV] = [v, v + 1];
    return [
      ...[...at(0), ...v128Load(0), ...set(DRHV), ...at(2), ...v128Load(0), ...set(RV)],
      ...[...at(3), ...ub, ...ADD],
      ...[...get(DRHV), ...at(1), ...v128Load(0), ...F32X4_MUL, ...hardSigmoidGrad(RV), ...F32X4_MUL],
      ...v128Store(0),
      ...[...at(5), ...at(4), ...v128Load(0), ...get(DRHV), ...get(RV), ...F32X4_MUL, ...F32X4_ADD, ...v128Store(0)],
    ];
  });
}

/** The kernel's functions (the products and the step's element-wise work). */
const functions = (relaxed: boolean) => [
  ...gemmFunctions(relaxed),
  gatesFunction(),
  candidateFunction(),
  backZHFunction(),
  backRFunction(),
];

/** Largest kernel memory, in 64 KiB pages (4 GiB: wasm32's limit; only what is used is resident). */
const SHARED_MAXIMUM_PAGES = 65536;

let compiled: WebAssembly.Module | undefined;
let compiledShared: WebAssembly.Module | undefined;
/** The kernels over a shared memory (the helper thread can run rows of them). */
const sharedKernels = new WeakSet<WasmKernel>();

/**
 * A kernel instance with the product functions and `gates`, `candidate`, `backZH`, `backR`,
 * over a memory of its own: a shared one where the runtime has them (so that the helper thread
 * of `core/_helper_thread.ts` can run half the batch rows, {@linkcode gruKernelModule}), else a
 * plain one. The code is the same either way.
 */
export function gruKernel(): WasmKernel {
  try {
    compiledShared ??= compileWithFallback(functions, SHARED_MAXIMUM_PAGES);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: SHARED_MAXIMUM_PAGES, shared: true });
    const kernel = new WasmKernel(compiledShared, memory);
    sharedKernels.add(kernel);
    return kernel;
  } catch {
    compiled ??= compileWithFallback(functions);
    return new WasmKernel(compiled);
  }
}

/**
 * The compiled module of `kernel` when its memory is shared (another thread can instantiate it
 * over the same memory), else null.
 */
export function gruKernelModule(kernel: WasmKernel): WebAssembly.Module | null {
  return sharedKernels.has(kernel) ? compiledShared! : null;
}
