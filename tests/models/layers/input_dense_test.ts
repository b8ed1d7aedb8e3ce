import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertEquals } from "@std/assert";
import { plainDenseCalls, plainInputDense } from "../../../models/layers/_input_dense.ts";
import { registerWasmTrainingKernels } from "../../../backends/kernels/mod.ts";

registerWasmTrainingKernels();

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assertEquals(actual.length, expected.length, what);
  for (let i = 0; i < actual.length; i++) {
    assert(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} against ${expected[i]}`);
  }
}

for (const backend of ["cpu", "wasm"]) {
  Deno.test(`${backend}: a plain input Dense gives tfjs's Dense output and gradients (kernel and input), and computes no input gradient it is not asked for`, async () => {
    await tf.setBackend(backend);
    const x = tf.randomNormal([6, 5, 5, 40], 0, 1, "float32", 1);
    const dy = tf.randomNormal([6, 5, 5, 16], 0, 1, "float32", 2);
    const make = (plain: boolean) => {
      const layer = tfl.layers.dense({
        units: 16,
        useBias: false,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }),
      });
      return plain ? plainInputDense(layer) : layer;
    };
    const [plain, stock] = [make(true), make(false)];
    plain.build(x.shape);
    stock.build(x.shape);
    plain.setWeights(stock.getWeights());
    const before = plainDenseCalls();
    const run = (layer: tfl.layers.Layer) => {
      const kernel = layer.getWeights()[0];
      const f = (input: tf.Tensor) =>
        tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, dy)) as tf.Scalar;
      const y = (layer.apply(x) as tf.Tensor).dataSync();
      const { grads } = tf.variableGrads(() => f(x), [layer.trainableWeights[0].read() as tf.Variable]);
      const kernelGrad = Object.values(grads)[0].dataSync();
      const inputGrad = tf.grad(f)(x).dataSync();
      return { y, kernelGrad, inputGrad, kernel };
    };
    const [p, s] = [run(plain), run(stock)];
    assertEquals(plainDenseCalls() - before, 3, "the plain product did not run");
    assertClose(p.y, s.y, 1e-5, "output");
    assertClose(p.kernelGrad, s.kernelGrad, 1e-3, "kernel gradient");
    assertClose(p.inputGrad, s.inputGrad, 1e-4, "input gradient");
    // Gradients of the kernel alone: one product for the forward pass and one for the kernel's gradient
    const variable = plain.trainableWeights[0].read() as tf.Variable;
    const profile = await tf.profile(() => {
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(plain.apply(x) as tf.Tensor, dy)) as tf.Scalar, [
        variable,
      ]);
      tf.dispose(Object.values(grads));
    });
    const products = profile.kernels.filter((k) => /MatMul/.test(k.name));
    assertEquals(products.length, 2, products.map((k) => `${k.name} ${JSON.stringify(k.inputShapes)}`).join("; "));
    tf.dispose([x, dy]);
  });
}
