import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { denseGelu, FusedGelu, gelu } from "../../../models/layers/fused_gelu.ts";

await tf.setBackend("cpu");

/** tfjs-layers' `"gelu"` activation. */
function stockGelu(x: tf.Tensor): tf.Tensor {
  return (tfl.layers.activation({ activation: "gelu" }).apply(x) as tf.Tensor);
}

function assertClose(a: tf.Tensor, b: tf.Tensor, tolerance: number, what: string): void {
  assertEquals(a.shape, b.shape, what);
  const [x, y] = [a.dataSync(), b.dataSync()];
  x.forEach((v, i) => assertAlmostEquals(v, y[i], tolerance * Math.max(1, Math.abs(y[i])), `${what} at ${i}`));
}

Deno.test("gelu matches tfjs-layers' gelu on cpu, values and gradient, from -8 to 8", () => {
  const x = tf.reshape(tf.concat([tf.linspace(-8, 8, 401), tf.tensor1d([0, -1e-4, 1e-4, 30, -30])]), [2, 7, 29]);
  assertClose(gelu(x), stockGelu(x), 1e-6, "gelu");
  const weight = tf.randomNormal(x.shape, 0, 1, "float32", 1);
  const dFused = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(gelu(v), weight)))(x);
  const dStock = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(stockGelu(v), weight)))(x);
  assertClose(dFused, dStock, 1e-6, "gradient");
});

Deno.test("gelu runs forward and backward without tfjs's erf, div and mul kernels on cpu", async () => {
  const x = tf.randomNormal([4, 16]);
  const profile = await tf.profile(() => {
    tf.dispose(tf.grad((v: tf.Tensor) => tf.sum(gelu(v)))(x));
  });
  assert(!profile.kernelNames.includes("Erf"), profile.kernelNames.join(", "));
  assert(profile.kernelNames.length <= 6, `${profile.kernelNames.length} kernels: ${profile.kernelNames.join(", ")}`);
});

Deno.test("denseGelu is tfjs-layers' dense with gelu: same config, weights and outputs", () => {
  const ours = denseGelu({ units: 5, activation: "gelu", name: "hidden" });
  const theirs = tfl.layers.dense({ units: 5, activation: "gelu", name: "hidden" });
  const x = tf.randomNormal([3, 4, 6], 0, 2, "float32", 2);
  ours.apply(x);
  theirs.apply(x);
  theirs.setWeights(ours.getWeights());
  assertEquals(ours.getConfig(), theirs.getConfig());
  assert((ours as unknown as { activation: unknown }).activation instanceof FusedGelu);
  assertClose(ours.apply(x) as tf.Tensor, theirs.apply(x) as tf.Tensor, 1e-6, "dense");
});

Deno.test("denseGelu with another activation is tfjs-layers' dense", () => {
  const layer = denseGelu({ units: 2, activation: "relu" });
  assert(!((layer as unknown as { activation: unknown }).activation instanceof FusedGelu));
  assertEquals(layer.getConfig().activation, "relu");
});

Deno.test("a model with denseGelu saves and loads back (as tfjs-layers' gelu) with the same outputs", async () => {
  const input = tfl.input({ shape: [6] });
  const output = denseGelu({ units: 4, activation: "gelu", name: "hidden" }).apply(input) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: output });
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((artifacts) => {
    saved = artifacts;
    return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } });
  }));
  const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
  assertEquals(loaded.getLayer("hidden").getConfig(), model.getLayer("hidden").getConfig());
  const x = tf.randomNormal([5, 6], 0, 2, "float32", 3);
  assertClose(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, 1e-6, "loaded");
});

Deno.test("gelu leaks no tensors", () => {
  const x = tf.randomNormal([2, 3]);
  tf.dispose(gelu(x));
  const before = tf.memory().numTensors;
  tf.dispose(gelu(x));
  assertEquals(tf.memory().numTensors, before);
});
