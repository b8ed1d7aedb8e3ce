import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertEquals } from "@std/assert";
import {
  batchNormTraining,
  deferredBatchNormInputGradients,
  fuseBatchNormTraining,
  fusedBatchNormCalls,
} from "../../../models/layers/_fused_batch_norm.ts";
import { Random } from "../../../core/random.ts";
import { setupBackend } from "../../../backends/backend.ts";
import { weightBitsAfterSteps } from "../../training/_weight_bits_after_steps.ts";
import { registerWasmTrainingKernels } from "../../../backends/kernels/mod.ts";
import {
  channelKernels,
  channelLayout,
  type FIELD,
  RECORD,
  setPairedBatchNorm,
} from "../../../models/layers/_channel_kernels_wasm.ts";

registerWasmTrainingKernels();

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assertEquals(actual.length, expected.length, what);
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    assert(err <= tol * (1 + Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} against ${expected[i]}`);
  }
}

/** Output, gradients (input, gamma, beta) and moving statistics of one training pass. */
function pass(fused: boolean, x: tf.Tensor, dy: tf.Tensor, momentum: number) {
  const layer = tfl.layers.batchNormalization({ axis: -1, momentum, name: fused ? "fused" : "stock" });
  if (fused) fuseBatchNormTraining(layer);
  layer.build(x.shape);
  const [gamma, beta] = [layer.getWeights()[0], layer.getWeights()[1]];
  layer.setWeights([
    tf.add(gamma, tf.randomUniform(gamma.shape, -0.5, 0.5, "float32", 3)),
    tf.randomUniform(beta.shape, -1, 1, "float32", 4),
    tf.randomUniform(beta.shape, -1, 1, "float32", 5),
    tf.randomUniform(beta.shape, 0.5, 2, "float32", 6),
  ]);
  const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const f = (input: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    void g, b;
    return tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, dy)) as tf.Scalar;
  };
  const y = (layer.apply(x, { training: false }) as tf.Tensor).dataSync();
  const trained = tf.tidy(() => (layer.apply(x, { training: true }) as tf.Tensor).dataSync());
  const moving = layer.getWeights().slice(2).map((w) => w.dataSync());
  const grads = tf.grads(f)([x, variables[0], variables[1]]).map((g) => g.dataSync());
  return { y, trained, moving, grads };
}

for (const backend of ["cpu", "wasm"]) {
  for (const shape of [[32, 1240], [48, 5, 5, 16], [7, 3], [32, 5, 400, 8]]) {
    Deno.test(`${backend}: a fused BatchNormalization [${shape}] trains as tfjs's: output, gradients of input, gamma and beta, moving mean and variance`, async () => {
      await tf.setBackend(backend);
      // wasm runs the WebAssembly loops in its heap, cpu the JavaScript loops
      assertEquals(channelKernels() !== null, backend === "wasm");
      const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, "float32", 1), 3), 0.7);
      const dy = tf.randomNormal(shape, 0, 1, "float32", 2);
      const before = fusedBatchNormCalls();
      const fused = pass(true, x, dy, 0.9);
      assertEquals(fusedBatchNormCalls() - before, 2, "the fused pass did not run");
      const stock = pass(false, x, dy, 0.9);
      assertEquals(fusedBatchNormCalls() - before, 2, "the stock layer ran the fused pass");
      assertClose(fused.y, stock.y, 0, "inference output");
      assertClose(fused.trained, stock.trained, 2e-5, "training output");
      assertClose(fused.moving[0], stock.moving[0], 1e-6, "moving mean");
      assertClose(fused.moving[1], stock.moving[1], 1e-5, "moving variance");
      ["input", "gamma", "beta"].forEach((what, i) =>
        assertClose(fused.grads[i], stock.grads[i], 2e-4, `${what} gradient`)
      );
      tf.dispose([x, dy]);
    });
  }
}

/** Every weight's bits after three seeded Adam steps of registered model `name` (wasm, the bench's batch). */
function stepBits(name: string): Promise<Uint32Array[]> {
  return weightBitsAfterSteps(name, 3);
}

