import * as tf from "@tensorflow/tfjs-core";
import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { setupBackend } from "../../../backends/backend.ts";
import { setSharedSavedTensors, sharedSavedTensorCount } from "../../../backends/kernels/_saved_tensor_clone.ts";
import { weightBitsAfterSteps } from "../../training/_weight_bits_after_steps.ts";

Deno.test("wasm: training steps with the saved tensors shared without Identity give the same weights and leak nothing", async () => {
  await setupBackend("wasm");
  for (const [name, options] of [["vivit", {}], ["gru", {}], ["spectral", {}]] as const) {
    await weightBitsAfterSteps(name, 1, options); // first-use caches (a kernel's constants) outlive the model
    const results: { bits: Uint32Array[]; shared: number; tensors: number }[] = [];
    for (const on of [false, true]) {
      const previous = setSharedSavedTensors(on);
      try {
        const [count, tensors] = [sharedSavedTensorCount(), tf.memory().numTensors];
        const bits = await weightBitsAfterSteps(name, 2, options);
        results.push({ bits, shared: sharedSavedTensorCount() - count, tensors: tf.memory().numTensors - tensors });
      } finally {
        setSharedSavedTensors(previous);
      }
    }
    const [off, on] = results;
    assertEquals(off.shared, 0, name);
    assert(on.shared > 0, name);
    assertEquals([off.tensors, on.tensors], [0, 0], `${name}: ${off.tensors} ${on.tensors}`);
    on.bits.forEach((bits, i) => assertEquals(Array.from(bits), Array.from(off.bits[i]), `${name} weight ${i}`));
  }
});

Deno.test("wasm: a shared saved tensor is the same data, and gradients of gradients still flow (nested tapes)", async () => {
  await setupBackend("wasm");
  const before = sharedSavedTensorCount();
  const x = tf.tensor1d([1, 2, 3]);
  // d/dx x^3 = 3 x^2; d^2/dx^2 = 6 x: the inner tape's clones are tfjs's own (depth 2)
  const second = tf.grad((v: tf.Tensor) => tf.grad((u: tf.Tensor) => tf.pow(u, 3))(v))(x);
  Array.from(second.dataSync()).forEach((value, i) => assertAlmostEquals(value, 6 * (i + 1), 1e-4));
  const first = tf.grad((u: tf.Tensor) => tf.sum(tf.mul(u, u)))(x);
  assertEquals(Array.from(first.dataSync()), [2, 4, 6]);
  assert(sharedSavedTensorCount() > before);
  const engine = tf.engine() as unknown as { clone(t: tf.Tensor): tf.Tensor };
  const clone = tf.tidy(() => {
    let made: tf.Tensor | undefined;
    tf.grad((u: tf.Tensor) => {
      made = tf.keep(engine.clone(u));
      return tf.sum(u);
    })(x);
    return made!;
  });
  assertEquals(clone.dataId, x.dataId);
  tf.dispose([x, second, first, clone]);
});
