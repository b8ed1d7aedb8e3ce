import { assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { predictionsToCsv } from "../../evaluation/predictions_csv.ts";
import { runConfig } from "../../training/run_config.ts";
import { fakePredictions } from "../tune/_fake_runner.ts";
import { runTask, type TaskOutput } from "./_run_task.ts";

function ensemble(args: string[]): Promise<TaskOutput> {
  return runTask("ensemble.ts", args);
}

Deno.test("deno task ensemble writes the ensemble of run folders and rejects bad arguments in one line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const runs: string[] = [];
    for (const seed of [1, 2, 3]) {
      const run = join(dir, `s${seed}`);
      await Deno.mkdir(run);
      await Deno.writeTextFile(join(run, "config.json"), JSON.stringify(runConfig("cross", "/data", { seed })));
      await Deno.writeTextFile(join(run, "results.json"), JSON.stringify({ model: "cnn", backend: "wasm" }));
      await Deno.writeTextFile(join(run, "predictions.csv"), predictionsToCsv(fakePredictions(["test3"], seed)));
      runs.push(run);
    }
    const out = join(dir, "ensemble");
    const ok = await ensemble(["--runs", runs.join(","), "--out", out]);
    assertEquals(ok.code, 0, ok.stderr);
    assertStringIncludes(ok.stdout, "ensemble of 3 runs (ensemble(cnn))");
    assertStringIncludes(ok.stdout, "test3    window acc 1.000");
    assertEquals(JSON.parse(await Deno.readTextFile(join(out, "results.json"))).splits.test3.windowAccuracy, 1);

    const weighted = await ensemble(["--runs", runs.join(","), "--weights", "1,0,0", "--out", join(dir, "w")]);
    assertStringIncludes(weighted.stdout, "test3    window acc 0.667"); // only the first member counts

    const bad = await ensemble(["--runs", runs.join(","), "--weights", "1,x,1", "--out", join(dir, "x")]);
    assertEquals([bad.code, bad.stderr.trim()], [1, "ensemble: --weights must be non-negative numbers, got 1,x,1"]);
    const missing = await ensemble(["--runs", `${runs[0]},${join(dir, "nope")}`, "--out", join(dir, "y")]);
    assertEquals(missing.code, 1);
    assertStringIncludes(missing.stderr, `${join(dir, "nope")}: no config.json`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
