import { assertEquals, assertRejects } from "@std/assert";
import { parseTrainCommand } from "../../tasks/_cli.ts";

const DATA = ["--data", "/tmp/megflow-cli-test-data"];

Deno.test("parseTrainCommand() turns flags into a cross config that validates on held-out training chunks", async () => {
  // A preprocessing list with per-subject alignment after the normalisation (as gru's recipe had).
  const dir = await Deno.makeTempDir();
  const preprocess = [
    { op: "resample", toHz: 125 },
    { op: "zscore", mode: "recording" },
    { op: "align" },
    { op: "window", windowSeconds: 2, strideSeconds: 1 },
    { op: "augment" },
  ];
  await Deno.writeTextFile(`${dir}/c.json`, JSON.stringify({ preprocess }));
  const { config, runDir } = await parseTrainCommand("cross", [
    ...DATA,
    "--config",
    `${dir}/c.json`,
    "--model",
    "gru",
    "--epochs",
    "3",
    "--lr",
    "0.002",
    "--window-seconds",
    "4",
    "--stride-seconds",
    "2",
    "--sfreq",
    "100",
    "--normalise",
    "minmax",
    "--no-cache",
    "--no-adapt-bn",
    "--out",
    "/tmp/run-x",
  ]);
  assertEquals(config.model, "gru");
  assertEquals(config.adaptBatchNorm, false);
  assertEquals([config.epochs, config.learningRate, config.cacheDir], [3, 0.002, null]);
  assertEquals([config.validation, config.validationSplits], ["holdout", []]);
  assertEquals(config.testSplits, ["Cross/test1", "Cross/test2", "Cross/test3"]);
  assertEquals(config.preprocess, [
    { op: "resample", toHz: 100 },
    { op: "minmax", mode: "recording" },
    { op: "align" }, // aligned after normalising; --normalise keeps that order
    { op: "window", windowSeconds: 4, strideSeconds: 2 },
    { op: "augment" },
  ]);
  assertEquals(runDir, "/tmp/run-x");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("parseTrainCommand() switches augmentation and BatchNorm adaptation off and on", async () => {
  const { config } = await parseTrainCommand("cross", [...DATA, "--no-augment", "--no-adapt-bn"]);
  assertEquals(config.preprocess.map((step) => step.op), ["resample", "zscore", "window"]);
  assertEquals(config.adaptBatchNorm, false);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/c.json`, JSON.stringify({ adaptBatchNorm: false }));
    const on = await parseTrainCommand("cross", [...DATA, "--config", `${dir}/c.json`, "--adapt-bn"]);
    assertEquals(on.config.adaptBatchNorm, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  await assertRejects(
    () => parseTrainCommand("cross", [...DATA, "--adapt-bn", "--no-adapt-bn"]),
    RangeError,
    "exclude",
  );
});

Deno.test("parseTrainCommand() switches mixup on with its alpha", async () => {
  assertEquals((await parseTrainCommand("cross", DATA)).config.mixupAlpha, 0);
  assertEquals((await parseTrainCommand("cross", [...DATA, "--mixup", "0.4"])).config.mixupAlpha, 0.4);
  await assertRejects(() => parseTrainCommand("cross", [...DATA, "--mixup=-1"]), RangeError, "--mixup must be");
});

Deno.test("parseTrainCommand() sets label smoothing and weight decay (off by default)", async () => {
  const plain = (await parseTrainCommand("cross", DATA)).config;
  assertEquals([plain.labelSmoothing, plain.weightDecay], [0, 0]);
  const { config } = await parseTrainCommand("cross", [...DATA, "--label-smoothing", "0.1", "--weight-decay", "0.05"]);
  assertEquals([config.labelSmoothing, config.weightDecay], [0.1, 0.05]);
  await assertRejects(
    () => parseTrainCommand("cross", [...DATA, "--label-smoothing", "1"]),
    RangeError,
    "--label-smoothing",
  );
  await assertRejects(() => parseTrainCommand("cross", [...DATA, "--weight-decay=-1"]), RangeError, "--weight-decay");
});

Deno.test("parseTrainCommand() sets the test-time adaptation with --tta (none by default)", async () => {
  assertEquals((await parseTrainCommand("cross", DATA)).config.testTimeAdaptation, "none");
  assertEquals((await parseTrainCommand("cross", [...DATA, "--tta", "entropy"])).config.testTimeAdaptation, "entropy");
  assertEquals((await parseTrainCommand("cross", [...DATA, "--tta=none"])).config.testTimeAdaptation, "none");
  assertEquals((await parseTrainCommand("cross", [...DATA, "--tta", "im"])).config.testTimeAdaptation, "im");
  await assertRejects(() => parseTrainCommand("cross", [...DATA, "--tta", "tent"]), RangeError, "--tta must be");
});

Deno.test("parseTrainCommand() lets flags override a --config file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/c.json`, JSON.stringify({ epochs: 7, batchSize: 16, model: "vivit" }));
    const { config } = await parseTrainCommand("intra", [...DATA, "--config", `${dir}/c.json`, "--epochs", "2"]);
    assertEquals([config.epochs, config.batchSize, config.model, config.task], [2, 16, "vivit", "intra"]);
    assertEquals(config.trainSplits, ["Intra/train"]);
    assertEquals(config.adaptBatchNorm, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseTrainCommand() names the flag and the value it rejects", async () => {
  await assertRejects(() => parseTrainCommand("cross", [...DATA, "--epochs", "0"]), RangeError, "--epochs");
  await assertRejects(() => parseTrainCommand("cross", [...DATA, "--lr=-1"]), RangeError, "got -1");
  await assertRejects(() => parseTrainCommand("cross", [...DATA, "--model", "lstm"]), RangeError, "got lstm");
  await assertRejects(() => parseTrainCommand("cross", [...DATA, "--backend", "cuda"]), RangeError, "got cuda");
  await assertRejects(() => parseTrainCommand("cross", [...DATA, "--normalise", "l2"]), RangeError, "got l2");
  await assertRejects(
    () => parseTrainCommand("cross", [...DATA, "--resume", "/nonexistent"]),
    RangeError,
    "config.json",
  );
});

Deno.test("parseTrainCommand() rejects unknown keys in a --config file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/c.json`, JSON.stringify({ epoch: 7 }));
    await assertRejects(() => parseTrainCommand("cross", [...DATA, "--config", `${dir}/c.json`]), TypeError, "epoch");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseTrainCommand() takes --validation holdout, loso, loso:SUBJECT or folders", async () => {
  const of = async (...args: string[]) => (await parseTrainCommand("cross", [...DATA, ...args])).config;
  const loso = await of("--validation", "loso:104");
  assertEquals([loso.validation, loso.validationSplits], ["loso:104", []]);
  const folders = await of("--validation", "Cross/test1,Cross/test2");
  assertEquals([folders.validation, folders.validationSplits], ["splits", ["Cross/test1", "Cross/test2"]]);
  assertEquals((await of("--validation", "holdout")).validation, "holdout");
  await assertRejects(() => of("--validation", ","), RangeError, "--validation");
  const dir = await Deno.makeTempDir();
  try {
    // A config.json of a run made before `validation`: its folders still validate.
    await Deno.writeTextFile(`${dir}/old.json`, JSON.stringify({ validationSplits: ["Cross/test1", "Cross/test2"] }));
    const old = await of("--config", `${dir}/old.json`);
    assertEquals([old.validation, old.validationSplits], ["splits", ["Cross/test1", "Cross/test2"]]);
    assertEquals((await of("--config", `${dir}/old.json`, "--validation", "holdout")).validationSplits, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
