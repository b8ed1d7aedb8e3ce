import { assert, assertAlmostEquals, assertEquals, assertRejects } from "@std/assert";
import { join } from "node:path";
import { DataFileError } from "../../core/errors.ts";
import { LABELS } from "../../core/types.ts";
import { predictRecordings } from "../../evaluation/predict.ts";
import { parseRecordingFileName } from "../../sources/parse_recording_file_name.ts";
import { generateRecording } from "../../synth/generate_recording.ts";
import { loadServedRun } from "../../serve/load_served_run.ts";
import { predictFile } from "../../serve/predict_file.ts";
import { fakeRun, STEPS, writeH5 } from "./_run.ts";

async function withRun(
  fn: (dir: string, runDir: string) => Promise<void>,
  overrides = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "megflow-predict-file-test-" });
  try {
    await fn(dir, await fakeRun(dir, overrides));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function writeMotor(path: string, nTimes = 4096): Promise<void> {
  const data = generateRecording("task_motor", "162935", { nTimes });
  await writeH5(path, "task_motor_162935", [248, nTimes], (i) => data[i]);
}

Deno.test("predictFile() predicts every window as the evaluation does and votes the recording's class", async () => {
  await withRun(async (dir, runDir) => {
    const path = join(dir, "task_motor_162935_1.h5");
    await writeMotor(path);
    const run = await loadServedRun(runDir, { backend: "wasm" });
    try {
      const prediction = await predictFile(run, path);
      const expected = await predictRecordings(run.model, [{ path, split: "x", ...parseRecordingFileName(path) }], {
        steps: STEPS,
        batchSize: run.config.batchSize,
        nClasses: 4,
        adaptBatchNorm: true,
      });
      // 4096 raw samples: 3 windows of 1 s (125 samples) every 63 samples (0.5 s, rounded) at 125 Hz.
      assertEquals(prediction.windows.map((w) => w.start), [0, 63 / 125, 126 / 125]);
      assertEquals(
        prediction.windows.map((w) => LABELS.map((l) => w.probabilities[l])),
        expected.rows.map((r) => r.probs),
      );
      assertEquals(prediction.windows.map((w) => w.class), expected.rows.map((r) => LABELS[r.predicted]));
      for (const w of prediction.windows) {
        assertAlmostEquals(Object.values(w.probabilities).reduce((a, b) => a + b), 1, 1e-5);
      }
      const votes = LABELS.map((l) => prediction.windows.filter((w) => w.class === l).length);
      assertEquals(Object.values(prediction.votes), votes);
      assert(votes[LABELS.indexOf(prediction.class)] === Math.max(...votes));
      assertEquals(prediction.correct, prediction.class === "motor");
      assertEquals(prediction.recording, {
        fileName: "task_motor_162935_1.h5",
        datasetName: "task_motor_162935",
        label: "motor",
        subject: "162935",
        chunk: 1,
        shape: [248, 4096],
        dtype: "float64",
        seconds: 4096 / 2034,
      });
      assertEquals([prediction.model, prediction.run], ["cnn", "run"]);

      // Under an unknown name: the same windows; the label is unknown; any dataset name is read.
      const upload = join(dir, "upload.h5");
      await Deno.copyFile(path, upload);
      const unnamed = await predictFile(run, upload, { fileName: null });
      assertEquals(unnamed.windows, prediction.windows);
      assertEquals([unnamed.recording.fileName, unnamed.recording.label, unnamed.correct], [null, null, null]);
      assertEquals(unnamed.recording.datasetName, "task_motor_162935");
    } finally {
      run.model.dispose();
    }
  });
});

Deno.test("predictFile() refuses what the reader refuses, and a recording shorter than a window", async () => {
  await withRun(async (dir, runDir) => {
    const run = await loadServedRun(runDir, { backend: "wasm" });
    try {
      const wrong = join(dir, "rest_162935_1.h5");
      await writeMotor(wrong);
      await assertRejects(() => predictFile(run, wrong), DataFileError, "found one named task_motor_162935");
      const short = join(dir, "task_motor_162935_2.h5");
      await writeMotor(short, 1000);
      await assertRejects(() => predictFile(run, short), DataFileError, "expected at least one 1 s window");
      const nan = join(dir, "upload.h5");
      await writeH5(nan, "x", [248, 4096], (i) => (i === 5 * 4096 + 7 ? NaN : 1e-12));
      await assertRejects(() => predictFile(run, nan, { fileName: null }), DataFileError, "channel row 5");
    } finally {
      run.model.dispose();
    }
  });
});

Deno.test("predictFile() fits per-subject steps on the named file alone and refuses an unnamed one", async () => {
  await withRun(async (dir, runDir) => {
    const run = await loadServedRun(runDir, { backend: "wasm" });
    try {
      assertEquals(run.description.subjectSteps, ["subjectZscore"]);
      const path = join(dir, "task_motor_162935_1.h5");
      await writeMotor(path);
      assertEquals((await predictFile(run, path)).windows.length, 3);
      const upload = join(dir, "upload.h5");
      await Deno.copyFile(path, upload);
      await assertRejects(
        () => predictFile(run, upload, { fileName: null }),
        DataFileError,
        "per-subject steps (subjectZscore)",
      );
    } finally {
      run.model.dispose();
    }
  }, {
    preprocess: [STEPS[0], { op: "subjectZscore" }, STEPS[2]],
  });
});
