/**
 * The recurrence of a GRU (tfjs/Keras `reset_after: false`, hard-sigmoid gates) as one
 * differentiable op with its own back-propagation through time.
 *
 * The element-wise work of every step runs on typed arrays; the only tensor ops per step
 * are the two small products with the recurrent kernel (`[batch, units] x [units, 2 units]`
 * and `[batch, units] x [units, units]`), so no tape node, gradient closure or
 * intermediate tensor is made per step. The gradient of the recurrent kernel is two
 * products over all steps at once, after the loop.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";

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

/**
 * `a` `[rows, k]` (a typed array) times the tensor `w` `[k, n]`, as a typed array `[rows, n]`.
 * Calls the backend's `BatchMatMul` kernel directly: no engine tensor, scope or tape entry is
 * made for these per-step products (~15-25 % less time per call on wasm than `tf.matMul`).
 */
function matMulRows(a: Float32Array, rows: number, w: tf.Tensor2D): Float32Array {
  const backend = tf.backend();
  const kernel = tf.getKernel(tf.BatchMatMul, tf.getBackend());
  if (kernel === undefined) {
    return tf.tidy(() => tf.matMul(tf.tensor2d(a, [rows, w.shape[0]]), w).dataSync() as Float32Array);
  }
  const aInfo: tf.TensorInfo = {
    dataId: backend.write(a, [rows, w.shape[0]], "float32"),
    shape: [rows, w.shape[0]],
    dtype: "float32",
  };
  const wInfo: tf.TensorInfo = { dataId: w.dataId, shape: w.shape, dtype: w.dtype };
  const attrs = { transposeA: false, transposeB: false } as unknown as tf.NamedAttrMap;
  const result = kernel.kernelFunc({ inputs: { a: aInfo, b: wInfo }, backend, attrs });
  const out = Array.isArray(result) ? result[0] : result;
  const values = Float32Array.from(backend.readSync(out.dataId) as Float32Array);
  backend.disposeData(aInfo.dataId);
  backend.disposeData(out.dataId);
  return values;
}

/** What the forward pass keeps for the backward pass, layout `[batch, nSteps, units]` each. */
interface Saved {
  out: Float32Array;
  z: Float32Array;
  r: Float32Array;
  hh: Float32Array;
  rh: Float32Array;
}

/** Dimensions of one call. */
interface Dims {
  batch: number;
  steps: number;
  units: number;
}

/** The forward recurrence over all steps; `xw` is `[batch, nSteps, 3 units]` (z, r, h parts). */
function forward(xw: Float32Array, rZr: tf.Tensor2D, rH: tf.Tensor2D, d: Dims, act: Activation): Saved {
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
  const h = new Float32Array(batch * units);
  const rhStep = new Float32Array(batch * units);
  for (let t = 0; t < steps; t++) {
    const a = matMulRows(h, batch, rZr); // [batch, 2 units]
    for (let b = 0; b < batch; b++) {
      const xo = (b * steps + t) * g;
      const so = (b * steps + t) * units;
      const ao = b * 2 * units;
      const ho = b * units;
      for (let j = 0; j < units; j++) {
        const z = hardSigmoid(xw[xo + j] + a[ao + j]);
        const r = hardSigmoid(xw[xo + units + j] + a[ao + units + j]);
        zs[so + j] = z;
        rs[so + j] = r;
        rhs[so + j] = rhStep[ho + j] = r * h[ho + j];
      }
    }
    const c = matMulRows(rhStep, batch, rH); // [batch, units]
    for (let b = 0; b < batch; b++) {
      const xo = (b * steps + t) * g + 2 * units;
      const so = (b * steps + t) * units;
      const ho = b * units;
      for (let j = 0; j < units; j++) {
        const hh = f(xw[xo + j] + c[ho + j]);
        const z = zs[so + j];
        const next = z * h[ho + j] + (1 - z) * hh;
        hhs[so + j] = hh;
        out[so + j] = next;
        h[ho + j] = next;
      }
    }
  }
  return s;
}

/**
 * Back-propagation through time: the gradient of the pre-activations `[batch, nSteps, 3 units]`
 * (the gradient of `xw`) from the gradient `dy` of the outputs.
 */
