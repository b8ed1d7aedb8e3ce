import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { ensembleRuns } from "../../orchestration/ensemble_runs.ts";
import { parsePredictionsCsv, predictionsToCsv } from "../../evaluation/predictions_csv.ts";
import { type RunConfig, runConfig } from "../../training/run_config.ts";
import { fakePredictions } from "../tune/_fake_runner.ts";

/** Members validated on the folders test1 and test2: the same training windows whatever the seed. */
const FOLDERS = { validationSplits: ["Cross/test1", "Cross/test2"] };

async function fakeRun(
  dir: string,
  seed: number,
  task: "cross" | "intra" = "cross",
  data = "/data",
  overrides: Partial<RunConfig> = FOLDERS,
): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(runConfig(task, data, { seed, ...overrides })));
  await Deno.writeTextFile(join(dir, "results.json"), JSON.stringify({ task, model: "cnn", backend: "wasm" }));
  await Deno.writeTextFile(join(dir, "predictions.csv"), predictionsToCsv(fakePredictions(["train", "test3"], seed)));
  return dir;
}

Deno.test("ensembleRuns() evaluates the mean of its members and writes a run-like folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const runs = await Promise.all([1, 2, 3].map((s) => fakeRun(join(dir, `s${s}`), s)));
    const out = join(dir, "ensemble");
    const { results, rows } = await ensembleRuns(runs, { out });
    // Every member gets a third of the windows wrong, never the same ones: together they get all right.
    assertEquals([results.model, results.task, results.backend], ["ensemble(cnn)", "cross", "wasm"]);
    assertEquals([results.splits.train.windowAccuracy, results.splits.test3.windowAccuracy], [1, 1]);
    assertEquals(parsePredictionsCsv(await Deno.readTextFile(join(out, "predictions.csv"))), rows);
    const described = JSON.parse(await Deno.readTextFile(join(out, "ensemble.json")));
    assertEquals([described.members, described.weights], [runs, [1, 1, 1]]);
    assertStringIncludes(await Deno.readTextFile(join(out, "report.html")), "ensemble(cnn)");

    const two = await ensembleRuns(runs.slice(0, 2));
    // Two members tie on the two thirds of windows where one is wrong; a tie goes to the lower class index, which
    // is the wrong one only for motor (3, mistaken for rest): 1 - 2/3 * 1/4 right.
    assertEquals(two.results.splits.test3.windowAccuracy, 5 / 6);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ensembleRuns() of members that held out different chunks averages their test splits only, as tests", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Held-out validation chosen by each seed: every member trained and validated on other recordings.
    const runs = await Promise.all([1, 2].map((s) => fakeRun(join(dir, `s${s}`), s, "cross", "/data", {})));
    const { results } = await ensembleRuns(runs);
    assertEquals(Object.keys(results.splits), ["test3"]);
    assertEquals(results.splits.test3.role, "test");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ensembleRuns() refuses bad members and unsafe output folders, naming them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = await fakeRun(join(dir, "a"), 1);
    const b = await fakeRun(join(dir, "b"), 2);
    await assertRejects(() => ensembleRuns([a]), RangeError, "at least 2 run folders");
    await assertRejects(() => ensembleRuns([a, join(dir, "none")]), RangeError, `${join(dir, "none")}: no config.json`);
    const intra = await fakeRun(join(dir, "intra"), 2, "intra");
    await assertRejects(() => ensembleRuns([a, intra]), RangeError, "intra-subject run cannot join");
    await Deno.writeTextFile(join(b, "predictions.csv"), "split,bad\n");
    await assertRejects(() => ensembleRuns([a, b]), RangeError, `${join(b, "predictions.csv")}: Cannot parse`);
    const short = await fakeRun(join(dir, "short"), 2);
    await Deno.writeTextFile(
      join(short, "predictions.csv"),
      predictionsToCsv(fakePredictions(["train", "test3"], 2).slice(1)),
    );
    await assertRejects(() => ensembleRuns([a, short]), RangeError, `member 1 (${short}) has 23 windows`);
    const c = await fakeRun(join(dir, "c"), 3);
    await assertRejects(() => ensembleRuns([a, c], { out: a }), RangeError, "into its member");
    const inData = await fakeRun(join(dir, "d"), 3, "cross", join(dir, "data"));
    await assertRejects(
      () => ensembleRuns([a, inData], { out: join(dir, "data", "ensemble") }),
      RangeError,
      "inside the data folder",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ensembleRuns() refuses an output folder reached through a symlink to the data folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "data"));
    await Deno.symlink(join(dir, "data"), join(dir, "link"));
    const a = await fakeRun(join(dir, "a"), 1, "cross", join(dir, "data"));
    const b = await fakeRun(join(dir, "b"), 2, "cross", join(dir, "data"));
    await assertRejects(
      () => ensembleRuns([a, b], { out: join(dir, "link", "ensemble") }),
      RangeError,
      "inside the data folder",
    );
    assertEquals([...Deno.readDirSync(join(dir, "data"))], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
