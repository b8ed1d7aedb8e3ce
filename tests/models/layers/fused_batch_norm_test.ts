import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertEquals } from "@std/assert";
import {
  deferredBatchNormInputGradients,
  fuseBatchNormTraining,
  fusedBatchNormCalls,
  setDeferredBatchNormInputGradient,
} from "../../../models/layers/_fused_batch_norm.ts";
import { Random } from "../../../core/random.ts";
import { setupBackend } from "../../../backends/backend.ts";
import { weightBitsAfterSteps } from "../../training/_weight_bits_after_steps.ts";
import { registerWasmTrainingKernels } from "../../../backends/kernels/mod.ts";
import {
  channelKernels,
  FIELD,
  PAIR_BLOCK,
  setColumnBatchNormSums,
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

Deno.test("wasm: the deferred input gradient and the paired loops of the fused BatchNorm give the eager one-channel pass's weights bit for bit (spectral: dx never computed; cascade: computed)", async () => {
  await setupBackend("wasm");
  const previous = [setDeferredBatchNormInputGradient(false), setPairedBatchNorm(false)];
  const set = (on: boolean) => [setDeferredBatchNormInputGradient(on), setPairedBatchNorm(on)];
  try {
    for (const [name, computed] of [["spectral", false], ["cascade", true]] as const) {
      set(false);
      const eager = await stepBits(name);
      set(true);
      const before = deferredBatchNormInputGradients();
      const deferred = await stepBits(name);
      const after = deferredBatchNormInputGradients();
      assert(after.deferred > before.deferred, `${name}: deferred`);
      assertEquals(after.computed > before.computed, computed, `${name}: computed ${after.computed - before.computed}`);
      assertEquals(deferred.length, eager.length);
      eager.forEach((bits, i) => assertEquals(deferred[i], bits, `${name}: weight ${i}`));
    }
  } finally {
    setDeferredBatchNormInputGradient(previous[0]);
    setPairedBatchNorm(previous[1]);
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
    for (const shape of [[32, 1240], [48, 5, 5, 16], [6, 2]]) {
      assertSameBitsBothWays(shape, 5, setPairedBatchNorm);
    }
  } finally {
    setPairedBatchNorm(previous);
  }
});

Deno.test("wasm: the column-order paired sums give the row-order paired loops' output, statistics and gradients bit for bit", async () => {
  await setupBackend("wasm");
  const previous = [setPairedBatchNorm(true), setColumnBatchNormSums(true)];
  try {
    // whole groups of four pairs, groups and left-over pairs, one pair, channels of a 4-D input
    for (const shape of [[32, 1240], [7, 22], [3, 2], [48, 5, 5, 16], [9, 14]]) {
      assertSameBitsBothWays(shape, 6, setColumnBatchNormSums);
    }
    for (const name of ["spectral", "cascade"]) {
      setColumnBatchNormSums(false);
      const rows = await stepBits(name);
      setColumnBatchNormSums(true);
      const columnBits = await stepBits(name);
      rows.forEach((bits, i) => assertEquals(columnBits[i], bits, `${name}: weight ${i}`));
    }
  } finally {
    setPairedBatchNorm(previous[0]);
    setColumnBatchNormSums(previous[1]);
  }
});

Deno.test("wasm: the column-order loops leave the row-order loops' float64 records and float32 outputs bit for bit", async () => {
  await setupBackend("wasm");
  const kernels = channelKernels()!;
  const backend = tf.backend() as unknown as { typedArrayFromHeap(t: tf.TensorInfo): Float32Array };
  for (const [rows, channels] of [[32, 1240], [7, 22], [3, 2], [1200, 16], [9, 14]]) {
    const random = new Random(rows * channels);
    const values = () => Float32Array.from({ length: rows * channels }, () => 3 * random.normal() + 1);
    const [x, dy] = [tf.tensor1d(values()), tf.tensor1d(values())];
    const pairs = channels / 2;
    /** Records after `sums`, then (means and inverse deviations set) `squares` and `gradientSums`. */
    const run = (columns: boolean) => {
      const scratch = tf.zeros([(pairs * PAIR_BLOCK) / 4 + 2]);
      const heap = backend.typedArrayFromHeap(scratch);
      const address = Math.ceil(heap.byteOffset / 8) * 8;
      const records = new Float64Array(heap.buffer, address, (pairs * PAIR_BLOCK) / 8);
      const [px, pdy] = [x, dy].map((t) => backend.typedArrayFromHeap(t).byteOffset);
      const n = rows * channels;
      (columns ? kernels.sumsColumns2 : kernels.sums2)(px, n, channels, address);
      for (let c = 0; c < channels; c++) {
        const base = (c >> 1) * (PAIR_BLOCK / 8) + (c & 1);
        records[base + FIELD.mean / 4] = records[base + FIELD.sum / 4] / rows;
        records[base + FIELD.invStd / 4] = 1 / (1 + (c % 5));
      }
      (columns ? kernels.squaresColumns2 : kernels.squares2)(px, n, channels, address);
      (columns ? kernels.gradientSumsColumns2 : kernels.gradientSums2)(pdy, px, n, channels, address);
      const bits = Array.from(new Uint32Array(records.slice().buffer));
      // the elementwise loops: y = x scale + shift, dx = k ((dy - meanDy) - xhat meanDyXhat)
      for (let c = 0; c < channels; c++) {
        const base = (c >> 1) * (PAIR_BLOCK / 8) + (c & 1);
        const at = (field: number) => base + field / 4;
        records[at(FIELD.scale)] = 0.5 + c / channels;
        records[at(FIELD.shift)] = records[at(FIELD.mean)];
        records[at(FIELD.k)] = records[at(FIELD.invStd)] * 1.25;
        records[at(FIELD.meanDy)] = records[at(FIELD.sumDy)] / rows;
        records[at(FIELD.meanDyXhat)] = records[at(FIELD.sumDyXhat)] / rows;
      }
      const [y, dx] = [tf.zeros([n]), tf.zeros([n])];
      const heapOf = (t: tf.Tensor) => backend.typedArrayFromHeap(t).byteOffset;
      (columns ? kernels.normaliseColumns2 : kernels.normalise2)(px, heapOf(y), n, channels, address);
      (columns ? kernels.gradientColumns2 : kernels.gradient2)(pdy, px, heapOf(dx), n, channels, address);
      const outputs = [y, dx].map((t) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer)));
      tf.dispose([scratch, y, dx]);
      return [bits, ...outputs];
    };
    const [columns, rowOrder] = [run(true), run(false)];
    ["records", "y", "dx"].forEach((what, i) =>
      assertEquals(columns[i], rowOrder[i], `[${rows}, ${channels}] ${what}`)
    );
    tf.dispose([x, dy]);
  }
});
