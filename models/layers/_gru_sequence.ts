/**
 * The recurrence of a GRU (tfjs/Keras `reset_after: false`, hard-sigmoid gates) as one
 * differentiable op with its own back-propagation through time.
 *
 * The element-wise work of every step runs on typed arrays, and the two small products of
 * every step with the recurrent kernel (`[batch, units] x [units, 2 units]` and
 * `[batch, units] x [units, units]`) in a WebAssembly SIMD kernel (`core/_wasm_gemm.ts`) on
 * operands kept in its memory: no tensor, kernel call, tape node or gradient closure is made
 * per step, on any backend. The gradient of the recurrent kernel is two products `a^T b` over
 * all steps at once, after the loop, in the same kernel.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { WasmKernel } from "../../core/_wasm_gemm.ts";
import { backwardSimd, type Dims, forwardSimd, type Saved, type SimdSaved, simdSupported } from "./_gru_steps.ts";

/** Candidate activations the fused recurrence computes itself. */
export const FUSED_ACTIVATIONS = ["tanh", "sigmoid", "hardSigmoid", "relu", "relu6", "linear", "elu"] as const;

/** One of {@linkcode FUSED_ACTIVATIONS}. */
export type FusedActivation = typeof FUSED_ACTIVATIONS[number];

/** An activation `f` and its derivative written in terms of `y = f(x)`. */
interface Activation {
  f: (x: number) => number;
  dfOfY: (y: number) => number;
}

function hardSigmoid(x: number): number {
  const y = 0.2 * x + 0.5;
  return y < 0 ? 0 : y > 1 ? 1 : y;
}
const hardSigmoidGrad = (y: number): number => (y > 0 && y < 1 ? 0.2 : 0);

const ACTIVATIONS: Record<FusedActivation, Activation> = {
  tanh: { f: Math.tanh, dfOfY: (y) => 1 - y * y },
  sigmoid: { f: (x) => 1 / (1 + Math.exp(-x)), dfOfY: (y) => y * (1 - y) },
  hardSigmoid: { f: hardSigmoid, dfOfY: hardSigmoidGrad },
  relu: { f: (x) => (x > 0 ? x : 0), dfOfY: (y) => (y > 0 ? 1 : 0) },
  relu6: { f: (x) => Math.min(6, Math.max(0, x)), dfOfY: (y) => (y > 0 && y < 6 ? 1 : 0) },
  linear: { f: (x) => x, dfOfY: () => 1 },
  elu: { f: (x) => (x > 0 ? x : Math.exp(x) - 1), dfOfY: (y) => (y > 0 ? 1 : y + 1) },
};

/** The product kernel all calls share (JavaScript is single-threaded; a call never yields). */
let sharedGemm: WasmKernel | undefined;
function kernel(): WasmKernel {
  sharedGemm ??= new WasmKernel();
  return sharedGemm;
}

/**
 * Where the recurrence keeps its operands in the kernel's memory (element offsets): the
 * recurrent kernel `[units, 3 units]` and its transpose, and per-step rows `[batch, *]`.
 */
function stepLayout(d: Dims) {
  const { batch, units: u } = d;
  const rows = batch * u;
  const r = 0, rt = 3 * u * u, h = 6 * u * u;
  const rh = h + rows, a = rh + rows, c = a + 2 * rows;
  return { r, rt, h, rh, a, c, end: c + rows };
}

/** The forward recurrence over all steps; `xw` is `[batch, nSteps, 3 units]` (z, r, h parts). */
function forward(xw: Float32Array, rk: Float32Array, d: Dims, act: Activation): Saved {
  const { batch, steps, units } = d;
  const g = 3 * units;
  const size = batch * steps * units;
  const s: Saved = {
    out: new Float32Array(size),
    z: new Float32Array(size),
    r: new Float32Array(size),
    hh: new Float32Array(size),
    rh: new Float32Array(size),
  };
  const { out, z: zs, r: rs, hh: hhs, rh: rhs } = s;
  const f = act.f;
  const k = kernel();
  const L = stepLayout(d);
  const m = k.reserve(L.end);
  m.set(rk, L.r);
  m.fill(0, L.h, L.h + batch * units);
  for (let t = 0; t < steps; t++) {
    k.gemm(L.h, L.r, L.a, batch, units, 2 * units, units, g, 2 * units); // h [Rz Rr]
    for (let b = 0; b < batch; b++) {
      const xo = (b * steps + t) * g;
      const so = (b * steps + t) * units;
      const ao = L.a + b * 2 * units;
      const ho = b * units;
      for (let j = 0; j < units; j++) {
        const z = hardSigmoid(xw[xo + j] + m[ao + j]);
        const r = hardSigmoid(xw[xo + units + j] + m[ao + units + j]);
        zs[so + j] = z;
        rs[so + j] = r;
        rhs[so + j] = m[L.rh + ho + j] = r * m[L.h + ho + j];
      }
    }
    k.gemm(L.rh, L.r + 2 * units, L.c, batch, units, units, units, g, units); // (r * h) Rh
    for (let b = 0; b < batch; b++) {
      const xo = (b * steps + t) * g + 2 * units;
      const so = (b * steps + t) * units;
      const ho = b * units;
      for (let j = 0; j < units; j++) {
        const hh = f(xw[xo + j] + m[L.c + ho + j]);
        const z = zs[so + j];
        const next = z * m[L.h + ho + j] + (1 - z) * hh;
        hhs[so + j] = hh;
        out[so + j] = next;
        m[L.h + ho + j] = next;
      }
    }
  }
  return s;
}

