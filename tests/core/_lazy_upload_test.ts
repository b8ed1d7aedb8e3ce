import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { assertEquals, assertStrictEquals } from "@std/assert";
import {
  LAZY_UPLOAD_MIN,
  lazyInputTensor,
  lazyUploadsCopied,
  pendingUpload,
  setLazyUpload,
} from "../../core/_lazy_upload.ts";

const values = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 1e3);

Deno.test("wasm: a lazily uploaded tensor is copied when first read, with the same values", async () => {
  await tf.setBackend("wasm");
  const data = values(LAZY_UPLOAD_MIN + 3);
  const before = lazyUploadsCopied();
  const x = lazyInputTensor(data, [data.length]);
  assertStrictEquals(pendingUpload(tf.backend(), x.dataId), data);
  assertEquals(lazyUploadsCopied(), before);
  const y = tf.mul(x, 2); // a kernel reads it: the copy runs first
  assertEquals(lazyUploadsCopied(), before + 1);
  assertEquals(pendingUpload(tf.backend(), x.dataId), null);
  const [xs, ys] = [x.dataSync(), y.dataSync()];
  for (let i = 0; i < data.length; i += 997) {
    assertEquals(xs[i], data[i]);
    assertEquals(ys[i], Math.fround(data[i] * 2));
  }
  tf.dispose([x, y]);
});

Deno.test("wasm: a lazily uploaded tensor disposed unread is never copied and leaves nothing behind", async () => {
  await tf.setBackend("wasm");
  const backend = tf.backend();
  const [tensors, buffers] = [tf.memory().numTensors, backend.numDataIds()];
  const before = lazyUploadsCopied();
  const x = lazyInputTensor(values(LAZY_UPLOAD_MIN), [1024, 1024]);
  x.dispose();
  assertEquals(lazyUploadsCopied(), before);
  assertEquals([tf.memory().numTensors, backend.numDataIds()], [tensors, buffers]);
});

Deno.test("lazyInputTensor: tf.tensor on cpu, for small arrays, and when switched off", async () => {
  for (const backend of ["cpu", "wasm"]) {
    await tf.setBackend(backend);
    const small = lazyInputTensor(values(8), [2, 4]);
    assertEquals(pendingUpload(tf.backend(), small.dataId), null);
    assertEquals(Array.from(small.dataSync()), Array.from(values(8)));
    small.dispose();
  }
  await tf.setBackend("wasm");
  const previous = setLazyUpload(false);
  const x = lazyInputTensor(values(LAZY_UPLOAD_MIN), [LAZY_UPLOAD_MIN]);
  setLazyUpload(previous);
  assertEquals(pendingUpload(tf.backend(), x.dataId), null);
  x.dispose();
});
