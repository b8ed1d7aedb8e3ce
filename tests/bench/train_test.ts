import { assert, assertEquals, assertRejects } from "@std/assert";
import { benchTrain } from "../../bench/train.ts";
import { MODELS } from "../../models/registry.ts";
import { TINY_SIGNALS } from "../backends/kernels/_model_step.ts";

Deno.test("benchTrain() reports every requested model on every requested backend", async () => {
  const models = Object.keys(MODELS);
  const lines: string[] = [];
  const report = await benchTrain({
    backends: ["wasm", "cpu"],
    models,
    steps: { wasm: 2, cpu: 1 },
    warmupSteps: { wasm: 1, cpu: 0 },
    batchSize: 2,
    signals: TINY_SIGNALS,
    onProgress: (line) => lines.push(line),
  });
  assertEquals(Object.keys(report), ["wasm", "cpu"]);
  for (const backend of ["wasm", "cpu"]) {
    assertEquals(Object.keys(report[backend]), models);
    for (const model of models) {
      const result = report[backend][model];
      assertEquals(result.steps, backend === "wasm" ? 2 : 1);
      assert(result.msPerStep > 0 && Number.isFinite(result.msPerStep));
      assertEquals(result.windowsPerSecond, 2 / (result.msPerStep / 1000));
      assert(result.inferenceWindowsPerSecond > 0 && Number.isFinite(result.inferenceWindowsPerSecond));
    }
  }
  assertEquals(lines.length, 2 + 2 * models.length);
});

Deno.test("benchTrain() rejects unknown models and backends and bad step counts", async () => {
  await assertRejects(() => benchTrain({ models: ["mamba"] }), RangeError, "unknown model");
  // deno-lint-ignore no-explicit-any
  await assertRejects(() => benchTrain({ backends: ["tpu" as any] }), RangeError, "unknown backend");
  await assertRejects(() => benchTrain({ backends: ["wasm"], steps: { wasm: 0 } }), RangeError, "steps.wasm");
});

Deno.test("benchTrain() measures a variant under its own name with the registered model's input", async () => {
  const lines: string[] = [];
  const report = await benchTrain({
    backends: ["wasm"],
    models: ["cnn_textbook"],
    steps: { wasm: 1 },
    warmupSteps: { wasm: 0 },
    batchSize: 2,
    signals: { cnn_textbook: TINY_SIGNALS.cnn },
    onProgress: (line) => lines.push(line),
  });
  assertEquals(Object.keys(report.wasm), ["cnn_textbook"]);
  assert(report.wasm.cnn_textbook.windowsPerSecond > 0);
  assert(lines[1].startsWith("wasm cnn_textbook [2, "), lines[1]);
});
