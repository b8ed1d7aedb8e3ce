import { assert, assertEquals, assertMatch, assertRejects, assertStringIncludes } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { doctor, formatDoctorReport } from "../../orchestration/doctor.ts";
import { H100, withHardwareLikeGpu } from "../backends/_hardware_like_gpu.ts";

const TINY = { steps: 3, batchSize: 2, nChans: 4, nTimes: 64 };
const hasAdapter = Boolean(await navigator.gpu?.requestAdapter());
// Deno's WebGPU keeps device polling ops running between tests (see backend_webgpu_training_test.ts).
const webgpuTest = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "doctor() starts every backend, times three training steps on each and reports the adapter",
  ...webgpuTest,
  fn: async () => {
    const lines: string[] = [];
    const report = await doctor({ ...TINY, log: (line) => lines.push(line) });
    assertEquals(lines, ["doctor: cpu...", "doctor: wasm...", "doctor: webgpu..."]);
    assertEquals(
      report.megflow,
      JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url))).version,
    );
    assertEquals(report.deno.deno, Deno.version.deno);
    assertEquals(report.workload, "cnn (EEGNet-8,2) on [2, 4, 64], Adam");
    assertEquals(report.backends.map((check) => check.backend), ["cpu", "wasm", "webgpu"]);
    for (const check of report.backends.slice(0, hasAdapter ? 3 : 2)) {
      assert(check.started, `${check.backend}: ${check.detail}`);
      assertEquals(check.stepSeconds.length, 3);
      assert(check.stepSeconds.every((s) => s > 0 && s < 120), `${check.backend}: ${check.stepSeconds}`);
      assertStringIncludes(check.detail, `${check.backend} (tfjs 4.22.0`);
    }
    if (hasAdapter) {
      assert(report.adapter !== null);
      // This machine's adapter is Deno's software llvmpipe: auto declines it, no GPU is used.
      if (report.adapter.software) {
        assertEquals(report.auto.backend, "wasm");
        assertStringIncludes(report.verdict, "no GPU is used: the only WebGPU adapter is a software one");
      }
    } else {
      assertEquals([report.adapter, report.backends[2].started, report.auto.backend], [null, false, "wasm"]);
    }
    assertEquals(tf.getBackend(), report.auto.backend);
    const text = formatDoctorReport(report);
    assertMatch(text, /^megflow \d+\.\d+\.\d+\ndeno {4}\d+\.\d+\.\d+ \(V8 /);
    assertMatch(text, /\n {2}wasm {4}ok {3}steps \d+\.\d{3} \d+\.\d{3} \d+\.\d{3} s +wasm \(tfjs 4\.22\.0, /);
    assertStringIncludes(text, `\nverdict: ${report.verdict}`);
  },
});

Deno.test({
  name: "doctor() says the GPU is used when the adapter is a hardware one",
  ...webgpuTest,
  fn: async () => {
    if (!hasAdapter) return;
    const report = await withHardwareLikeGpu(() => doctor({ ...TINY, backends: ["webgpu"], steps: 1 }));
    assertEquals(report.adapter?.software, false);
    assertEquals(report.backends[0].started, true);
    assertEquals(report.auto.backend, "webgpu");
    assertMatch(
      report.verdict,
      new RegExp(`^the GPU is used: ${H100.description.replace(/[()]/g, "\\$&")} through WebGPU`),
    );
    assertStringIncludes(
      formatDoctorReport(report),
      `webgpu adapter: hardware: ${H100.description} (vendor nvidia, hopper)`,
    );
  },
});

Deno.test({
  name: "doctor() reports a backend that does not start and says that no GPU is used",
  ...webgpuTest,
  fn: async () => {
    const gpu = navigator.gpu as GPU | undefined;
    if (gpu) Object.defineProperty(gpu, "requestAdapter", { configurable: true, value: () => Promise.resolve(null) });
    try {
      const report = await doctor({ ...TINY, backends: ["webgpu", "cpu"], steps: 1 });
      assertEquals(report.adapter, null);
      assertEquals(report.backends[0], {
        backend: "webgpu",
        started: false,
        detail: "Cannot start the tfjs webgpu backend: navigator.gpu offers no adapter",
        stepSeconds: [],
      });
      assertEquals(report.backends[1].stepSeconds.length, 1);
      assertStringIncludes(report.verdict, "no GPU is used: navigator.gpu offers no WebGPU adapter");
      assertStringIncludes(formatDoctorReport(report), "  webgpu  failed to start");
    } finally {
      if (gpu) delete (gpu as unknown as Record<string, unknown>).requestAdapter;
    }
  },
});

Deno.test("doctor() rejects a non-positive step count or size", async () => {
  await assertRejects(() => doctor({ steps: 0 }), RangeError, "steps must be a positive integer, got 0");
  await assertRejects(() => doctor({ nChans: 2.5 }), RangeError, "nChans must be a positive integer, got 2.5");
});
