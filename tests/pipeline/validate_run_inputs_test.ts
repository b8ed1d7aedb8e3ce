import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { DataFileError } from "../../core/errors.ts";
import type { PreprocessStep } from "../../pipeline/preprocess.ts";
import { validateRunInputs } from "../../pipeline/validate_run_inputs.ts";
import { writeRecording } from "../_recordings.ts";
import { withTempDir } from "../_temp_dir.ts";

const steps = (windowSeconds: number, toHz?: number): PreprocessStep[] => [
  ...(toHz ? [{ op: "resample", toHz } as const] : []),
  { op: "window", windowSeconds },
];

Deno.test("validateRunInputs() accepts recordings exactly one window long (after resampling)", async () => {
  await withTempDir(async (dir) => {
    // 2034 raw samples -> 125 at 125 Hz: one 1 s window
    const recording = await writeRecording(dir, "rest", "1", 1, 2034);
    const [checked] = await validateRunInputs([recording], { steps: steps(1, 125) });
    assertEquals(checked.info.shape, [248, 2034]);
    // maxSamples 2018 still gives ceil(2018 * 125 / 2034) = 125 samples; 2017 gives 124
    await validateRunInputs([recording], { steps: steps(1, 125), maxSamples: 2018 });
    await assertRejects(
      () => validateRunInputs([recording], { steps: steps(1, 125), maxSamples: 2017 }),
      RangeError,
      "raise maxSamples (--max-samples) to at least 2018",
    );
  });
});

Deno.test("validateRunInputs() names the shortest recording with its length in seconds and samples", async () => {
  await withTempDir(async (dir) => {
    const long = await writeRecording(dir, "rest", "1", 1, 4068);
    const short = await writeRecording(dir, "rest", "1", 2, 1017);
    const error = await assertRejects(() => validateRunInputs([long, short], { steps: steps(1) }), RangeError);
    assertEquals(
      error.message,
      `Cannot cut windows of 1 s (2034 samples at 2034 Hz): 1 of 2 recordings are shorter; the shortest, ` +
        `${short.path}, lasts 0.5 s (1017 samples at 2034 Hz); shorten the window (--window-seconds) to at most 0.5 s`,
    );
  });
});

Deno.test("validateRunInputs() reports a bad file before the window lengths", async () => {
  await withTempDir(async (dir) => {
    const good = await writeRecording(dir, "rest", "1", 1, 500);
    const bad = { ...(await writeRecording(dir, "rest", "2", 1, 500)), datasetName: "rest_9" };
    const error = await assertRejects(() => validateRunInputs([good, bad], { steps: steps(2, 125) }), DataFileError);
    assertStringIncludes(error.reason, "expected one dataset named rest_9, found one named rest_2");
  });
});

Deno.test("validateRunInputs() gives the same results in a worker (default) and in this thread", async () => {
  await withTempDir(async (dir) => {
    const recordings = [
      await writeRecording(dir, "rest", "1", 1, 2100),
      await writeRecording(dir, "rest", "1", 2, 2500),
    ];
    const here = await validateRunInputs(recordings, { steps: steps(1, 125), inWorker: false });
    assertEquals(await validateRunInputs(recordings, { steps: steps(1, 125) }), here);
    const bad = { ...recordings[0], datasetName: "rest_9" };
    for (const inWorker of [true, false]) {
      const error = await assertRejects(() => validateRunInputs([bad], { steps: steps(1), inWorker }), DataFileError);
      assertEquals(error.path, bad.path);
    }
  });
});
