/** `--config` values and `--model-options` are checked like flags, by the library's checks. */
import { assertEquals, assertRejects } from "@std/assert";
import { parseTrainCommand } from "../../tasks/_cli.ts";

const DATA = ["--data", "/tmp/megflow-cli-checks-test-data"];

async function withConfig(content: unknown, fn: (file: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/c.json`, JSON.stringify(content));
    await fn(`${dir}/c.json`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("parseTrainCommand() checks the type and range of --config values, naming the file and key", async () => {
  const bad: [unknown, ErrorConstructor, string][] = [
    [{ epochs: "3" }, TypeError, 'option "epochs" must be an integer, got "3"'],
    [{ epochs: -1 }, RangeError, 'option "epochs" must be >= 1, got -1'],
    [{ learningRate: 0 }, RangeError, '"learningRate" must be > 0'],
    [{ batchSize: 0.5 }, TypeError, '"batchSize" must be an integer'],
    [{ backend: "cuda" }, RangeError, '"backend" must be one of auto, webgpu, wasm, cpu'],
    [{ adaptBatchNorm: "false" }, TypeError, '"adaptBatchNorm" must be a boolean'],
    [
      { modelOptions: { dropout: 0.1 } },
      TypeError,
      'unknown option "dropout"; known options: temporalFilters, depthMultiplier',
    ],
    [{ preprocess: [{ op: "resample", to: 100 }, { op: "window", windowSeconds: 2 }] }, TypeError, '"to"'],
    [[1, 2], TypeError, "options must be an object"],
  ];
  for (const [content, Kind, message] of bad) {
    await withConfig(content, async (file) => {
      const error = await assertRejects(() => parseTrainCommand("cross", [...DATA, "--config", file]), Kind, message);
      assertEquals(error.message.includes(file), true, `${error.message} names ${file}`);
    });
  }
  await withConfig({ epochs: 3, maxSamples: null, modelOptions: { dropProb: 0.5 } }, async (file) => {
    const { config } = await parseTrainCommand("cross", [...DATA, "--config", file]);
    assertEquals([config.epochs, config.maxSamples, config.modelOptions], [3, null, { dropProb: 0.5 }]);
  });
});

Deno.test("parseTrainCommand() takes --model-options only as an object of the model's own options", async () => {
  const parse = (...args: string[]) => parseTrainCommand("cross", [...DATA, ...args]);
  await assertRejects(
    () => parse("--model-options", "3"),
    TypeError,
    "options must be an object of temporalFilters, depthMultiplier",
  );
  await assertRejects(() => parse("--model-options", "[1]"), TypeError, "options must be an object");
  await assertRejects(
    () => parse("--model-options", '{"dropout":0.1}'),
    TypeError,
    'Cannot build cnn: unknown option "dropout"; known options: temporalFilters, depthMultiplier',
  );
  await assertRejects(
    () => parse("--model", "gru", "--model-options", `{"temporalFilters":4}`),
    TypeError,
    "known options: units",
  );
  await assertRejects(() => parse("--model-options", '{"dropProb":"x"}'), TypeError, '"dropProb" must be a number');
  const { config } = await parse("--model", "gru", "--model-options", '{"units":8}');
  assertEquals(config.modelOptions, { units: 8 });
});