/**
 * The BatchNorm statistics and gradient written out plainly, per channel, rows first to last, in float64 as the
 * wasm loops compute them: `mean = sum / rows`, `invStd = 1 / sqrt(squares / rows + epsilon)`, `dgamma =
 * sum(dy ((x - mean) invStd))`, `dbeta = sum(dy)`, `dx = gamma invStd ((dy - meanDy) - ((x - mean) invStd)
 * meanDyXhat)` rounded to float32.
 */
function referenceGradient({ x, dy, rows, channels }: Columns, gamma: Float32Array, epsilon: number) {
  const [dx, dgamma, dbeta] = [new Float32Array(x.length), new Float32Array(channels), new Float32Array(channels)];
  for (let c = 0; c < channels; c++) {
    const column = Array.from({ length: rows }, (_, r) => r * channels + c);
    let [sum, squares, sumDy, sumDyXhat] = [0, 0, 0, 0];
    for (const i of column) sum += x[i];
    const mean = sum / rows;
    for (const i of column) squares += (x[i] - mean) * (x[i] - mean);
    const invStd = 1 / Math.sqrt(squares / rows + epsilon);
    for (const i of column) {
      sumDy += dy[i];
      sumDyXhat += dy[i] * ((x[i] - mean) * invStd);
    }
    const [k, meanDy, meanDyXhat] = [gamma[c] * invStd, sumDy / rows, sumDyXhat / rows];
    for (const i of column) dx[i] = k * ((dy[i] - meanDy) - ((x[i] - mean) * invStd) * meanDyXhat);
    [dgamma[c], dbeta[c]] = [sumDyXhat, sumDy];
  }
  return [dx, dgamma, dbeta];
}

Deno.test("wasm: the fused BatchNorm defers its input gradient and gives a plain JavaScript gradient's dx, dgamma and dbeta bit for bit", async () => {
  await setupBackend("wasm");
  for (const [rows, channels] of [[32, 1240], [7, 22], [9, 7]]) {
    const random = new Random(rows + channels);
    const values = (scale: number, shift: number) =>
      Float32Array.from({ length: rows * channels }, () => scale * random.normal() + shift);
    const data = { x: values(3, 1), dy: values(1, 0), rows, channels };
    const gamma = Float32Array.from({ length: channels }, () => 1 + 0.3 * random.normal());
    const [x, dy] = [tf.tensor2d(data.x, [rows, channels]), tf.tensor2d(data.dy, [rows, channels])];
    const [g, b] = [tf.tensor1d(gamma), tf.zeros([channels]) as tf.Tensor1D];
    const before = deferredBatchNormInputGradients();
    const f = (input: tf.Tensor, gs: tf.Tensor, bs: tf.Tensor) =>
      tf.sum(tf.mul(batchNormTraining(input, gs as tf.Tensor1D, bs as tf.Tensor1D, 1e-3).y, dy)) as tf.Scalar;
    const grads = tf.grads(f)([x, g, b]);
    const middle = deferredBatchNormInputGradients();
    assertEquals(middle.deferred - before.deferred, 1, "deferred");
    assertEquals(middle.computed - before.computed, 0, "computed before read");
    const [dx, dgamma, dbeta] = grads.map((t) => t.dataSync() as Float32Array);
    assertEquals(deferredBatchNormInputGradients().computed - before.computed, 1, "computed when read");
    const [refDx, refDgamma, refDbeta] = referenceGradient(data, gamma, 1e-3);
    const bits = (v: Float32Array) => Array.from(new Uint32Array(v.slice().buffer));
    assertEquals(bits(dx), bits(refDx), `[${rows}, ${channels}] dx`);
    assertEquals(bits(dgamma), bits(refDgamma), `[${rows}, ${channels}] dgamma`);
    assertEquals(bits(dbeta), bits(refDbeta), `[${rows}, ${channels}] dbeta`);
    tf.dispose([x, dy, g, b, ...grads]);
  }
});

