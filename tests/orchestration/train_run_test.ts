import { assert, assertEquals, assertNotEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { writeDataset } from "../../synth/write_dataset.ts";
import { type RunConfig, runConfig } from "../../training/run_config.ts";
import { holdOut, signalOf, stepsForModel, trainRun } from "../../orchestration/train_run.ts";
import type { Recording } from "../../core/types.ts";
import { runOutcome } from "../_run_outcome.ts";

const TINY_GRU = { units: 8, projectionUnits: 8, attentionUnits: 8, poolSize: 5 };
const STEPS = [
  { op: "resample", toHz: 125 },
  { op: "zscore" },
  { op: "window", windowSeconds: 1, strideSeconds: 0.5 },
] as const;

async function smallCrossData(dir: string): Promise<void> {
  await writeDataset(dir, {
    preset: "small",
    nTimes: 4096,
    crossTrainChunks: 2, // one per subject and class is held out to validate
    splits: ["Cross/train", "Cross/test1", "Cross/test2", "Cross/test3"],
  });
}

/** Writes small cross-subject data into `dir/data` and returns a tiny GRU's run config on it. */
async function tinyCrossRun(dir: string, epochs: number): Promise<RunConfig> {
  await smallCrossData(`${dir}/data`);
  return runConfig("cross", `${dir}/data`, {
    model: "gru",
    modelOptions: TINY_GRU,
    epochs,
    backend: "wasm",
    preprocess: [...STEPS],
    cacheDir: `${dir}/cache`,
  });
}

Deno.test("trainRun() writes a complete run folder and resumes where it stopped", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = await tinyCrossRun(dir, 2);
    const runDir = `${dir}/run`;
    const lines: string[] = [];
    const progress: string[] = [];
    const results = await trainRun(config, {
      runDir,
      log: (line) => lines.push(line),
      progress: (text) => progress.push(text),
    });
    for (const name of ["config.json", "metrics.jsonl", "predictions.csv", "results.json", "report.html"]) {
      assert((await Deno.stat(join(runDir, name))).isFile, name);
    }
    for (
      const name of ["checkpoint/step-000002/model.json", "checkpoint/step-000002/optimizer.bin", "model/weights.bin"]
    ) {
      assert((await Deno.stat(join(runDir, name))).isFile, name);
    }
    assertEquals(Object.keys(results.splits).sort(), ["test1", "test2", "test3", "train", "validation"]);
    // 4096 raw samples -> 252 at 125 Hz -> 3 windows of 1 s every 0.5 s; 4 recordings per test split.
    assertEquals(results.splits.test3.windows, 4 * 3);
    assertEquals(results.splits.train.recordings, 8);
    assertEquals(results.backend, "wasm");
    const saved = JSON.parse(await Deno.readTextFile(join(runDir, "results.json")));
    assertEquals(saved.splits.test1.confusion.length, 4);
    const history = (await Deno.readTextFile(join(runDir, "metrics.jsonl"))).trim().split("\n");
    assertEquals(history.length, 2);
    assert(JSON.parse(history[0]).valAccuracy !== undefined);
    assertStringIncludes(await Deno.readTextFile(join(runDir, "report.html")), "<svg");
    const csv = (await Deno.readTextFile(join(runDir, "predictions.csv"))).trim().split("\n");
    assertEquals(csv.length, 1 + 8 * 3 + 8 * 3 + 3 * 4 * 3);
    assert(lines.some((line) => line.startsWith("epoch 2/2")));
    assert(progress.some((text) => /^epoch 2\/2 batch \d+\/\d+ .* ETA \d+s$/.test(text)), progress.join("\n"));

    // The same folder again without resume is refused, and so is a resume that changes the seed.
    await assertRejects(() => trainRun(config, { runDir, log: () => {} }), RangeError, "holds a run already");
    await assertRejects(
      () => trainRun({ ...config, seed: 1 }, { runDir, resume: true, log: () => {} }),
      RangeError,
      "seed is 1 here but 42 in its config.json",
    );
    // Resume with a larger budget: epochs 1-2 are kept, epoch 3 is added.
    const resumed = await trainRun({ ...config, epochs: 3 }, { runDir, resume: true, log: () => {} });
    const after = (await Deno.readTextFile(join(runDir, "metrics.jsonl"))).trim().split("\n");
    assertEquals(after.length, 3);
    assertEquals(after.slice(0, 2), history);
    assertEquals(Object.keys(resumed.splits).length, 5);
    // Nothing was written into the data folder.
    const dataFiles: string[] = [];
    for await (const entry of Deno.readDir(`${dir}/data/Cross/train`)) dataFiles.push(entry.name);
    assert(dataFiles.every((name) => name.endsWith(".h5")), dataFiles.join(", "));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainRun() resumed from the last good checkpoint, past a damaged newer one, ends bit for bit like an uninterrupted run", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Mixup and augmentation on, and the GRU's dropout: every random stream of training is exercised;
    // label smoothing and weight decay on (decay follows the schedule, which resumes with the run).
    const config = {
      ...(await tinyCrossRun(dir, 3)),
      mixupAlpha: 0.4,
      labelSmoothing: 0.1,
      weightDecay: 0.5,
      preprocess: [...STEPS, { op: "augment" as const }],
    };
    await trainRun(config, { runDir: `${dir}/whole`, log: () => {} });
    const interrupted = `${dir}/interrupted`;
    await trainRun(config, { runDir: interrupted, log: () => {} });
    // As a kill while epoch 3's checkpoint was written would leave it: its weights cut short.
    await Deno.truncate(join(interrupted, "checkpoint", "step-000003", "weights.bin"), 100);
    const lines: string[] = [];
    await trainRun(config, { runDir: interrupted, resume: true, log: (line) => lines.push(line) });
    assert(lines.some((line) => line.includes("ignoring an incomplete checkpoint")), lines.join("\n"));
    assert(lines.includes(`megflow: resuming ${interrupted} after epoch 2`), lines.join("\n"));
    assertEquals(lines.filter((line) => line.startsWith("epoch ")).map((line) => line.split(":")[0]), ["epoch 3/3"]);
    // Weights, optimizer state (moments, iteration count, bias corrections), best model, metrics and results.
    assertEquals(await runOutcome(interrupted), await runOutcome(`${dir}/whole`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainRun() with weightAverage trains as without it, validates the average and, resumed, ends bit for bit like an uninterrupted run", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = { ...(await tinyCrossRun(dir, 3)), patience: 5 };
    const averaged = { ...config, weightAverage: 0.5 };
    await trainRun(config, { runDir: `${dir}/plain`, log: () => {} });
    await trainRun(averaged, { runDir: `${dir}/whole`, log: () => {} });
    const metrics = async (run: string) =>
      (await Deno.readTextFile(join(dir, run, "metrics.jsonl"))).trim().split("\n").map((line) => JSON.parse(line));
    const [plain, whole] = [await metrics("plain"), await metrics("whole")];
    // The same training (the average never feeds back), another validation from epoch 2 on.
    assertEquals(whole.map((m) => m.trainLoss), plain.map((m) => m.trainLoss));
    assertEquals(whole[0].valLoss, plain[0].valLoss);
    assertNotEquals(whole[2].valLoss, plain[2].valLoss);
    assertEquals(JSON.parse(await Deno.readTextFile(join(dir, "whole", "config.json"))).weightAverage, 0.5);
    // Interrupted after epoch 2 (epoch 3's checkpoint cut short), resumed: the average continues.
    const interrupted = `${dir}/interrupted`;
    await trainRun(averaged, { runDir: interrupted, log: () => {} });
    await Deno.truncate(join(interrupted, "checkpoint", "step-000003", "weights.bin"), 100);
    await trainRun(averaged, { runDir: interrupted, resume: true, log: () => {} });
    assertEquals(await runOutcome(interrupted), await runOutcome(`${dir}/whole`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainRun() with mixupAlpha mixes the training batches only", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = await tinyCrossRun(dir, 1);
    const plain = await trainRun(config, { runDir: `${dir}/plain`, log: () => {} });
    const mixed = await trainRun({ ...config, mixupAlpha: 0.4 }, { runDir: `${dir}/mixed`, log: () => {} });
    const epoch = async (run: string) => JSON.parse(await Deno.readTextFile(join(dir, run, "metrics.jsonl")));
    const [a, b] = [await epoch("plain"), await epoch("mixed")];
    // The same initial weights and window order: only the mixing changes the training loss.
    assertNotEquals(a.trainLoss, b.trainLoss);
    assertEquals(b.windows, a.windows);
    // Evaluation windows are never mixed: every test window is predicted once, with its own label.
    assertEquals(mixed.splits.test3.windows, plain.splits.test3.windows);
    assertEquals(JSON.parse(await Deno.readTextFile(join(dir, "mixed", "config.json"))).mixupAlpha, 0.4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainRun() with labelSmoothing and weightDecay trains with them and records them; a config.json without them resumes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = await tinyCrossRun(dir, 1);
    await trainRun(config, { runDir: `${dir}/plain`, log: () => {} });
    await trainRun({ ...config, labelSmoothing: 0.2 }, { runDir: `${dir}/smooth`, log: () => {} });
    await trainRun({ ...config, weightDecay: 1 }, { runDir: `${dir}/decay`, log: () => {} });
    const epoch = async (run: string) => JSON.parse(await Deno.readTextFile(join(dir, run, "metrics.jsonl")));
    const saved = async (run: string) => JSON.parse(await Deno.readTextFile(join(dir, run, "config.json")));
    // The same initial weights and batches: smoothing changes the training loss of the first step on.
    assertNotEquals((await epoch("smooth")).trainLoss, (await epoch("plain")).trainLoss);
    assertEquals([(await saved("smooth")).labelSmoothing, (await saved("decay")).weightDecay], [0.2, 1]);
    // Decay shrinks the kernels: the classifier kernel ends smaller than without it.
    const weightsOf = async (run: string) =>
      new Float32Array(await Deno.readFile(join(dir, run, "model", "weights.bin")));
    const norm = (w: Float32Array) => Math.hypot(...w);
    assert(norm(await weightsOf("decay")) < norm(await weightsOf("plain")));
    // A run whose config.json predates the keys (as older versions wrote it) resumes with them off.
    const { labelSmoothing: _, weightDecay: __, ...older } = await saved("plain");
    await Deno.writeTextFile(join(dir, "plain", "config.json"), JSON.stringify(older));
    await trainRun({ ...older, epochs: 2 }, { runDir: `${dir}/plain`, resume: true, log: () => {} });
    assertEquals((await Deno.readTextFile(join(dir, "plain", "metrics.jsonl"))).trim().split("\n").length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainRun() refuses to write its run folder or cache into the data folder", async () => {
  const config = runConfig("cross", "/tmp/megflow-data-x", { cacheDir: null });
  await assertRejects(
    () => trainRun(config, { runDir: "/tmp/megflow-data-x/run" }),
    RangeError,
    "inside the data folder",
  );
  await assertRejects(
    () => trainRun({ ...config, cacheDir: "/tmp/megflow-data-x/cache" }, { runDir: "/tmp/elsewhere" }),
    RangeError,
    "inside the data folder",
  );
});

Deno.test("trainRun() names the missing folder when a split is absent", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeDataset(`${dir}/data`, { preset: "small", nTimes: 1024, splits: ["Cross/train"] });
    const config = runConfig("cross", `${dir}/data`, { model: "gru", modelOptions: TINY_GRU, backend: "cpu" });
    await assertRejects(() => trainRun(config, { runDir: `${dir}/run`, log: () => {} }), Error, "Cross/test1");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("holdOut() keeps the given number of recordings per subject and class for validation", () => {
  const recordings = ["rest", "math", "memory", "motor"].flatMap((label) =>
    [1, 2, 3].map((chunk) => ({ path: `${label}_${chunk}`, subject: "1", label, chunk }) as unknown as Recording)
  );
  const { train, validation } = holdOut(recordings, 1, 42);
  assertEquals(validation.length, 4);
  assertEquals(new Set(validation.map((r) => r.label)).size, 4);
  assertEquals(train.length, 8);
  assertEquals(holdOut(recordings, 1, 42).validation, validation);
});

Deno.test("stepsForModel() adds a sensor grid for video models and signalOf() gives their input", () => {
  const steps = stepsForModel([...STEPS], "vivit");
  assertEquals(steps.at(-1), { op: "gridSensors" });
  assertEquals(signalOf(steps), { nChans: 248, nTimes: 125, gridRows: 20, gridCols: 20, sfreq: 125 });
  assertEquals(signalOf([...STEPS]), { nChans: 248, nTimes: 125, sfreq: 125 });
});

Deno.test("trainRun() with testTimeAdaptation entropy adapts a LayerNorm model per subject and says so in results.json", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await smallCrossData(`${dir}/data`);
    const config = runConfig("cross", `${dir}/data`, {
      model: "vivit",
      modelOptions: {
        tubelet: [25, 5, 5],
        cellFilters: 0,
        spatialFilters: 0,
        cellFilterTaps: 0,
        stem: "energy",
        embedDim: 8,
        numHeads: 2,
        keyDim: 4,
        spatialDepth: 1,
        temporalDepth: 1,
        stemNorm: "none",
      },
      epochs: 1,
      backend: "wasm",
      preprocess: [{ op: "resample", toHz: 125 }, { op: "zscore" }, {
        op: "window",
        windowSeconds: 0.8,
        strideSeconds: 0.8,
      }],
      cacheDir: `${dir}/cache`,
    });
    const plain = await trainRun(config, { runDir: `${dir}/plain`, log: () => {} });
    const adapted = await trainRun({ ...config, testTimeAdaptation: "entropy" }, {
      runDir: `${dir}/tta`,
      log: () => {},
    });
    assertEquals(plain.adaptation, { batchNorm: false, testTime: "none" });
    assertEquals(adapted.adaptation, { batchNorm: false, testTime: "entropy" });
    assertEquals(JSON.parse(await Deno.readTextFile(join(dir, "tta", "results.json"))).adaptation.testTime, "entropy");
    // The same training (validation only reads): the same best model, evaluated with and without adaptation.
    assertEquals(
      await Deno.readFile(join(dir, "tta", "model", "weights.bin")),
      await Deno.readFile(join(dir, "plain", "model", "weights.bin")),
    );
    const probs = async (run: string) =>
      (await Deno.readTextFile(join(dir, run, "predictions.csv"))).split("\n").filter((l) => l.includes("test3"));
    assertNotEquals(await probs("tta"), await probs("plain"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
