import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertEquals, assertThrows } from "@std/assert";
import { FramesToBatch } from "../../../models/layers/frames_to_batch.ts";
import { SpaceToDepth } from "../../../models/layers/space_to_depth.ts";
import { frameStacks, frameStacksOps, setInputOrderGather } from "../../../models/layers/_frame_stacks.ts";
import { registerWasmTrainingKernels } from "../../../backends/kernels/mod.ts";
import { LAZY_UPLOAD_MIN, lazyInputTensor, lazyUploadsCopied } from "../../../core/_lazy_upload.ts";
import { assertConfigRoundTrip } from "./_config.ts";

registerWasmTrainingKernels();

/** What the gather replaces: averagePooling1d over time, FramesToBatch, SpaceToDepth (tfjs ops). */
function stockStacks(x: tf.Tensor, pool: number, depth: number, blockSize: number): tf.Tensor {
  const [batch, nTimes, rows, cols] = x.shape;
  let y = x;
  if (pool > 1) {
    y = tfl.layers.averagePooling1d({ poolSize: pool, strides: pool })
      .apply(tf.reshape(y, [batch, nTimes, rows * cols])) as tf.Tensor;
    y = tf.reshape(y, [batch, Math.floor(nTimes / pool), rows, cols]);
  }
  y = new FramesToBatch({ depth }).apply(y) as tf.Tensor;
  return blockSize > 1 ? new SpaceToDepth({ blockSize }).apply(y) as tf.Tensor : y;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assertEquals(actual.length, expected.length, what);
  for (let i = 0; i < actual.length; i++) {
    assert(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} against ${expected[i]}`);
  }
}

const CASES = [
  { shape: [3, 21, 8, 8], pool: 2, depth: 5, blockSize: 2 }, // 21 -> 10 pooled frames, 2 stacks
  { shape: [2, 61, 20, 20], pool: 2, depth: 10, blockSize: 2 }, // cascade's grid and stacks
  { shape: [2, 17, 5, 7], pool: 3, depth: 2, blockSize: 2 }, // a grid that is padded
  { shape: [2, 9, 4, 6], pool: 1, depth: 3, blockSize: 3 },
  { shape: [2, 9, 4, 6], pool: 2, depth: 2, blockSize: 1 },
];

for (const backend of ["cpu", "wasm"]) {
  for (const { shape, pool, depth, blockSize } of CASES) {
    Deno.test(`${backend}: FramesToBatch with pool ${pool} and blockSize ${blockSize} on [${shape}] gives pooling, stacks and space-to-depth, and their gradient`, async () => {
      await tf.setBackend(backend);
      const x = tf.randomNormal(shape, 0, 1, "float32", 11);
      const layer = new FramesToBatch({ depth, pool, blockSize });
      const fused = layer.apply(x) as tf.Tensor;
      const stock = stockStacks(x, pool, depth, blockSize);
      assertEquals(fused.shape, stock.shape);
      assertEquals(layer.computeOutputShape([null, ...shape.slice(1)]), [null, ...stock.shape.slice(1)]);
      assertClose(fused.dataSync(), stock.dataSync(), 1e-6, "stacks");
      // the tfjs-ops route of the backends that cannot read values synchronously (webgpu)
      assertClose(frameStacksOps(x, { pool, depth, block: blockSize }).dataSync(), stock.dataSync(), 1e-6, "ops");
      const dy = tf.randomNormal(stock.shape, 0, 1, "float32", 12);
      const grad = (f: (x: tf.Tensor) => tf.Tensor) => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f(x), dy)))(x);
      const [gFused, gStock] = [
        grad((x) => layer.apply(x) as tf.Tensor),
        grad((x) => stockStacks(x, pool, depth, blockSize)),
      ];
      assertClose(gFused.dataSync(), gStock.dataSync(), 1e-6, "gradient");
      tf.dispose([x, fused, stock, dy, gFused, gStock]);
    });
  }
}

const ORDER_CASES = [
  { shape: [2, 61, 20, 20], depth: 10 }, // cascade's grid: two quads and two frames per stack
  { shape: [3, 41, 8, 8], depth: 5 },
  { shape: [2, 61, 4, 6], depth: 7 },
  { shape: [2, 33, 4, 4], depth: 4 },
  { shape: [2, 13, 2, 2], depth: 3 }, // no quad
];

Deno.test("wasm: the input-order gather of two-frame pools (pairsQuads) gives the element gather's bits", async () => {
  await tf.setBackend("wasm");
  for (const { shape, depth } of ORDER_CASES) {
    const x = tf.randomNormal(shape, 0, 1, "float32", 5);
    const dims = { pool: 2, depth, block: 2 };
    const previous = setInputOrderGather(false);
    const stock = frameStacks(x, dims);
    setInputOrderGather(true);
    const quads = frameStacks(x, dims);
    setInputOrderGather(previous);
    const bits = (t: tf.Tensor) => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer));
    assertEquals(bits(quads), bits(stock), `[${shape}] depth ${depth}`);
    assertClose(quads.dataSync(), stockStacks(x, 2, depth, 2).dataSync(), 1e-6, `[${shape}] against tfjs`);
    tf.dispose([x, stock, quads]);
  }
});

Deno.test("wasm: the gather reads a lazily uploaded input from its array (never copied into the heap), the same bits", async () => {
  await tf.setBackend("wasm");
  const shape = [12, 250, 20, 20]; // cascade's frames, 12 windows (1.2 M values)
  const x = tf.randomNormal(shape, 0, 1, "float32", 9);
  const values = Float32Array.from(x.dataSync());
  const dims = { pool: 2, depth: 10, block: 2 };
  const before = lazyUploadsCopied();
  const lazy = lazyInputTensor(values, shape);
  assert(values.length >= LAZY_UPLOAD_MIN);
  const [fromArray, fromHeap] = [frameStacks(lazy, dims), frameStacks(x, dims)];
  assertEquals(lazyUploadsCopied(), before, "the input was copied");
  const bits = (t: tf.Tensor) => new Uint32Array(Float32Array.from(t.dataSync()).buffer);
  assertEquals(bits(fromArray), bits(fromHeap));
  tf.dispose([x, lazy, fromArray, fromHeap]);
  assertEquals(lazyUploadsCopied(), before, "the input was copied");
});

Deno.test("FramesToBatch with pool and blockSize checks its options and rebuilds from its config", () => {
  assertThrows(() => new FramesToBatch({ depth: 2, pool: 0 }), RangeError, "pool");
  assertThrows(() => new FramesToBatch({ depth: 2, blockSize: 1.5 }), RangeError, "blockSize");
  assertThrows(() => new FramesToBatch({ depth: 2, pool: 2, before: 1 }), RangeError, "before or after");
  assertThrows(
    () => new FramesToBatch({ depth: 10, pool: 2 }).apply(tfl.input({ shape: [19, 4, 4] })),
    RangeError,
    "nTimes 9 (pooled 2 to 1) is shorter",
  );
  const layer = new FramesToBatch({ depth: 5, pool: 2, blockSize: 2, name: "gather" });
  assertConfigRoundTrip(FramesToBatch, layer);
  assertEquals([layer.getConfig().pool, layer.getConfig().blockSize], [2, 2]);
});
