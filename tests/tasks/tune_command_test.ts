import { assertEquals, assertRejects } from "@std/assert";
import { join } from "node:path";
import { parseTuneCommand } from "../../tasks/_tune_command.ts";
import { DEFAULT_SPACES } from "../../tune/default_spaces.ts";

async function withDataDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("parseTuneCommand() splits search flags from the training flags of the fixed configuration", () =>
  withDataDir(async (dir) => {
    const space = join(dir, "space.json");
    await Deno.writeTextFile(
      space,
      JSON.stringify({ learningRate: { logUniform: [1e-4, 1e-2] }, units: { choice: [8, 16] } }),
    );
    const command = await parseTuneCommand([
      "--task=intra",
      "--strategy",
      "halving",
      "--trials",
      "4",
      "--space",
      space,
      "--workers",
      "2",
      "--data",
      dir,
      "--model",
      "gru",
      "--epochs",
      "3",
      "--seed",
      "9",
      "--no-cache",
      "--out",
      join(dir, "search"),
    ]);
    if (command.mode !== "search") throw new Error(`expected a search, got ${command.mode}`);
    const { settings } = command;
    assertEquals([settings.strategy, settings.trials, settings.seed, settings.base.task], ["halving", 4, 9, "intra"]);
    assertEquals([settings.base.model, settings.base.epochs, settings.base.cacheDir], ["gru", 3, null]);
    assertEquals([command.workers, command.out, command.retrain, command.planOnly], [
      2,
      join(dir, "search"),
      true,
      false,
    ]);
    assertEquals(Object.keys(settings.space), ["learningRate", "units"]);
  }));

Deno.test("parseTuneCommand() uses the model's default space and continues a search from --out alone", () =>
  withDataDir(async (dir) => {
    const command = await parseTuneCommand(["--data", dir, "--model", "vivit", "--out", dir, "--plan-only"]);
    if (command.mode !== "search") throw new Error(command.mode);
    assertEquals(command.settings.space, DEFAULT_SPACES.vivit);
    assertEquals(command.planOnly, true);
    await Deno.writeTextFile(join(dir, "search.json"), JSON.stringify({ version: 1, settings: command.settings }));
    const again = await parseTuneCommand(["--out", dir, "--workers", "2"]);
    assertEquals(again.mode === "search" && again.settings, command.settings);
  }));

Deno.test("parseTuneCommand() reads the run-trial and merge modes", async () => {
  assertEquals(await parseTuneCommand(["--out", "/s", "--run-trial=0"]), { mode: "run-trial", out: "/s", index: 0 });
  assertEquals(await parseTuneCommand(["--merge", "/a", "/b", "--out", "/m"]), {
    mode: "merge",
    out: "/m",
    dirs: ["/a", "/b"],
  });
  assertEquals(await parseTuneCommand(["--help"]), { mode: "help" });
});

Deno.test("parseTuneCommand() names the flag it rejects", () =>
  withDataDir(async (dir) => {
    await assertRejects(() => parseTuneCommand(["--run-trial", "-1", "--out", dir]), RangeError, "--run-trial");
    await assertRejects(() => parseTuneCommand(["--run-trial", "1"]), RangeError, "needs --out");
    await assertRejects(() => parseTuneCommand(["--merge", "--out", dir]), RangeError, "at least one search folder");
    await assertRejects(() => parseTuneCommand(["--data", dir, "--strategy", "bayes"]), RangeError, "got bayes");
    await assertRejects(() => parseTuneCommand(["--data", dir, "--workers", "0"]), RangeError, "--workers");
    await assertRejects(() => parseTuneCommand(["--data", dir, "--resume", dir]), RangeError, "rerun the same command");
    await assertRejects(
      () => parseTuneCommand(["--data", dir, "--space", join(dir, "none.json")]),
      RangeError,
      "--space",
    );
    await assertRejects(() => parseTuneCommand(["--data", dir, "--epochs", "0"]), RangeError, "--epochs");
    await assertRejects(() => parseTuneCommand(["--data", dir, "stray"]), RangeError, "Unexpected argument stray");
  }));

Deno.test("parseTuneCommand() passes --validation to every trial's configuration (default: held-out chunks)", () =>
  withDataDir(async (dir) => {
    const of = async (...args: string[]) => {
      const command = await parseTuneCommand(["--data", dir, "--no-cache", "--model", "cnn", ...args]);
      if (command.mode !== "search") throw new Error(`unexpected ${command.mode}`);
      return command.settings.base;
    };
    assertEquals((await of()).validation, "holdout");
    assertEquals((await of("--validation", "loso")).validation, "loso");
    const folders = await of("--validation", "Cross/test1,Cross/test2");
    assertEquals([folders.validation, folders.validationSplits], ["splits", ["Cross/test1", "Cross/test2"]]);
  }));
