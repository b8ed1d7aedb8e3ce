/**
 * trainRun's checks of its inputs before anything is written: data folder reached through a
 * symlink, bad files, windows longer than the recordings.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { DataFileError } from "../../core/errors.ts";
import { writeDataset } from "../../synth/write_dataset.ts";
import { type RunConfig, runConfig } from "../../training/run_config.ts";
import { trainRun } from "../../orchestration/train_run.ts";
import { withTempDir } from "../_temp_dir.ts";

const TINY_GRU = { units: 8, projectionUnits: 8, attentionUnits: 8, poolSize: 5 };
const SPLITS = ["Cross/train", "Cross/test1", "Cross/test2", "Cross/test3"];

async function config(dir: string, nTimes: number, windowSeconds = 1): Promise<RunConfig> {
  await writeDataset(`${dir}/data`, { preset: "small", nTimes, splits: SPLITS });
  return runConfig("cross", `${dir}/data`, {
    model: "gru",
    modelOptions: TINY_GRU,
    epochs: 1,
    backend: "cpu",
    preprocess: [{ op: "resample", toHz: 125 }, { op: "zscore" }, { op: "window", windowSeconds }],
    cacheDir: `${dir}/cache`,
  });
}

const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);

Deno.test("trainRun() refuses a run folder reached through a symlink to the data folder", async () => {
  await withTempDir(async (dir) => {
    const base = await config(dir, 512);
    await Deno.symlink(`${dir}/data`, `${dir}/link`);
    await assertRejects(
      () => trainRun(base, { runDir: `${dir}/link/runs/new`, log: () => {} }),
      RangeError,
      "inside the data folder",
    );
    assert(!(await exists(`${dir}/data/runs`)), "a folder was written into the data folder");
  });
});

Deno.test("trainRun() refuses a cache inside the data folder, also through a symlink", async () => {
  await withTempDir(async (dir) => {
    const base = await config(dir, 512);
    await Deno.symlink(`${dir}/data/Cross`, `${dir}/cross-link`);
    for (const cacheDir of [`${dir}/data/cache`, `${dir}/cross-link/cache`]) {
      await assertRejects(
        () => trainRun({ ...base, cacheDir }, { runDir: `${dir}/run`, log: () => {} }),
        RangeError,
        "inside the data folder",
      );
    }
    assert(!(await exists(`${dir}/data/Cross/cache`)) && !(await exists(`${dir}/data/cache`)));
    assert(!(await exists(`${dir}/run`)));
  });
});

Deno.test("trainRun() names a bad file before it trains or creates the run folder", async () => {
  await withTempDir(async (dir) => {
    const base = await config(dir, 512);
    const bad = join(`${dir}/data/Cross/test3`, [...Deno.readDirSync(`${dir}/data/Cross/test3`)][0].name);
    const bytes = await Deno.readFile(bad);
    await Deno.writeFile(bad, bytes.subarray(0, bytes.length - 600));
    const error = await assertRejects(() => trainRun(base, { runDir: `${dir}/run`, log: () => {} }), DataFileError);
    assertEquals(error.path, bad);
    assertStringIncludes(error.reason, "truncated");
    assert(!(await exists(`${dir}/run`)), "the run folder was created");
    assert(!(await exists(`${dir}/cache`)), "the cache was filled before the files were checked");
  });
});

Deno.test("trainRun() with windows longer than the recordings says so with both lengths, before any output", async () => {
  await withTempDir(async (dir) => {
    const base = await config(dir, 1017, 2); // 0.5 s recordings, 2 s windows
    const error = await assertRejects(() => trainRun(base, { runDir: `${dir}/run`, log: () => {} }), RangeError);
    assertStringIncludes(error.message, "windows of 2 s (250 samples at 125 Hz)");
    assertStringIncludes(error.message, "lasts 0.5 s (1017 samples at 2034 Hz, 63 at 125 Hz)");
    assertStringIncludes(error.message, "20 of 20 recordings are shorter");
    assert(!(await exists(`${dir}/run`)), "the run folder was created");
  });
});

Deno.test("trainRun() with maxSamples shorter than a window names maxSamples and the value that would do", async () => {
  await withTempDir(async (dir) => {
    const base = await config(dir, 4096, 1);
    const error = await assertRejects(
      () => trainRun({ ...base, maxSamples: 1000 }, { runDir: `${dir}/run`, log: () => {} }),
      RangeError,
    );
    assertStringIncludes(error.message, "windows of 1 s (125 samples at 125 Hz)");
    assertStringIncludes(error.message, "--max-samples 1000 of its 4096 samples at 2034 Hz, 62 at 125 Hz");
    assertStringIncludes(error.message, "raise maxSamples (--max-samples) to at least 2018");
    assert(!(await exists(`${dir}/run`)), "the run folder was created");
  });
});
