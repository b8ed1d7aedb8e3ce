import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { writeDataset } from "../../synth/write_dataset.ts";
import { runTask, type TaskOutput } from "./_run_task.ts";

function tune(args: string[]): Promise<TaskOutput> {
  return runTask("tune.ts", args);
}

Deno.test("deno task tune searches tiny GRUs on small generated data with two workers, then reuses them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = join(dir, "data");
    await writeDataset(data, {
      preset: "small",
      nTimes: 2048, // 1 s per recording: two 0.5 s windows
      crossTrainChunks: 2, // one per subject and class is held out to validate
      splits: ["Cross/train", "Cross/test1", "Cross/test2", "Cross/test3"],
    });
    const space = join(dir, "space.json");
    await Deno.writeTextFile(
      space,
      JSON.stringify({ learningRate: { logUniform: [1e-3, 1e-2] }, units: { choice: [4, 8] } }),
    );
    const out = join(dir, "search");
    const args = [
      "--data",
      data,
      "--model",
      "gru",
      "--model-options",
      '{"units":8,"projectionUnits":8,"attentionUnits":8}',
      "--epochs",
      "1",
      "--batch",
      "8",
      "--window-seconds",
      "0.5",
      "--stride-seconds",
      "0.5",
      "--no-cache",
      "--space",
      space,
      "--trials",
      "2",
      "--workers",
      "2",
      "--out",
      out,
    ];
    const first = await tune(args);
    assertEquals(first.code, 0, first.stderr);
    assertStringIncludes(first.stdout, "2/2 trials done");
    assertStringIncludes(first.stdout, "retrained: test3");
    const trials = JSON.parse(await Deno.readTextFile(join(out, "trials.json")));
    assertEquals(trials.length, 2);
    for (const t of trials) {
      assertEquals(t.status, "done");
      assert(t.valWindowAccuracy >= 0 && t.valWindowAccuracy <= 1);
      assert((await Deno.stat(join(out, "trials", t.trial, "log.txt"))).isFile); // ran as a worker
      const results = JSON.parse(await Deno.readTextFile(join(out, "trials", t.trial, "results.json")));
      // Trials validate on held-out training chunks and evaluate no test split.
      assertEquals(Object.keys(results.splits).sort(), ["train", "validation"]);
    }
    const best = JSON.parse(await Deno.readTextFile(join(out, "best", "results.json")));
    assertEquals(Object.keys(best.splits).sort(), ["test1", "test2", "test3", "train", "validation"]);
    assertEquals((await Deno.readTextFile(join(out, "search.html"))).match(/data-plot="influence"/g)?.length, 2);

    const again = await tune(["--out", out]); // continue: everything is finished
    assertEquals(again.code, 0, again.stderr);
    assertStringIncludes(again.stderr, "2 trials, 0 to run");
    assert(!again.stderr.includes("epoch 1/1"), "nothing is trained again");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
