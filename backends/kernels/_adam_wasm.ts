/**
 * `FusedAdam`'s update of one weight tensor as a WebAssembly loop in the wasm backend's heap:
 * reads the gradient, weight and moments where they are and writes the new weight and
 * moments into three new heap tensors, where the JavaScript loop copies four arrays out
 * (`dataSync`) and three back in (`tf.tensor`). The same float32 operations in the same order
 * (WebAssembly's `f32` arithmetic is IEEE float32 and never fused): bit for bit the JavaScript
 * loop's values, so tfjs's `Adam`'s.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import {
  ADD,
  AND,
  BLOCK,
  br,
  brIf,
  END,
  f32Load,
  f32Store,
  F32X4_ADD,
  F32X4_DIV,
  F32X4_MUL,
  GE_S,
  get,
  I32,
  i32,
  LOOP,
  moduleBytes,
  set,
  simd,
  uleb,
  V128,
  v128Load,
  v128Store,
  vec,
  type WasmFunction,
} from "../../core/_wasm_asm.ts";
import { heapMemory, type WasmHeapBackend } from "./_heap_kernel.ts";

/** The float32 constants of one Adam step (as `FusedAdam` rounds them). */
export interface AdamStepConstants {
  beta1: number;
  beta2: number;
  oneMinusBeta1: number;
  oneMinusBeta2: number;
  oneMinusAccBeta1: number;
  oneMinusAccBeta2: number;
  epsilon: number;
  negativeRate: number;
}

const F32 = 0x7d;
const F32_ADD = [0x92], F32_MUL = [0x94], F32_DIV = [0x95], F32_SQRT = [0x91];
const F32X4_SPLAT = simd(0x13);
const F32_REINTERPRET = [0xbe];
const CONSTANTS = [
  "beta1",
  "beta2",
  "oneMinusBeta1",
  "oneMinusBeta2",
  "oneMinusAccBeta1",
  "oneMinusAccBeta2",
  "epsilon",
  "negativeRate",
] as const;

/** The per-element update as instructions over locals: `f32` scalars or `f32x4` vectors, the same operations. */
interface Ops {
  load: number[];
  store: number[];
  add: number[];
  mul: number[];
  div: number[];
  sqrt: number[];
}
const SCALAR: Ops = { load: f32Load(0), store: f32Store(0), add: F32_ADD, mul: F32_MUL, div: F32_DIV, sqrt: F32_SQRT };
const VECTOR: Ops = {
  load: v128Load(0),
  store: v128Store(0),
  add: F32X4_ADD,
  mul: F32X4_MUL,
  div: F32X4_DIV,
  sqrt: simd(0xe3),
};

/**
 * `adam(g, w, m, v, w2, m2, v2, n, ...constants as float32 bits)`: for `i < n`,
 * `m2 = m b1 + g (1 - b1)`, `v2 = v b2 + (g g) (1 - b2)`, `w2 = ((m2 / (1 - b1^t)) /
 * (sqrt(v2 / (1 - b2^t)) + eps)) (-lr) + w`, each operation in float32: four values at a time
 * (`f32x4`, whose lanes are IEEE float32 operations like `f32`'s, never fused), the last `n % 4`
 * one by one.
 */
function adamFunction(): WasmFunction {
  const [G, W, M, V, W2, M2, V2, N] = [0, 1, 2, 3, 4, 5, 6, 7];
  const c = (name: (typeof CONSTANTS)[number]) => 8 + CONSTANTS.indexOf(name); // i32 parameters
  const [J, END_BYTE, END_VECTOR] = [16, 17, 18]; // i32 locals
  const k = (name: (typeof CONSTANTS)[number]) => 19 + CONSTANTS.indexOf(name); // f32 locals
  const [MI, VI, GI] = [27, 28, 29];
  const kv = (name: (typeof CONSTANTS)[number]) => 30 + CONSTANTS.indexOf(name); // v128 locals
  const [MV, VV, GV] = [38, 39, 40];
  const at = (p: number) => [...get(p), ...get(J), ...ADD];
  const setup = [
    ...CONSTANTS.flatMap((name) => [...get(c(name)), ...F32_REINTERPRET, ...set(k(name))]),
    ...CONSTANTS.flatMap((name) => [...get(k(name)), ...F32X4_SPLAT, ...set(kv(name))]),
    ...[...get(N), ...i32(4), ...[0x6c], ...set(END_BYTE)],
    ...[...get(N), ...i32(-4), ...AND, ...i32(4), ...[0x6c], ...set(END_VECTOR)],
    ...[...i32(0), ...set(J)],
  ];
  const body = (o: Ops, kk: typeof k, [mi, vi, gi]: number[]) => [
    ...[...at(G), ...o.load, ...set(gi)],
    // mi = m b1 + g (1 - b1)
    ...[...at(M), ...o.load, ...get(kk("beta1")), ...o.mul, ...get(gi), ...get(kk("oneMinusBeta1")), ...o.mul],
    ...[...o.add, ...set(mi)],
    // vi = v b2 + (g g) (1 - b2)
    ...[...at(V), ...o.load, ...get(kk("beta2")), ...o.mul, ...get(gi), ...get(gi), ...o.mul],
    ...[...get(kk("oneMinusBeta2")), ...o.mul, ...o.add, ...set(vi)],
    ...[...at(M2), ...get(mi), ...o.store],
    ...[...at(V2), ...get(vi), ...o.store],
    // w2 = ((mi / (1 - b1^t)) / (sqrt(vi / (1 - b2^t)) + eps)) (-lr) + w
    ...at(W2),
    ...[...get(mi), ...get(kk("oneMinusAccBeta1")), ...o.div],
    ...[...get(vi), ...get(kk("oneMinusAccBeta2")), ...o.div, ...o.sqrt, ...get(kk("epsilon")), ...o.add],
    ...[...o.div, ...get(kk("negativeRate")), ...o.mul, ...at(W), ...o.load, ...o.add, ...o.store],
  ];
  const loop = (end: number, step: number, code: number[]) => [
    ...BLOCK,
    ...LOOP,
    ...[...get(J), ...get(end), ...GE_S, ...brIf(1)],
    ...code,
    ...[...get(J), ...i32(step), ...ADD, ...set(J)],
    ...br(0),
    ...END,
    ...END,
  ];
  const locals = vec([[...uleb(3), I32], [...uleb(11), F32], [...uleb(11), V128]]);
  const code = [
    ...setup,
    ...loop(END_VECTOR, 16, body(VECTOR, kv, [MV, VV, GV])),
    ...loop(END_BYTE, 4, body(SCALAR, k, [MI, VI, GI])),
  ];
  return { name: "adam", nParams: 16, code: [...locals, ...code, ...END] };
}