Deno.test("wasm: a model step defers the fused BatchNorm's input gradients; spectral never computes dx (its BatchNorm sees the input), cascade does", async () => {
  await setupBackend("wasm");
  for (const [name, computed] of [["spectral", false], ["cascade", true]] as const) {
    const before = deferredBatchNormInputGradients();
    await stepBits(name);
    const after = deferredBatchNormInputGradients();
    assert(after.deferred > before.deferred, `${name}: deferred`);
    assertEquals(after.computed > before.computed, computed, `${name}: computed ${after.computed - before.computed}`);
  }
});

/**
 * A training pass of the fused BatchNorm on seeded `x` and `dy` of `shape` with a loop switch
 * on, then off: the output, moving statistics and gradients must be the same bits.
 */
function assertSameBitsBothWays(shape: number[], seed: number, set: (on: boolean) => unknown): void {
  const results = [true, false].map((on) => {
    set(on);
    const random = new Random(seed);
    const x = tf.tensor(
      Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => 3 * random.normal() + 1),
      shape,
    );
    const dy = tf.tensor(Float32Array.from({ length: x.size }, () => random.normal()), shape);
    const { trained, moving, grads } = pass(true, x, dy, 0.9);
    tf.dispose([x, dy]);
    return [trained, ...moving, ...grads].map((v) => new Uint32Array(Float32Array.from(v).buffer));
  });
  results[1].forEach((bits, i) => assertEquals(results[0][i], bits, `[${shape}]: output ${i}`));
}

Deno.test("wasm: the paired BatchNorm loops give the one-channel loops' training output, moving statistics and input, gamma and beta gradients bit for bit", async () => {
  await setupBackend("wasm");
  const previous = setPairedBatchNorm(true);
  try {
    // whole groups of four pairs, groups and left-over pairs, one pair, channels of a 4-D input
    for (const shape of [[32, 1240], [48, 5, 5, 16], [6, 2], [7, 22], [3, 2], [9, 14]]) {
      assertSameBitsBothWays(shape, 5, setPairedBatchNorm);
    }
  } finally {
    setPairedBatchNorm(previous);
  }
});

/** One channel's values as the loops see them: rows of `channels` values, channels last. */
interface Columns {
  x: Float32Array;
  dy: Float32Array;
  rows: number;
  channels: number;
}

/**
 * The BatchNorm loops written out plainly in JavaScript, per channel `c`, rows first to last, in float64 as
 * the loops do (JavaScript never fuses a multiply and an add): `sum += x`; `squares += (x - mean)^2`;
 * `sumDy += dy`, `sumDyXhat += dy ((x - mean) invStd)`; `y = x scale + shift` and
 * `dx = k ((dy - meanDy) - ((x - mean) invStd) meanDyXhat)` rounded to float32. `set(c)` gives the constants
 * the test writes into channel `c`'s record between the loops.
 */
function referenceLoops(
  { x, dy, rows, channels }: Columns,
  set: (c: number, r: { sum: number; sumDy: number; sumDyXhat: number }) => Record<string, number>,
) {
  const records: Record<string, number>[] = [];
  const [y, dx] = [new Float32Array(x.length), new Float32Array(x.length)];
  for (let c = 0; c < channels; c++) {
    let [sum, squares, sumDy, sumDyXhat] = [0, 0, 0, 0];
    for (let r = 0; r < rows; r++) sum += x[r * channels + c];
    const { mean, invStd } = set(c, { sum, sumDy, sumDyXhat });
    for (let r = 0; r < rows; r++) squares += (x[r * channels + c] - mean) * (x[r * channels + c] - mean);
    for (let r = 0; r < rows; r++) {
      const i = r * channels + c;
      sumDy += dy[i];
      sumDyXhat += dy[i] * ((x[i] - mean) * invStd);
    }
    const k = set(c, { sum, sumDy, sumDyXhat });
    for (let r = 0; r < rows; r++) {
      const i = r * channels + c;
      y[i] = x[i] * k.scale + k.shift;
      dx[i] = k.k * ((dy[i] - k.meanDy) - ((x[i] - mean) * invStd) * k.meanDyXhat);
    }
    records.push({ sum, squares, mean, invStd, sumDy, sumDyXhat });
  }
  return { records, y, dx };
}

