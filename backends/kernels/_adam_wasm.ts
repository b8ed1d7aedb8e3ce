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
  BLOCK,
  br,
  brIf,
  END,
  f32Load,
  f32Store,
  GE_S,
  get,
  I32,
  i32,
  LOOP,
  moduleBytes,
  set,
  uleb,
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

/**
 * `adam(g, w, m, v, w2, m2, v2, n, ...constants as float32 bits)`: for `i < n`,
 * `m2 = m b1 + g (1 - b1)`, `v2 = v b2 + (g g) (1 - b2)`, `w2 = ((m2 / (1 - b1^t)) /
 * (sqrt(v2 / (1 - b2^t)) + eps)) (-lr) + w`, each operation in float32.
 */
function adamFunction(): WasmFunction {
  const [G, W, M, V, W2, M2, V2, N] = [0, 1, 2, 3, 4, 5, 6, 7];
  const c = (name: (typeof CONSTANTS)[number]) => 8 + CONSTANTS.indexOf(name); // i32 parameters
  const [J, END_BYTE] = [16, 17]; // i32 locals
  const k = (name: (typeof CONSTANTS)[number]) => 18 + CONSTANTS.indexOf(name); // f32 locals
  const [MI, VI, GI] = [26, 27, 28];
  const at = (p: number) => [...get(p), ...get(J), ...ADD];
  const setup = [
    ...CONSTANTS.flatMap((name) => [...get(c(name)), ...F32_REINTERPRET, ...set(k(name))]),
    ...[...get(N), ...i32(4), ...[0x6c], ...set(END_BYTE)],
    ...[...i32(0), ...set(J)],
  ];
  const body = [
    ...[...at(G), ...f32Load(0), ...set(GI)],
    // mi = m b1 + g (1 - b1)
    ...[...at(M), ...f32Load(0), ...get(k("beta1")), ...F32_MUL, ...get(GI), ...get(k("oneMinusBeta1")), ...F32_MUL],
    ...[...F32_ADD, ...set(MI)],
    // vi = v b2 + (g g) (1 - b2)
    ...[...at(V), ...f32Load(0), ...get(k("beta2")), ...F32_MUL, ...get(GI), ...get(GI), ...F32_MUL],
    ...[...get(k("oneMinusBeta2")), ...F32_MUL, ...F32_ADD, ...set(VI)],
    ...[...at(M2), ...get(MI), ...f32Store(0)],
    ...[...at(V2), ...get(VI), ...f32Store(0)],
    // w2 = ((mi / (1 - b1^t)) / (sqrt(vi / (1 - b2^t)) + eps)) (-lr) + w
    ...at(W2),
    ...[...get(MI), ...get(k("oneMinusAccBeta1")), ...F32_DIV],
    ...[...get(VI), ...get(k("oneMinusAccBeta2")), ...F32_DIV, ...F32_SQRT, ...get(k("epsilon")), ...F32_ADD],
    ...[...F32_DIV, ...get(k("negativeRate")), ...F32_MUL, ...at(W), ...f32Load(0), ...F32_ADD, ...f32Store(0)],
  ];
  const loop = [
    ...BLOCK,
    ...LOOP,
    ...[...get(J), ...get(END_BYTE), ...GE_S, ...brIf(1)],
    ...body,
    ...[...get(J), ...i32(4), ...ADD, ...set(J)],
    ...br(0),
    ...END,
    ...END,
  ];
  const locals = vec([[...uleb(2), I32], [...uleb(11), F32]]);
  return { name: "adam", nParams: 16, code: [...locals, ...setup, ...loop, ...END] };
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

/**
 * One Adam step of `weight` with `gradient` and the moments `m`, `v` in the wasm heap: assigns
 * the new weight and moments. Returns `false` (and does nothing) when not on the wasm backend
 * or a tensor is not float32.
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
  const outputs = [weight, m, v].map((t) => backend.makeOutput(t.shape, "float32"));
  const address = (info: tf.TensorInfo) => backend.typedArrayFromHeap(info).byteOffset;
  const args = CONSTANTS.map((name) => {
    floats[0] = constants[name];
    return bits[0];
  });
  kernel(...[gradient, weight, m, v, ...outputs].map(address), gradient.size, ...args);
  [weight, m, v].forEach((variable, i) => {
    const tensor = tf.engine().makeTensorFromTensorInfo(outputs[i]);
    variable.assign(tensor);
    tensor.dispose();
  });
  return true;
}
