import { assertEquals, assertNotEquals } from "@std/assert";
import { heapKernel, type WasmHeapBackend } from "../../../backends/kernels/_heap_kernel.ts";

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
