import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assertEquals } from "@std/assert";
import { fusedDenseCalls, fuseDenseTraining, setFusedDense } from "../../../models/layers/_fused_dense.ts";
import { setupBackend } from "../../../backends/backend.ts";
import { MODEL_RECIPES } from "../../../training/model_recipes.ts";
import { BENCH_VARIANTS } from "../../../bench/train.ts";
import { weightBitsAfterSteps } from "../../training/_weight_bits_after_steps.ts";
import { offAndOn } from "./_off_and_on.ts";

type DenseArgs = Parameters<typeof tfl.layers.dense>[0];

/** Bits of the output and of the gradients of `sum(output * mix)` for the input and every weight of a dense layer. */
function denseBits(args: DenseArgs, shape: number[], seed: number): number[][] {
  return tf.tidy(() => {
    const layer = fuseDenseTraining(tfl.layers.dense(args));
    layer.build(shape);
    // non-zero biases, so that every gradient path carries values
    layer.setWeights(layer.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.5, "float32", seed + i)));
    const x = tf.randomNormal(shape, 0, 1, "float32", seed + 10);
    const mix = tf.randomNormal([...shape.slice(0, -1), args.units], 0, 1, "float32", seed + 11);
    const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const f = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, mix)) as tf.Scalar;
    const { grads } = tf.variableGrads(() => f(x), variables);
    const dx = tf.grad(f)(x);
    const out = layer.apply(x) as tf.Tensor;
    return [out, dx, ...variables.map((v) => grads[v.name])].map((t) =>
      Array.from(new Uint32Array(t.dataSync().buffer))
    );
  });
}

const CASES: [string, DenseArgs, number[]][] = [
  ["linear with bias, rank 3 (mlp_output)", { units: 6, name: "a" }, [4, 5, 7]],
  ["gelu with bias, rank 3 (mlp_hidden)", { units: 8, activation: "gelu", name: "b" }, [4, 5, 7]],
  ["softmax with bias, rank 2 (classifier)", { units: 4, activation: "softmax", name: "c" }, [9, 7]],
  ["no bias, rank 4 (cell filters)", { units: 8, useBias: false, name: "d" }, [2, 3, 40, 9]],
  ["tanh with bias, rank 5", { units: 3, activation: "tanh", name: "e" }, [2, 2, 3, 2, 5]],
];

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`${backend}: a fused dense layer gives tfjs-layers' output and gradients bit for bit`, async () => {
    await setupBackend(backend);
    for (const [label, args, shape] of CASES) {
      const { off, on, calls } = await offAndOn(setFusedDense, fusedDenseCalls, () => denseBits(args, shape, 3));
      // one fused pass per call under a tape: variableGrads and grad (the plain apply records no tape)
      assertEquals(calls, [0, 2], label);
      on.forEach((bits, i) => assertEquals(bits, off[i], `${label}: tensor ${i}`));
    }
  });
}

Deno.test("a fused dense layer leaves relu, elu, unmarked layers and inference to tfjs-layers", async () => {
  await setupBackend("cpu");
  const before = fusedDenseCalls();
  tf.tidy(() => {
    const x = tf.ones([2, 3, 4]);
    for (const activation of ["relu", "elu"] as const) {
      const layer = fuseDenseTraining(tfl.layers.dense({ units: 2, activation }));
      tf.grad((input: tf.Tensor) => tf.sum(layer.apply(input) as tf.Tensor))(x);
    }
    const plain = tfl.layers.dense({ units: 2 });
    tf.grad((input: tf.Tensor) => tf.sum(plain.apply(input) as tf.Tensor))(x);
    fuseDenseTraining(tfl.layers.dense({ units: 2 })).apply(x);
  });
  assertEquals(fusedDenseCalls() - before, 0);
});

Deno.test("wasm: training steps of vivit (cross, intra and wide networks) with fused dense layers give the same weights bit for bit", async () => {
  await setupBackend("wasm");
  // fused dense layers per forward pass: cross (the defaults) 2 x 2 MLP layers and the classifier (its spatial
  // filters before the FIR filters are a plain Dense); intra cell filters, spatial filters and those; wide 2 x 2 more
  // MLP layers and the tubelet energies
  const intra = { ...MODEL_RECIPES.vivit.intra?.modelOptions };
  for (const [options, layers] of [[{}, 5], [intra, 7], [BENCH_VARIANTS.vivit_wide.options, 10]] as const) {
    const { off, on, calls } = await offAndOn(
      setFusedDense,
      fusedDenseCalls,
      () => weightBitsAfterSteps("vivit", 3, options),
    );
    assertEquals(calls, [0, 3 * layers], JSON.stringify(options));
    assertEquals(on.length, off.length);
    on.forEach((bits, i) =>
      assertEquals(Array.from(bits), Array.from(off[i]), `${JSON.stringify(options)} weight ${i}`)
    );
  }
});