type AdamExport = (...args: number[]) => void;
let compiled: WebAssembly.Module | undefined;
const instances = new WeakMap<object, AdamExport | null>();

function adamKernel(backend: WasmHeapBackend): AdamExport | null {
  let kernel = instances.get(backend);
  if (kernel === undefined) {
    kernel = null;
    const memory = heapMemory(backend);
    if (memory !== null && typeof backend.typedArrayFromHeap === "function") {
      try {
        compiled ??= new WebAssembly.Module(moduleBytes([adamFunction()]) as BufferSource);
        kernel = new WebAssembly.Instance(compiled, { env: { memory } }).exports.adam as AdamExport;
      } catch {
        kernel = null;
      }
    }
    instances.set(backend, kernel);
  }
  return kernel;
}

const bits = new Int32Array(1);
const floats = new Float32Array(bits.buffer);

let inPlace = true;
let inPlaceSteps = 0;

/**
 * Whether {@linkcode adamStepInHeap} writes the new weight and moments over the old ones where nothing
 * else holds their memory (the default), or always into three new heap tensors (the code before; the same
 * values, bit for bit). Returns the previous setting. Kept although only tests turn it off: the copy it
 * forces is not dead code, it runs in production whenever a clone, reshape or pending deferred
 * computation shares the weight's or a moment's memory.
 */
export function setInPlaceAdam(on: boolean): boolean {
  const previous = inPlace;
  inPlace = on;
  return previous;
}

/** How many in-place Adam updates have run since the process started (tests). */
export function inPlaceAdamSteps(): number {
  return inPlaceSteps;
}

/**
 * One Adam step of `weight` with `gradient` and the moments `m`, `v` in the wasm heap: assigns
 * the new weight and moments. Where the backend counts one reference to each of the weight's and the
 * moments' memory (no clone, reshape or pending computation shares it), the loop writes them in place
 * (each element is read before it is written, so the values are those of the copy); otherwise into three
 * new heap tensors, assigned to the variables. Returns `false` (and does nothing) when not on the wasm
 * backend or a tensor is not float32.
 */
export function adamStepInHeap(
  gradient: tf.Tensor,
  weight: tf.Variable,
  m: tf.Variable,
  v: tf.Variable,
  constants: AdamStepConstants,
): boolean {
  if (tf.getBackend() !== "wasm" || [gradient, weight, m, v].some((t) => t.dtype !== "float32")) return false;
  const backend = tf.backend() as WasmHeapBackend;
  const kernel = adamKernel(backend);
  if (kernel === null) return false;
  const args = CONSTANTS.map((name) => {
    floats[0] = constants[name];
    return bits[0];
  });
  const address = (info: tf.TensorInfo) => backend.typedArrayFromHeap(info).byteOffset;
  if (inPlace && [weight, m, v].every((t) => backend.refCount(t.dataId) === 1)) {
    const [g, w, mm, vv] = [gradient, weight, m, v].map(address);
    kernel(g, w, mm, vv, w, mm, vv, gradient.size, ...args);
    inPlaceSteps++;
    return true;
  }
  const outputs = [weight, m, v].map((t) => backend.makeOutput(t.shape, "float32"));
  kernel(...[gradient, weight, m, v, ...outputs].map(address), gradient.size, ...args);
  [weight, m, v].forEach((variable, i) => {
    const tensor = tf.engine().makeTensorFromTensorInfo(outputs[i]);
    variable.assign(tensor);
    tensor.dispose();
  });
  return true;
}
