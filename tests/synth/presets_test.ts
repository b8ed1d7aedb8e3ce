import { assert, assertEquals } from "@std/assert";
import { type DatasetLayout, SYNTH_PRESETS } from "../../synth/presets.ts";
import { RAW_SFREQ, TASK_TYPES } from "../../core/types.ts";

/** Files of a layout: Intra train + test for one subject, Cross train per subject, one Cross test folder per subject. */
function fileCount(layout: DatasetLayout): number {
  const classes = TASK_TYPES.length;
  return classes * (layout.intraTrainChunks + layout.intraTestChunks) +
    classes * layout.crossTrainSubjects.length * layout.crossTrainChunks +
    classes * layout.crossTestSubjects.length * layout.crossTestChunks;
}

/** Bytes of the float64 matrices of a layout, 248 sensors each. */
function dataBytes(layout: DatasetLayout): number {
  return fileCount(layout) * 248 * layout.nTimes * 8;
}

Deno.test("SYNTH_PRESETS offers exactly the full and small layouts", () => {
  assertEquals(Object.keys(SYNTH_PRESETS).sort(), ["full", "small"]);
});

Deno.test("SYNTH_PRESETS.full mirrors the assignment data: 128 files of 248 x 35624 at 2034 Hz, ~9.05 GB", () => {
  const full = SYNTH_PRESETS.full;
  assertEquals([full.nTimes, full.sfreq], [35624, RAW_SFREQ]);
  assertEquals([full.intraTrainChunks, full.intraTestChunks, full.crossTrainChunks, full.crossTestChunks], [
    8,
    2,
    8,
    2,
  ]);
  assertEquals(full.intraSubject, "105923");
  assertEquals(full.crossTrainSubjects, ["113922", "164636"]);
  assertEquals(full.crossTestSubjects, ["162935", "707749", "725751"]);
  assertEquals(fileCount(full), 128);
  assertEquals(Math.round(dataBytes(full) / 1e7) / 100, 9.05);
});

Deno.test("SYNTH_PRESETS.small keeps every folder and class with one chunk: 28 files, ~228 MB", () => {
  const small = SYNTH_PRESETS.small;
  assertEquals([small.nTimes, small.sfreq], [4096, RAW_SFREQ]);
  assertEquals([small.intraTrainChunks, small.intraTestChunks, small.crossTrainChunks, small.crossTestChunks], [
    1,
    1,
    1,
    1,
  ]);
  assertEquals(fileCount(small), 28);
  assertEquals(Math.round(dataBytes(small) / 1e6), 228);
  // About 2 s per file.
  assert(Math.abs(small.nTimes / small.sfreq - 2) < 0.05);
});

Deno.test("SYNTH_PRESETS use the same subjects in both layouts, each in one role only", () => {
  for (const key of ["intraSubject", "crossTrainSubjects", "crossTestSubjects"] as const) {
    assertEquals(SYNTH_PRESETS.small[key], SYNTH_PRESETS.full[key]);
  }
  const { intraSubject, crossTrainSubjects, crossTestSubjects } = SYNTH_PRESETS.full;
  const all = [intraSubject, ...crossTrainSubjects, ...crossTestSubjects];
  assertEquals(new Set(all).size, all.length);
  for (const subject of all) assert(/^\d+$/.test(subject), `subject ${subject} is not digits (file names need digits)`);
});