function backward(dy: Float32Array, s: Saved, rZrT: tf.Tensor2D, rHT: tf.Tensor2D, d: Dims, act: Activation) {
  const { batch, steps, units } = d;
  const g = 3 * units;
  const dxw = new Float32Array(batch * steps * g);
  let dh: Float32Array = new Float32Array(batch * units);
  const dhPrev = new Float32Array(batch * units);
  const dHStep = new Float32Array(batch * units);
  const dZrStep = new Float32Array(batch * 2 * units);
  for (let t = steps - 1; t >= 0; t--) {
    for (let b = 0; b < batch; b++) {
      const so = (b * steps + t) * units;
      const xo = (b * steps + t) * g;
      for (let j = 0; j < units; j++) {
        const i = so + j;
        const dOut = dh[b * units + j] + dy[i];
        const hPrev = t > 0 ? s.out[i - units] : 0;
        const z = s.z[i];
        const dPreH = dOut * (1 - z) * act.dfOfY(s.hh[i]);
        const dPreZ = dOut * (hPrev - s.hh[i]) * hardSigmoidGrad(z);
        dhPrev[b * units + j] = dOut * z;
        dxw[xo + 2 * units + j] = dHStep[b * units + j] = dPreH;
        dxw[xo + j] = dZrStep[b * 2 * units + j] = dPreZ;
      }
    }
    const dRh = matMulRows(dHStep, batch, rHT); // gradient of r * hPrev, [batch, units]
    for (let b = 0; b < batch; b++) {
      const so = (b * steps + t) * units;
      const xo = (b * steps + t) * g + units;
      for (let j = 0; j < units; j++) {
        const i = so + j;
        const hPrev = t > 0 ? s.out[i - units] : 0;
        const dPreR = dRh[b * units + j] * hPrev * hardSigmoidGrad(s.r[i]);
        dxw[xo + j] = dZrStep[b * 2 * units + units + j] = dPreR;
        dhPrev[b * units + j] += dRh[b * units + j] * s.r[i];
      }
    }
    dh = matMulRows(dZrStep, batch, rZrT); // [batch, units]
    for (let k = 0; k < dh.length; k++) dh[k] += dhPrev[k];
  }
  return dxw;
}

/** The previous state of every step, `[batch * nSteps, units]` (zeros before the first step). */
function previousStates(out: Float32Array, d: Dims): Float32Array {
  const { batch, steps, units } = d;
  const prev = new Float32Array(out.length);
  for (let b = 0; b < batch; b++) {
    const o = b * steps * units;
    prev.set(out.subarray(o, o + (steps - 1) * units), o + units);
  }
  return prev;
}

/** The gradient of the recurrent kernel `[units, 3 units]`: two products over all steps. */
function recurrentKernelGrad(dxw: Float32Array, s: Saved, d: Dims): tf.Tensor {
  return tf.tidy(() => {
    const rows = d.batch * d.steps;
    const u = d.units;
    const dPre = tf.tensor2d(dxw, [rows, 3 * u]);
    const prev = tf.tensor2d(previousStates(s.out, d), [rows, u]);
    const rh = tf.tensor2d(s.rh, [rows, u]);
    const dZr = tf.matMul(prev, tf.slice(dPre, [0, 0], [rows, 2 * u]), true, false);
    const dH = tf.matMul(rh, tf.slice(dPre, [0, 2 * u], [rows, u]), true, false);
    return tf.concat([dZr, dH], 1);
  });
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
    const rk = recurrentKernel as tf.Tensor2D;
    save([rk]);
    const rZr = tf.slice(rk, [0, 0], [units, 2 * units]);
    const rH = tf.slice(rk, [0, 2 * units], [units, units]);
    const saved = forward(xw.dataSync() as Float32Array, rZr, rH, d, act);
    rZr.dispose();
    rH.dispose();
    const value = tf.tensor3d(saved.out, [batch, steps, units]);
    const gradFunc = (dy: tf.Tensor, [rk]: tf.Tensor[]): tf.Tensor[] => {
      const [rZrT, rHT] = tf.tidy(() => [
        tf.transpose(tf.slice(rk, [0, 0], [units, 2 * units])) as tf.Tensor2D,
        tf.transpose(tf.slice(rk, [0, 2 * units], [units, units])) as tf.Tensor2D,
      ]);
      const dxw = backward(dy.dataSync() as Float32Array, saved, rZrT, rHT, d, act);
      rZrT.dispose();
      rHT.dispose();
      return [tf.tensor3d(dxw, [batch, steps, 3 * units]), recurrentKernelGrad(dxw, saved, d)];
    };
    return { value, gradFunc };
  }) as (xw: tf.Tensor3D, recurrentKernel: tf.Tensor2D) => tf.Tensor3D;
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
