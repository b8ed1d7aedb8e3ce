/**
 * `train-intra` on the small synthetic preset (one Intra/train chunk per class): the default
 * hold-out says which option to change, and with that option the run works.
 */
import { assertEquals, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import type { Recording } from "../../core/types.ts";
import { join } from "node:path";
import { writeDataset } from "../../synth/write_dataset.ts";
import { runConfig } from "../../training/run_config.ts";
import { holdOut, trainRun } from "../../orchestration/train_run.ts";
import { exists } from "../../core/_exists.ts";
import { SYNTH_PRESETS } from "../../synth/presets.ts";

async function withSmallIntra(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "megflow-small-intra-" });
  try {
    await writeDataset(join(dir, "data"), { preset: "small", splits: ["Intra/train", "Intra/test"] });
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const TINY = {
  model: "gru",
  modelOptions: { units: 4, projectionUnits: 4, attentionUnits: 4, poolSize: 5 },
  epochs: 1,
  backend: "cpu",
  preprocess: [
    { op: "resample", toHz: 125 },
    { op: "zscore" },
    { op: "window", windowSeconds: 1, strideSeconds: 1 },
  ],
} as const;

Deno.test("trainRun() intra on the small preset names the option to change, before writing a run folder", () =>
  withSmallIntra(async (dir) => {
    assertEquals(SYNTH_PRESETS.small.intraTrainChunks, 1);
    const runDir = join(dir, "run");
    // One held-out chunk per class, the shared default (gru's intra recipe holds none out).
    const config = runConfig("intra", join(dir, "data"), {
      ...TINY,
      preprocess: [...TINY.preprocess],
      holdoutChunks: 1,
    });
    const error = await assertRejects(() => trainRun(config, { runDir, log: () => {} }), RangeError);
    for (const hint of ["Intra/train", "has 1", "holdoutChunks to 0", "validationSplits", "--intra-train-chunks"]) {
      assertStringIncludes(error.message, hint);
    }
    assertEquals(await exists(runDir), false);
  }));

Deno.test("trainRun() intra on the small preset works with holdoutChunks 0 (no validation, last epoch kept)", () =>
  withSmallIntra(async (dir) => {
    const runDir = join(dir, "run");
    const config = runConfig("intra", join(dir, "data"), {
      ...TINY,
      preprocess: [...TINY.preprocess],
      holdoutChunks: 0,
    });
    const results = await trainRun(config, { runDir, log: () => {} });
    assertEquals([results.bestEpoch, Object.keys(results.splits).sort()], [1, ["test", "train"]]);
    assertEquals(await exists(join(runDir, "report.html")), true);
  }));

Deno.test("holdOut() says how many chunks per class a group has and which option to change", () => {
  const recording = (chunk: number) =>
    ({
      path: `/d/Intra/train/rest_105923_${chunk}.h5`,
      split: "Intra/train",
      subject: "105923",
      label: "rest" as const,
      chunk,
    }) as Recording;
  const error = assertThrows(() => holdOut([recording(1), recording(2)], 2, 1), RangeError);
  assertStringIncludes(error.message, "Cannot hold out 2 recordings per subject and class for validation");
  assertStringIncludes(error.message, "Set holdoutChunks to 1");
});
