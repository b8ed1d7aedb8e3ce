import { assert, assertEquals, assertNotEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { writeDataset } from "../../synth/write_dataset.ts";
import { runConfig } from "../../training/run_config.ts";
import { trainRun } from "../../orchestration/train_run.ts";
import { reevaluateRun } from "../../orchestration/evaluate_run_folder.ts";
import type { RunResults } from "../../evaluation/metrics.ts";

const TINY_GRU = { units: 8, projectionUnits: 8, attentionUnits: 8, poolSize: 5 };
const SPLITS = ["Cross/train", "Cross/test1", "Cross/test2", "Cross/test3"];

async function readResults(dir: string): Promise<RunResults> {
  return JSON.parse(await Deno.readTextFile(join(dir, "results.json")));
}

Deno.test("reevaluateRun() evaluates a run's best model again, elsewhere or on other data", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeDataset(`${dir}/data`, { preset: "small", nTimes: 4096, crossTrainChunks: 2, splits: SPLITS });
    const config = runConfig("cross", `${dir}/data`, {
      model: "gru",
      modelOptions: TINY_GRU,
      epochs: 1,
      backend: "wasm",
      preprocess: [
        { op: "resample", toHz: 125 },
        { op: "zscore" },
        { op: "window", windowSeconds: 1, strideSeconds: 0.5 },
      ],
      cacheDir: `${dir}/cache`,
    });
    const runDir = `${dir}/run`;
    const trained = await trainRun(config, { runDir, log: () => {} });

    // The same model on the same data, written into another folder: the same predictions.
    const lines: string[] = [];
    const again = await reevaluateRun(runDir, { out: `${dir}/again`, backend: "wasm", log: (l) => lines.push(l) });
    assertEquals(again.outDir, `${dir}/again`);
    assertEquals(again.results.splits, trained.splits);
    assertEquals(
      await Deno.readTextFile(join(dir, "again", "predictions.csv")),
      await Deno.readTextFile(join(runDir, "predictions.csv")),
    );
    assertEquals(await readResults(join(dir, "again")), again.results);
    // What the run said about training is kept; the evaluation time is new.
    assertEquals(
      [again.results.seconds.train, again.results.bestEpoch, again.results.startedAt, again.results.backend],
      [trained.seconds.train, trained.bestEpoch, trained.startedAt, "wasm"],
    );
    assert(again.results.peakRssMB >= trained.peakRssMB);
    assertStringIncludes(await Deno.readTextFile(join(dir, "again", "report.html")), "<svg");
    assertEquals(lines.map((l) => l.split(":")[0]), [
      "evaluate train (train)",
      "evaluate validation (validation)",
      "evaluate test1 (test)",
      "evaluate test2 (test)",
      "evaluate test3 (test)",
    ]);
    assertEquals(await readResults(runDir), trained, "the run folder is left as it was");

    // Other data of the same layout, written into the run folder itself (the default).
    await writeDataset(`${dir}/other`, { preset: "small", nTimes: 4096, crossTrainChunks: 2, seed: 7, splits: SPLITS });
    const other = await reevaluateRun(runDir, { data: `${dir}/other`, backend: "wasm", log: () => {} });
    assertEquals(other.outDir, runDir);
    assertEquals(await readResults(runDir), other.results);
    assertEquals(Object.keys(other.results.splits).sort(), ["test1", "test2", "test3", "train", "validation"]);
    assertEquals(other.results.splits.test3.windows, trained.splits.test3.windows);
    assertNotEquals(
      await Deno.readTextFile(join(runDir, "predictions.csv")),
      await Deno.readTextFile(join(dir, "again", "predictions.csv")),
    );
    assertEquals(JSON.parse(await Deno.readTextFile(join(runDir, "config.json"))).data, `${dir}/data`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reevaluateRun() refuses a folder without config.json", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(() => reevaluateRun(dir), RangeError, `${dir}: no config.json (not a megflow run folder)`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reevaluateRun() refuses an output folder in the data folder, also through a symlink, before any work", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/data`);
    await Deno.mkdir(`${dir}/run`);
    await Deno.symlink(`${dir}/data`, `${dir}/link`);
    await Deno.writeTextFile(`${dir}/run/config.json`, JSON.stringify(runConfig("cross", `${dir}/data`)));
    for (const out of [`${dir}/data/eval`, `${dir}/link/eval`]) {
      await assertRejects(() => reevaluateRun(`${dir}/run`, { out }), RangeError, "inside the data folder");
    }
    // a run folder inside the data folder (reached through a symlink) is refused as the default output
    await Deno.mkdir(`${dir}/data/run`);
    await Deno.copyFile(`${dir}/run/config.json`, `${dir}/data/run/config.json`);
    await assertRejects(() => reevaluateRun(`${dir}/link/run`), RangeError, "inside the data folder");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
