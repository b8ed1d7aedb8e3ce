import { assert, assertEquals, assertNotEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { heapKernel, heapMemory, type WasmHeapBackend } from "../../../backends/kernels/_heap_kernel.ts";
import { setupBackends } from "./_parity.ts";

/** A stand-in for the wasm backend: only what heapKernel looks at. */
function fakeBackend(memory: unknown): WasmHeapBackend {
  return { wasm: { asm: { memory } }, typedArrayFromHeap: () => new Float32Array(0) } as unknown as WasmHeapBackend;
}

Deno.test("heapKernel works in the backend's own memory, once per backend", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const backend = fakeBackend(memory);
  const kernel = heapKernel(backend);
  assertNotEquals(kernel, null);
  assertEquals(kernel!.memory, memory);
  assertEquals(heapKernel(backend), kernel);
});

Deno.test("heapKernel is null (the stock kernels run) for a shared memory or a backend without one", () => {
  const shared = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
  assertEquals(heapKernel(fakeBackend(shared)), null);
  assertEquals(heapKernel(fakeBackend(undefined)), null);
});

Deno.test("heapMemory finds the wasm backend's memory, and none on other backends or a shared memory", async () => {
  await setupBackends();
  assert(heapMemory(tf.findBackend("wasm")!) instanceof WebAssembly.Memory);
  assertEquals(heapMemory(tf.findBackend("cpu")!), null);
  const shared = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  assertEquals(heapMemory(fakeBackend(shared)), null);
  assertEquals(heapMemory(fakeBackend(undefined)), null);
});

Deno.test("heapKernel works in the wasm backend's own memory", async () => {
  await setupBackends();
  const backend = tf.findBackend("wasm") as WasmHeapBackend;
  assertEquals(heapKernel(backend)?.memory, heapMemory(backend));
});