/** Where back-propagation through time keeps its per-step rows in the kernel's memory. */
function backLayout(d: Dims) {
  const rows = d.batch * d.units;
  const at = stepLayout(d).h;
  const dH = at, dZr = dH + rows, dRh = dZr + 2 * rows, dh = dRh + rows;
  return { rt: stepLayout(d).rt, dH, dZr, dRh, dh, end: dh + rows };
}

/**
 * Back-propagation through time: the gradient of the pre-activations `[batch, nSteps, 3 units]`
 * (the gradient of `xw`) from the gradient `dy` of the outputs.
 */
function backward(dy: Float32Array, s: Saved, rk: Float32Array, d: Dims, act: Activation): Float32Array {
  const { batch, steps, units } = d;
  const g = 3 * units;
  const dxw = new Float32Array(batch * steps * g);
  const k = kernel();
  const L = backLayout(d);
  const m = k.reserve(L.end);
  for (let i = 0; i < units; i++) {
    for (let j = 0; j < g; j++) m[L.rt + j * units + i] = rk[i * g + j]; // [3 units, units]
  }
  m.fill(0, L.dh, L.dh + batch * units);
  const dhPrev = new Float32Array(batch * units);
  for (let t = steps - 1; t >= 0; t--) {
    for (let b = 0; b < batch; b++) {
      const so = (b * steps + t) * units;
      const xo = (b * steps + t) * g;
      for (let j = 0; j < units; j++) {
        const i = so + j;
        const dOut = m[L.dh + b * units + j] + dy[i];
        const hPrev = t > 0 ? s.out[i - units] : 0;
        const z = s.z[i];
        const dPreH = dOut * (1 - z) * act.dfOfY(s.hh[i]);
        const dPreZ = dOut * (hPrev - s.hh[i]) * hardSigmoidGrad(z);
        dhPrev[b * units + j] = dOut * z;
        dxw[xo + 2 * units + j] = m[L.dH + b * units + j] = dPreH;
        dxw[xo + j] = m[L.dZr + b * 2 * units + j] = dPreZ;
      }
    }
    // gradient of r * hPrev: dPreH Rh^T, [batch, units]
    k.gemm(L.dH, L.rt + 2 * units * units, L.dRh, batch, units, units, units, units, units);
    for (let b = 0; b < batch; b++) {
      const so = (b * steps + t) * units;
      const xo = (b * steps + t) * g + units;
      for (let j = 0; j < units; j++) {
        const i = so + j;
        const dRh = m[L.dRh + b * units + j];
        const hPrev = t > 0 ? s.out[i - units] : 0;
        const dPreR = dRh * hPrev * hardSigmoidGrad(s.r[i]);
        dxw[xo + j] = m[L.dZr + b * 2 * units + units + j] = dPreR;
        dhPrev[b * units + j] += dRh * s.r[i];
      }
    }
    k.gemm(L.dZr, L.rt, L.dh, batch, 2 * units, units, 2 * units, units, units); // [dPreZ dPreR] [Rz Rr]^T
    for (let i = 0; i < dhPrev.length; i++) m[L.dh + i] += dhPrev[i];
  }
  return dxw;
}

/**
 * The gradient of the recurrent kernel `[units, 3 units]`: `hPrev^T [dPreZ dPreR]` and
 * `(r * hPrev)^T dPreH` over all steps, in the kernel's memory.
 */
function recurrentKernelGrad(dxw: Float32Array, s: Saved, d: Dims): tf.Tensor {
  const { batch, steps, units: u } = d;
  const rows = batch * steps;
  const g = 3 * u;
  const prev = 0, rh = rows * u, dPre = 2 * rows * u, dR = dPre + rows * g;
  const k = kernel();
  const m = k.reserve(dR + u * g);
  m.fill(0, prev, rh);
  for (let b = 0; b < batch; b++) {
    const o = b * steps * u;
    m.set(s.out.subarray(o, o + (steps - 1) * u), prev + o + u); // the state before each step
  }
  m.set(s.rh, rh);
  m.set(dxw, dPre);
  k.gemmTN(prev, dPre, dR, u, rows, 2 * u, u, g, g);
  k.gemmTN(rh, dPre + 2 * u, dR + 2 * u, u, rows, u, u, g, g);
  return tf.tensor2d(m.slice(dR, dR + u * g), [u, g]);
}

/**
 * The float32 values of `t` for reading right away: a view of the wasm backend's heap where it
 * offers one (no copy; valid until the next tensor operation), else `dataSync()`.
 */
