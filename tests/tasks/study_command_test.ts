import { assertEquals, assertRejects } from "@std/assert";
import { DEFAULT_STUDY_WORKERS, parseStudyCommand } from "../../tasks/_study_command.ts";

const DATA = ["--data", "/data", "--no-cache"];

Deno.test("parseStudyCommand() scales the study with flags", async () => {
  const command = await parseStudyCommand([
    ...DATA,
    "--models",
    "gru,vivit",
    "--seeds",
    "5,6,7",
    "--epochs",
    "10",
    "--max-samples",
    "20000",
    "--model-options",
    '{"cnn":{}}',
    "--improvements",
    "align",
    "--search-trials",
    "6",
    "--search-epochs",
    "4",
    "--workers",
    "2",
    "--out",
    "/tmp/s",
  ]);
  if (command.help) throw new Error("unexpected help");
  const s = command.settings;
  assertEquals([s.models, s.seeds, s.epochs, s.maxSamples], [["gru", "vivit"], [5, 6, 7], 10, 20000]);
  assertEquals([s.modelOptions.cnn, s.improvements, s.search?.trials, s.search?.epochs], [{}, ["align"], 6, 4]);
  assertEquals([command.workers, command.out, s.cacheDir], [2, "/tmp/s", null]);
});

Deno.test("parseStudyCommand() keeps the affordable defaults", async () => {
  const command = await parseStudyCommand(DATA);
  if (command.help) throw new Error("unexpected help");
  const s = command.settings;
  assertEquals([s.models, s.seeds, s.epochs, s.improvements], [
    ["cnn", "gru", "vivit", "spectral", "cascade", "tsa"],
    [1, 2, 3],
    12,
    [
      "align",
      "augment",
      "adaptBatchNorm",
      "mixup",
      "ensemble",
    ],
  ]);
  assertEquals([s.windowSeconds, s.strideSeconds, s.intraStrideSeconds], [2, 1, 0.5]);
  assertEquals(command.workers, DEFAULT_STUDY_WORKERS);
  assertEquals(s.search?.strategy, "random");
  // No test subject chooses anything: cross-subject runs hold out training chunks.
  assertEquals(s.validation, "holdout");
});

Deno.test("parseStudyCommand() takes --validation for the cross-subject runs", async () => {
  const of = async (value: string) => {
    const command = await parseStudyCommand([...DATA, "--validation", value]);
    if (command.help) throw new Error("unexpected help");
    return command.settings.validation;
  };
  assertEquals(await of("loso"), "loso");
  assertEquals(await of("Cross/test1,Cross/test2"), "Cross/test1,Cross/test2");
  await assertRejects(() => of(","), RangeError, "--validation");
});

Deno.test("parseStudyCommand() names the flag it rejects", async () => {
  await assertRejects(() => parseStudyCommand([...DATA, "--models", "lstm"]), RangeError, "got lstm");
  await assertRejects(() => parseStudyCommand([...DATA, "--seeds", "0"]), RangeError, "--seeds");
  await assertRejects(() => parseStudyCommand([...DATA, "--improvements", "dropout"]), RangeError, "got dropout");
  await assertRejects(() => parseStudyCommand([...DATA, "--preset", "tiny"]), RangeError, "--preset");
  await assertRejects(() => parseStudyCommand([...DATA, "--search-strategy", "bayes"]), RangeError, "got bayes");
  await assertRejects(() => parseStudyCommand([...DATA, "--model-options", "[]"]), RangeError, "keyed by model");
  await assertRejects(() => parseStudyCommand([...DATA, "--bogus"]), TypeError);
});

Deno.test("parseStudyCommand() --recipes trains each model's recipe and refuses the shared budget's flags", async () => {
  const command = await parseStudyCommand([...DATA, "--recipes"]);
  assertEquals(command.help ? null : command.settings.recipes, true);
  const plain = await parseStudyCommand([...DATA]);
  assertEquals(plain.help ? null : plain.settings.recipes, undefined);
  await assertRejects(
    () => parseStudyCommand([...DATA, "--recipes", "--epochs", "5", "--lr", "0.01"]),
    RangeError,
    "--epochs, --lr cannot apply",
  );
});
