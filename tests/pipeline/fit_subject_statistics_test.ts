import { assertAlmostEquals, assertEquals, assertNotEquals, assertRejects, assertThrows } from "@std/assert";
import { lastValueFrom, toArray } from "rxjs";
import { join } from "node:path";
import { channelCovariance } from "../../operators/euclidean_align.ts";
import { fitSubjectStatistics, subjectRecordings } from "../../pipeline/fit_subject_statistics.ts";
import { planPreprocess, preprocess, type PreprocessStep } from "../../pipeline/preprocess.ts";
import { readBlocks } from "../../sources/read_blocks.ts";
import { streamWindows } from "../../pipeline/stream_windows.ts";
import type { Recording, Window } from "../../core/types.ts";
import { writeRecording } from "../_recordings.ts";

/** Deterministic noise in [-1, 1) from three integers (a fast hash, good enough for test signals). */
function noise(a: number, b: number, c: number): number {
  const x = Math.sin(a * 12.9898 + b * 78.233 + c * 0.3719) * 43758.5453;
  return 2 * (x - Math.floor(x)) - 1;
}

/**
 * A split folder with two subjects: subject 1 has two recordings whose
 * channels are mixed (correlated, unequal power), subject 2 has one.
 */
async function writeFolder(dir: string, nTimes = 8136): Promise<Recording[]> {
  const mixed = (chunk: number) => (c: number, t: number) =>
    1e-12 * (noise(chunk, c, t) + 0.8 * noise(chunk, (c + 1) % 248, t) + (c % 5) * noise(chunk, 999, t));
  return [
    await writeRecording(dir, "rest", "1", 1, nTimes, mixed(1)),
    await writeRecording(dir, "task_motor", "1", 2, nTimes, mixed(2)),
    await writeRecording(dir, "rest", "2", 1, nTimes, (c, t) => 1e-12 * noise(7, c, t)),
  ];
}

/** Mean over recordings of the covariance of each recording's windows joined in time order. */
function meanCovariance(windows: readonly Window[]): Float64Array {
  const [n, nTimes] = windows[0].shape;
  const paths = [...new Set(windows.map((w) => w.recording.path))];
  const sum = new Float64Array(n * n);
  for (const path of paths) {
    const own = windows.filter((w) => w.recording.path === path).sort((a, b) => a.startSample - b.startSample);
    const joined = new Float32Array(n * nTimes * own.length);
    own.forEach((w, k) => {
      for (let c = 0; c < n; c++) {
        joined.set(w.data.subarray(c * nTimes, (c + 1) * nTimes), (c * own.length + k) * nTimes);
      }
    });
    channelCovariance(joined, n).forEach((v, i) => (sum[i] += v / paths.length));
  }
  return sum;
}

