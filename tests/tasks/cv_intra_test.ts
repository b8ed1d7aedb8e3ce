import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { writeDataset } from "../../synth/write_dataset.ts";
import { foldConfig, main, meanCurve, poolFolds } from "../../tasks/cv_intra.ts";
import { runConfig } from "../../training/run_config.ts";

Deno.test("foldConfig() validates on fold I of K and reads no test split", () => {
  const config = foldConfig(runConfig("intra", "/data", { model: "gru" }), 2, 4);
  assertEquals([config.validation, config.validationSplits, config.testSplits], ["fold:2/4", [], []]);
  assertEquals([config.model, config.trainSplits], ["gru", ["Intra/train"]]);
});

Deno.test("cv-intra refuses --validation, --resume and a bad --folds before reading data", async () => {
  await assertRejects(() => main(["--validation", "holdout"]), RangeError, "drop --validation");
  await assertRejects(() => main(["--resume", "/tmp/x"]), RangeError, "drop --validation and --resume");
  await assertRejects(() => main(["--folds", "1"]), RangeError, "--folds must be an integer >= 2");
});

Deno.test("meanCurve() averages the folds' validation accuracy per epoch, up to the shortest fold", () => {
  const fold = (...acc: (number | undefined)[]) => acc.map((valAccuracy, i) => ({ epoch: i + 1, valAccuracy }));
  assertEquals(meanCurve([fold(0.5, 0.75, 1), fold(0.25, 0.5, 0.5)] as never), [0.375, 0.625, 0.75]);
  assertEquals(meanCurve([fold(0.5, 0.75), fold(0.25)] as never), [0.375]);
  // A fold without validation ends the curve where its validation ends.
  assertEquals(meanCurve([fold(0.5, undefined), fold(0.25, 0.5)] as never), [0.375]);
  assertEquals(meanCurve([]), []);
});

Deno.test("poolFolds() pools every fold's recordings and names the ones voted wrong", () => {
  const rec = (recording: string, label: number, votes: number[], voted: number) => ({
    recording,
    label,
    votes,
    voted,
    windows: votes.reduce((a, b) => a + b, 0),
    windowAccuracy: votes[label] / votes.reduce((a, b) => a + b, 0),
    correct: voted === label,
  });
  const fold = (bestEpoch: number, perRecording: unknown[]) => ({
    bestEpoch,
    splits: { validation: { perRecording } },
  });
  const pooled = poolFolds([
    fold(2, [rec("rest_1_1.h5", 0, [4, 0, 0, 0], 0), rec("task_motor_1_1.h5", 3, [0, 0, 3, 1], 2)]),
    fold(5, [rec("rest_1_2.h5", 0, [2, 2, 0, 0], 0), rec("task_motor_1_2.h5", 3, [0, 0, 0, 4], 3)]),
  ] as never);
  assertEquals([pooled.windows, pooled.windowAccuracy, pooled.recordings, pooled.recordingAccuracy], [
    16,
    11 / 16,
    4,
    0.75,
  ]);
  assertEquals(pooled.perFold, [
    { windowAccuracy: 5 / 8, recordingAccuracy: 0.5, bestEpoch: 2 },
    { windowAccuracy: 6 / 8, recordingAccuracy: 1, bestEpoch: 5 },
  ]);
  assertEquals(pooled.missed, [{ recording: "task_motor_1_1.h5", label: "motor", voted: "memory", trueShare: 0.25 }]);
});

Deno.test("deno task cv-intra trains one model per fold and validates every Intra/train recording once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = join(dir, "data");
    await writeDataset(data, { preset: "small", nTimes: 1024, splits: ["Intra/train"], intraTrainChunks: 2 });
    const out = join(dir, "cv");
    const printed: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => printed.push(args.join(" "));
    try {
      await main([
        "--data",
        data,
        "--no-cache",
        "--out",
        out,
        "--folds",
        "2",
        "--epochs",
        "1",
        "--window-seconds",
        "0.5",
        "--stride-seconds",
        "0.5",
        "--model-options",
        '{"temporalFilters":2,"separableFilters":4,"kernLength":16}',
      ]);
    } finally {
      console.log = log;
    }
    assertStringIncludes(printed.join("\n"), "(8 recordings)");
    const cv = JSON.parse(await Deno.readTextFile(join(out, "cv.json")));
    assertEquals([cv.folds, cv.recordings, cv.perFold.length, cv.meanCurve.length], [2, 8, 2, 1]);
    assertStringIncludes(printed.join("\n"), "mean validation window acc per epoch: 1: ");
    for (const fold of [0, 1]) {
      const config = JSON.parse(await Deno.readTextFile(join(out, `fold-${fold}`, "config.json")));
      assertEquals([config.validation, config.testSplits], [`fold:${fold}/2`, []]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
