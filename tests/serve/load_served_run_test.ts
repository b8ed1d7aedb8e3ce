import { assertEquals, assertRejects } from "@std/assert";
import { join } from "node:path";
import { loadServedRun } from "../../serve/load_served_run.ts";
import { fakeRun, STEPS } from "./_run.ts";

Deno.test("loadServedRun() loads the model once and describes the run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "megflow-served-run-test-" });
  try {
    const runDir = await fakeRun(dir, { preprocess: [...STEPS, { op: "augment" }] });
    const results = {
      task: "cross",
      model: "cnn",
      splits: { test1: { windowAccuracy: 0.5, recordingAccuracy: 0.75, windows: 12, recordings: 4 } },
      bestEpoch: 3,
      startedAt: "2026-01-01T00:00:00.000Z",
    };
    await Deno.writeTextFile(join(runDir, "results.json"), JSON.stringify(results));
    const run = await loadServedRun(runDir, { backend: "wasm" });
    try {
      const d = run.description;
      assertEquals([d.run, d.model, d.task, d.backend], ["run", "cnn", "cross", "wasm"]);
      assertEquals(d.parameters, run.model.countParams());
      assertEquals(d.classes, ["rest", "math", "memory", "motor"]);
      assertEquals([d.windowSeconds, d.strideSeconds, d.sfreq, d.rawSfreq], [1, 0.5, 125, 2034]);
      assertEquals(d.inputShape, [248, 125]);
      assertEquals(d.preprocess, [...STEPS, { op: "augment" }]);
      assertEquals([d.adaptBatchNorm, d.subjectSteps, d.maxSamples], [true, [], null]);
      assertEquals(d.accuracy, { test1: { windowAccuracy: 0.5, recordingAccuracy: 0.75, windows: 12, recordings: 4 } });
      assertEquals([d.bestEpoch, d.trainedAt], [3, "2026-01-01T00:00:00.000Z"]);
    } finally {
      run.model.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadServedRun() refuses a non-run folder and a model that does not fit the preprocessing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "megflow-served-run-test-" });
  try {
    await assertRejects(() => loadServedRun(dir), RangeError, "not a megflow run folder");
    // The model was built for 2 s windows, the config says 1 s.
    const runDir = await fakeRun(dir, {}, [STEPS[0], STEPS[1], { op: "window", windowSeconds: 2 }]);
    await assertRejects(
      () => loadServedRun(runDir, { backend: "wasm" }),
      RangeError,
      "the model takes windows of shape [248,250], the run's preprocessing makes [248,125]",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