function values(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as tf.KernelBackend & { typedArrayFromHeap?: (t: tf.TensorInfo) => Float32Array };
  if (t.dtype === "float32" && typeof backend.typedArrayFromHeap === "function") return backend.typedArrayFromHeap(t);
  return t.dataSync() as Float32Array;
}

/**
 * The GRU recurrence as a differentiable op: from the input projections `xw`
 * (`x W + b`, layout `[batch, nSteps, 3 units]`, parts z, r, h) and the recurrent kernel
 * `[units, 3 units]` to every step's state `[batch, nSteps, units]`, starting from zeros.
 *
 * Gates: `z = hardSigmoid(xz + h Rz)`, `r = hardSigmoid(xr + h Rr)`,
 * `hh = activation(xh + (r * h) Rh)`, `h' = z * h + (1 - z) * hh` (tfjs's `GRUCell`).
 *
 * @param activation The candidate activation.
 * @returns The op `(xw, recurrentKernel) => states`, differentiable in both inputs.
 */
export function gruSequence(
  activation: FusedActivation,
): (xw: tf.Tensor3D, recurrentKernel: tf.Tensor2D) => tf.Tensor3D {
  const act = ACTIVATIONS[activation];
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xw, recurrentKernel, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const [batch, steps, g] = xw.shape;
    const units = g / 3;
    const d: Dims = { batch, steps, units };
    save([recurrentKernel]);
    const simd = simdSupported(activation, units);
    const rk = recurrentKernel.dataSync() as Float32Array;
    const x = values(xw);
    const saved: Saved | SimdSaved = simd ? forwardSimd(x, rk, d) : forward(x, rk, d, act);
    const value = tensorOf(saved.out, [batch, steps, units]);
    const gradFunc = (dy: tf.Tensor, [kernelSaved]: tf.Tensor[]): tf.Tensor[] => {
      const rkNow = kernelSaved.dataSync() as Float32Array;
      const dyValues = values(dy);
      if (simd) {
        const { dxw, dR } = backwardSimd(dyValues, saved as SimdSaved, rkNow, d);
        return [tensorOf(dxw, [batch, steps, 3 * units]), tf.tensor2d(dR, [units, 3 * units])];
      }
      const dxw = backward(dyValues, saved as Saved, rkNow, d, act);
      return [tf.tensor3d(dxw, [batch, steps, 3 * units]), recurrentKernelGrad(dxw, saved as Saved, d)];
    };
    return { value, gradFunc };
  }) as (xw: tf.Tensor3D, recurrentKernel: tf.Tensor2D) => tf.Tensor3D;
}

/**
 * A tensor of `values`, which may be a view of the recurrence kernel's memory (`_gru_steps.ts`): the
 * wasm backend copies values into its heap as it makes the tensor, so the view is passed as it is
 * (one copy instead of a slice and a copy); other backends may keep the array itself, so they get a copy.
 */
function tensorOf(values: Float32Array, shape: number[]): tf.Tensor {
  return tf.tensor(tf.getBackend() === "wasm" ? values : values.slice(), shape, "float32");
}

/** The candidate activations as tfjs ops, for {@linkcode gruSequenceWithOps}. */
const ACTIVATION_OPS: Record<FusedActivation, (x: tf.Tensor) => tf.Tensor> = {
  tanh: tf.tanh,
  sigmoid: tf.sigmoid,
  hardSigmoid: (x) => tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1),
  relu: tf.relu,
  relu6: tf.relu6,
  linear: (x) => x,
  elu: tf.elu,
};

/**
 * The same recurrence as {@linkcode gruSequence}, step by step with tfjs ops (tfjs's autodiff
 * takes the gradients). For backends whose data cannot be read synchronously (webgpu): the
 * fused op reads every step's values on the CPU.
 *
 * @param xw The input projection of every step, `[batch, nSteps, 3 * units]` (gates z, r, h).
 * @param recurrentKernel `[units, 3 * units]`.
 * @param activation The candidate activation.
 * @returns Every step's state, `[batch, nSteps, units]`.
 */
export function gruSequenceWithOps(
  xw: tf.Tensor3D,
  recurrentKernel: tf.Tensor2D,
  activation: FusedActivation,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [batch, , g] = xw.shape;
    const units = g / 3;
    const act = ACTIVATION_OPS[activation];
    const gate = ACTIVATION_OPS.hardSigmoid;
    const rZr = tf.slice(recurrentKernel, [0, 0], [units, 2 * units]);
    const rH = tf.slice(recurrentKernel, [0, 2 * units], [units, units]);
    let h: tf.Tensor = tf.zeros([batch, units]);
    const states: tf.Tensor[] = [];
    for (const x of tf.unstack(xw, 1)) {
      const [xz, xr, xh] = tf.split(x, 3, 1);
      const [hz, hr] = tf.split(tf.matMul(h, rZr), 2, 1);
      const z = gate(tf.add(xz, hz));
      const r = gate(tf.add(xr, hr));
      const candidate = act(tf.add(xh, tf.matMul(tf.mul(r, h), rH)));
      h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), candidate));
      states.push(h);
    }
    return tf.stack(states, 1) as tf.Tensor3D;
  });
}