Deno.test("subjectRecordings() finds the recordings of the same subject in the same folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recordings = await writeFolder(join(dir, "test1"), 300);
    assertEquals((await subjectRecordings(recordings[0])).map((r) => r.path), [recordings[0].path, recordings[1].path]);
    assertEquals((await subjectRecordings(recordings[2])).map((r) => r.path), [recordings[2].path]);
    await assertRejects(() => subjectRecordings({ ...recordings[0], subject: "3" }), Error, "subject 3");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fitSubjectStatistics() reads each subject once and pools its recordings", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recordings = await writeFolder(join(dir, "train"), 300);
    const read: string[] = [];
    const source = (r: Recording) => (read.push(r.path), readBlocks(r));
    const options = { source, sourceKey: `test-${dir}`, covariance: true };
    const first = await fitSubjectStatistics(recordings[1], options);
    const again = await fitSubjectStatistics(recordings[0], options);
    assertEquals(read, [recordings[0].path, recordings[1].path]); // one pass for both calls
    assertEquals(again, first);
    assertEquals([first.subject, first.samples, first.nChans], ["1", 600, 248]);
    assertEquals(first.covariance!.length, 248 * 248);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the align step makes each subject's mean covariance the identity, test subjects included", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recordings = await writeFolder(join(dir, "test1"));
    const steps: PreprocessStep[] = [
      { op: "resample", toHz: 125 },
      { op: "zscore" },
      { op: "align", shrinkage: 0 },
      { op: "window", windowSeconds: 1 }, // 4 whole windows per 4 s recording: they tile it
    ];
    const windows = await lastValueFrom(streamWindows(recordings, { steps }).pipe(toArray()));
    const subject1 = meanCovariance(windows.filter((w) => w.recording.subject === "1"));
    const subject2 = meanCovariance(windows.filter((w) => w.recording.subject === "2"));
    for (const [i, j] of [[0, 0], [7, 7], [247, 247], [0, 1], [3, 200]]) {
      assertAlmostEquals(subject1[i * 248 + j], i === j ? 1 : 0, 2e-3);
      assertAlmostEquals(subject2[i * 248 + j], i === j ? 1 : 0, 2e-3);
    }
    const unaligned = await lastValueFrom(
      streamWindows(recordings.slice(0, 2), { steps: [steps[0], steps[1], steps[3]] }).pipe(toArray()),
    );
    assertNotEquals(Math.round(meanCovariance(unaligned)[1] * 100), 0); // neighbouring channels correlate before
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the subjectZscore step z-scores with the statistics of all of the subject's recordings", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const [a, b] = await writeFolder(join(dir, "train"), 4068);
    const steps: PreprocessStep[] = [{ op: "subjectZscore" }, { op: "window", windowSeconds: 1 }];
    const windows = await lastValueFrom(streamWindows([a, b], { steps, rawSfreq: 2034 }).pipe(toArray()));
    assertEquals(windows.length, 4);
    const channel = (c: number) => windows.flatMap((w) => Array.from(w.data.subarray(c * 2034, (c + 1) * 2034)));
    for (const c of [0, 4, 100]) {
      const values = channel(c);
      const mean = values.reduce((s, x) => s + x, 0) / values.length;
      const sd = Math.sqrt(values.reduce((s, x) => s + (x - mean) ** 2, 0) / values.length);
      assertAlmostEquals(mean, 0, 1e-4);
      assertAlmostEquals(sd, 1, 1e-4);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the augment step changes training windows only, with new draws each epoch", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recordings = (await writeFolder(join(dir, "train"), 4068)).slice(0, 1);
    const plain: PreprocessStep[] = [{ op: "resample", toHz: 125 }, { op: "zscore" }, {
      op: "window",
      windowSeconds: 1,
    }];
    const steps: PreprocessStep[] = [...plain, { op: "augment" }];
    const run = (s: PreprocessStep[], epoch?: number) =>
      lastValueFrom(streamWindows(recordings, { steps: s, epoch, seed: 3 }).pipe(toArray()));
    const reference = await run(plain);
    assertEquals((await run(steps)).map((w) => w.data), reference.map((w) => w.data)); // evaluation: unchanged
    const epoch1 = await run(steps, 1);
    assertNotEquals(epoch1[0].data, reference[0].data);
    assertEquals(epoch1.map((w) => w.label), reference.map((w) => w.label));
    assertEquals((await run(steps, 1)).map((w) => w.data), epoch1.map((w) => w.data)); // seeded
    assertNotEquals((await run(steps, 2))[0].data, epoch1[0].data); // new draws next epoch
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("preprocess() alone fits subject-level steps on the raw recordings of the folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recordings = await writeFolder(join(dir, "train"), 300);
    const windows = await lastValueFrom(
      readBlocks(recordings[2]).pipe(
        preprocess([{ op: "subjectZscore" }, { op: "window", windowSeconds: 0.1 }]),
        toArray(),
      ),
    );
    assertEquals(windows.length, 1);
    assertAlmostEquals(windows[0].data.slice(0, 203).reduce((s, x) => s + x, 0) / 203, 0, 0.2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("planPreprocess() places subject-level steps on blocks and augment on sensor windows", () => {
  const plan = planPreprocess([
    { op: "resample", toHz: 125 },
    { op: "subjectZscore" },
    { op: "align", shrinkage: 0.1 },
    { op: "window", windowSeconds: 1 },
    { op: "augment", noiseStd: 0.2 },
    { op: "gridSensors" },
  ]);
  assertEquals(plan.blockSteps.map((s) => s.op), ["resample", "subjectZscore", "align"]);
  assertEquals(plan.windowSteps.map((s) => s.op), ["augment", "gridSensors"]);
  assertThrows(
    () => planPreprocess([{ op: "window", windowSeconds: 1 }, { op: "align" }]),
    TypeError,
    'before "window"',
  );
  assertThrows(
    () => planPreprocess([{ op: "window", windowSeconds: 1 }, { op: "gridSensors" }, { op: "augment" }]),
    TypeError,
    'before "gridSensors"',
  );
  assertThrows(
    () => preprocess([{ op: "align", shrinkage: -1 }, { op: "window", windowSeconds: 1 }]),
    RangeError,
    "shrinkage",
  );
});
