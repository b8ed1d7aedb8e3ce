import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { parseTrainCommand } from "../../tasks/_cli.ts";
import { withTempDir } from "../_temp_dir.ts";

/** A run folder whose config.json is what `flags` make, as a finished or interrupted run leaves it. */
async function runFolder(dir: string, flags: string[] = []): Promise<string> {
  const { config } = await parseTrainCommand("cross", [
    "--data",
    join(dir, "data"),
    "--cache",
    join(dir, "c"),
    ...flags,
  ]);
  const runDir = join(dir, "run");
  await Deno.mkdir(runDir);
  await Deno.writeTextFile(join(runDir, "config.json"), JSON.stringify(config, null, 2));
  return runDir;
}

Deno.test("--resume alone continues with the run's own config.json", async () => {
  await withTempDir(async (dir) => {
    const runDir = await runFolder(dir, ["--seed", "7", "--model", "gru", "--no-cache"]);
    const command = await parseTrainCommand("cross", ["--resume", runDir]);
    assertEquals(command.resume, true);
    assertEquals(command.runDir, runDir);
    assertEquals(command.config, JSON.parse(await Deno.readTextFile(join(runDir, "config.json"))));
  });
});

Deno.test("--resume with a flag that contradicts the saved config is refused, naming the flag", async () => {
  await withTempDir(async (dir) => {
    const runDir = await runFolder(dir, ["--seed", "7", "--lr", "0.002"]);
    const cases: Array<[string[], string]> = [
      [["--seed", "8"], "--seed 8 contradicts the run being resumed: it sets seed to 8"],
      [["--lr=0.01"], "--lr=0.01 contradicts the run being resumed: it sets learningRate to 0.01"],
      [["--model", "gru"], "--model gru contradicts"],
      [["--window-seconds", "1"], "--window-seconds 1 contradicts the run being resumed: it sets preprocess"],
      [["--no-augment"], "--no-augment contradicts"],
      [["--mixup", "0.2"], "--mixup 0.2 contradicts"],
      [["--data", join(dir, "other")], `--data ${join(dir, "other")} contradicts`],
      [["--out", join(dir, "elsewhere")], "a resumed run stays in its own folder"],
    ];
    for (const [flags, message] of cases) {
      // Before the fix every flag beside --resume was ignored in silence.
      const error = await assertRejects(() => parseTrainCommand("cross", ["--resume", runDir, ...flags]), RangeError);
      assertStringIncludes(error.message, message);
    }
    await Deno.writeTextFile(join(dir, "c.json"), JSON.stringify({ batchSize: 8 }));
    await assertRejects(
      () => parseTrainCommand("cross", ["--resume", runDir, "--config", join(dir, "c.json")]),
      RangeError,
      `--config ${join(dir, "c.json")} contradicts the run being resumed: it sets batchSize to 8`,
    );
  });
});

Deno.test("--resume accepts flags that agree with the saved config, and --epochs, --backend, --cache changes", async () => {
  await withTempDir(async (dir) => {
    const runDir = await runFolder(dir, ["--seed", "7", "--epochs", "3"]);
    const saved = JSON.parse(await Deno.readTextFile(join(runDir, "config.json")));
    const same = await parseTrainCommand("cross", ["--seed", "7", "--resume", runDir, "--out", runDir]);
    assertEquals(same.config, saved);
    const changed = await parseTrainCommand("cross", [
      "--resume",
      runDir,
      "--epochs",
      "5",
      "--backend",
      "cpu",
      "--no-cache",
    ]);
    assertEquals(changed.config, { ...saved, epochs: 5, backend: "cpu", cacheDir: null });
  });
});

Deno.test("--out naming a folder that holds a run is refused without --resume; an empty folder is fine", async () => {
  await withTempDir(async (dir) => {
    const runDir = await runFolder(dir);
    const error = await assertRejects(
      () => parseTrainCommand("cross", ["--data", join(dir, "data"), "--out", runDir]),
      RangeError,
    );
    assertStringIncludes(
      error.message,
      `Refusing to start a new run in ${runDir}: it holds a run already (config.json)`,
    );
    assertStringIncludes(error.message, `--resume ${runDir}`);
    await Deno.mkdir(join(dir, "empty"));
    const command = await parseTrainCommand("cross", ["--data", join(dir, "data"), "--out", join(dir, "empty")]);
    assertEquals(command.runDir, join(dir, "empty"));
  });
});