/** The constants the test writes into channel `c`'s record: some from the sums so far, some made up. */
function constantsFor(c: number, channels: number, rows: number, r: { sum: number; sumDy: number; sumDyXhat: number }) {
  const [mean, invStd] = [r.sum / rows, 1 / (1 + (c % 5))];
  const [scale, shift, k] = [0.5 + c / channels, mean, invStd * 1.25];
  return { mean, invStd, scale, shift, k, meanDy: r.sumDy / rows, meanDyXhat: r.sumDyXhat / rows };
}

/** The wasm loops of {@linkcode channelLayout} over `data`: the records they leave and their `y` and `dx`. */
function wasmLoops({ x, dy, rows, channels }: Columns) {
  const layout = channelLayout(channelKernels()!, channels);
  const backend = tf.backend() as unknown as { typedArrayFromHeap(t: tf.TensorInfo): Float32Array };
  const [tx, tdy, y, dx] = [tf.tensor1d(x), tf.tensor1d(dy), tf.zeros([x.length]), tf.zeros([x.length])];
  const scratch = tf.zeros([(channels * RECORD) / 4 + 2]);
  const heapOf = (t: tf.Tensor) => backend.typedArrayFromHeap(t).byteOffset;
  const heap = backend.typedArrayFromHeap(scratch);
  const address = Math.ceil(heap.byteOffset / 8) * 8;
  const records = new Float64Array(heap.buffer, address, (channels * RECORD) / 8);
  const at = (c: number, f: keyof typeof FIELD) => layout.base(c) + layout.field[f];
  const write = (c: number, values: Record<string, number>) =>
    Object.entries(values).forEach(([f, v]) => records[at(c, f as keyof typeof FIELD)] = v);
  const sums = (c: number) => ({
    sum: records[at(c, "sum")],
    sumDy: records[at(c, "sumDy")],
    sumDyXhat: records[at(c, "sumDyXhat")],
  });
  const n = x.length;
  layout.sums(heapOf(tx), n, channels, address);
  for (let c = 0; c < channels; c++) write(c, constantsFor(c, channels, rows, sums(c)));
  layout.squares(heapOf(tx), n, channels, address);
  layout.gradientSums(heapOf(tdy), heapOf(tx), n, channels, address);
  for (let c = 0; c < channels; c++) write(c, constantsFor(c, channels, rows, sums(c)));
  layout.normalise(heapOf(tx), heapOf(y), n, channels, address);
  layout.gradient(heapOf(tdy), heapOf(tx), heapOf(dx), n, channels, address);
  const fields = ["sum", "squares", "mean", "invStd", "sumDy", "sumDyXhat"] as const;
  const out = Array.from({ length: channels }, (_, c) => Object.fromEntries(fields.map((f) => [f, records[at(c, f)]])));
  const result = { records: out, y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array };
  tf.dispose([tx, tdy, y, dx, scratch]);
  return result;
}

Deno.test("wasm: the BatchNorm loops (paired column-order where the channels are even, one-channel where odd) leave a plain JavaScript loop's float64 records and float32 outputs bit for bit", async () => {
  await setupBackend("wasm");
  // whole groups of four pairs, groups and left-over pairs, one pair, many rows; odd counts: the one-channel loops
  for (const [rows, channels] of [[32, 1240], [7, 22], [3, 2], [1200, 16], [9, 14], [9, 7], [5, 1]]) {
    const random = new Random(rows * channels);
    const values = () => Float32Array.from({ length: rows * channels }, () => 3 * random.normal() + 1);
    const data = { x: values(), dy: values(), rows, channels };
    const wasm = wasmLoops(data);
    const reference = referenceLoops(data, (c, r) => constantsFor(c, channels, rows, r));
    const bits = (v: Float32Array) => Array.from(new Uint32Array(v.slice().buffer));
    assertEquals(wasm.records, reference.records, `[${rows}, ${channels}] records`);
    assertEquals(bits(wasm.y), bits(reference.y), `[${rows}, ${channels}] y`);
    assertEquals(bits(wasm.dx), bits(reference.dx), `[${rows}, ${channels}] dx`);
  }
});
