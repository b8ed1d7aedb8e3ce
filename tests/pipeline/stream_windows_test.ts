import { assertEquals, assertLessOrEqual, assertNotEquals, assertRejects, assertThrows } from "@std/assert";
import { lastValueFrom, take, tap, toArray } from "rxjs";
import { ResamplePool } from "../../pipeline/resample_pool.ts";
import { consume } from "../../pipeline/consume.ts";
import { PullGate } from "../../core/pull_gate.ts";
import type { PreprocessStep } from "../../pipeline/preprocess.ts";
import { streamBatches } from "../../pipeline/stream_batches.ts";
import { streamWindows } from "../../pipeline/stream_windows.ts";
import type { Recording, Window } from "../../core/types.ts";
import { writeRecording } from "../_recordings.ts";

const STEPS: PreprocessStep[] = [
  { op: "resample", toHz: 125 },
  { op: "window", windowSeconds: 1 },
];

async function fourRecordings(dir: string): Promise<Recording[]> {
  return [
    await writeRecording(dir, "rest", "1", 1, 4068),
    await writeRecording(dir, "task_motor", "1", 1, 4068),
    await writeRecording(dir, "task_story_math", "1", 1, 4068),
    await writeRecording(dir, "task_working_memory", "1", 1, 4068),
  ];
}

Deno.test("streamWindows() emits every window of every recording with its label", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recordings = await fourRecordings(dir);
    const windows = await lastValueFrom(
      streamWindows(recordings, { steps: STEPS, blockSamples: 1000 }).pipe(toArray()),
    );
    assertEquals(windows.length, 4 * 2); // 2 s at 125 Hz = 250 samples -> 2 windows of 125
    for (const window of windows) assertEquals(window.shape, [248, 125]);
    const labels = new Set(windows.map((w) => `${w.recording.label}:${w.label}`));
    assertEquals([...labels].sort(), ["math:1", "memory:2", "motor:3", "rest:0"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const workers of [0, 2]) {
  Deno.test(`streamWindows() reads no further while the sink holds a batch (backpressure), ${workers} workers`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const recordings = await fourRecordings(dir);
      let produced = 0;
      const gate = new PullGate(1);
      const windows$ = streamWindows(recordings, { steps: STEPS, gate, blockSamples: 512, concurrency: 2, workers })
        .pipe(tap(() => produced++));
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let steps = 0;
      const done = consume(windows$, async () => {
        if (steps++ === 0) await held; // the first step takes "forever"
      }, { gate });
      await new Promise((resolve) => setTimeout(resolve, 200));
      // Without the gate all 8 windows would be out by now; with it, the readers stop after
      // the blocks already being read (one per concurrent recording).
      assertLessOrEqual(produced, 2);
      release();
      assertEquals(await done, 8);
      assertEquals(produced, 8);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("streamWindows() applies normalisation per recording", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const loud = await writeRecording(dir, "rest", "1", 1, 4068, (c, t) => 1e-10 * Math.sin(t / 50 + c));
    const quiet = await writeRecording(dir, "task_motor", "1", 1, 4068, (c, t) => 1e-14 * Math.sin(t / 50 + c));
    const steps: PreprocessStep[] = [{ op: "resample", toHz: 125 }, { op: "zscore" }, {
      op: "window",
      windowSeconds: 2,
    }];
    const windows: Window[] = await lastValueFrom(streamWindows([loud, quiet], { steps }).pipe(toArray()));
    const sd = (w: Window) => Math.sqrt(w.data.slice(0, 250).reduce((s, x) => s + x * x, 0) / 250);
    for (const window of windows) assertEquals(Math.abs(sd(window) - 1) < 0.05, true, `sd ${sd(window)}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("streamWindows() rejects a concurrency that is not a positive integer", () => {
  assertThrows(() => streamWindows([], { concurrency: 0 }), RangeError, "got 0");
  assertThrows(() => streamWindows([], { workers: -1 }), RangeError, "workers must be a non-negative integer, got -1");
});

/** Each window as text: recording, start, label, shape and the bits of its samples. */
function fingerprints(windows: Window[]): string[] {
  return windows.map((w) =>
    `${w.recording.path}@${w.startSample}:${w.label}:${w.shape}:${
      new Uint32Array(w.data.buffer, w.data.byteOffset, w.data.length).join(",")
    }`
  );
}

Deno.test("streamWindows() gives the same windows with and without workers, bit for bit, in the same order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recordings = [
      await writeRecording(dir, "rest", "1", 1, 9000, (c, t) => 1e-12 * Math.sin(t / 30 + c)),
      await writeRecording(dir, "task_motor", "1", 1, 4068, (c, t) => 1e-12 * Math.cos(t / 20 + c)),
      await writeRecording(dir, "task_story_math", "1", 1, 7000, (c, t) => 1e-11 * Math.sin(t / 7 - c)),
      await writeRecording(dir, "task_working_memory", "1", 1, 5000, (c, t) => 1e-13 * Math.sin(t / 3 + c)),
    ];
    const steps: PreprocessStep[] = [
      { op: "resample", toHz: 125 },
      { op: "zscore", mode: "running" },
      { op: "window", windowSeconds: 1, strideSeconds: 0.5 },
    ];
    const run = (workers: number, concurrency?: number) =>
      lastValueFrom(streamWindows(recordings, { steps, workers, concurrency, blockSamples: 1500 }).pipe(toArray()));
    const single = fingerprints(await run(0));
    assertEquals(fingerprints(await run(2)), single);
    assertEquals(fingerprints(await run(2, 3)), single);
    assertEquals(fingerprints(await run(1, 1)), single);
    // recording after recording, in the order given, although the second finishes first
    const paths = single.map((f) => f.split("@")[0]);
    assertEquals([...new Set(paths)], recordings.map((r) => r.path));
    assertEquals(
      paths,
      [...paths].sort((a, b) => recordings.findIndex((r) => r.path === a) - recordings.findIndex((r) => r.path === b)),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("streamWindows() terminates its workers when it completes, fails or is unsubscribed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recordings = await fourRecordings(dir);
    const bad = await writeRecording(dir, "rest", "2", 1, 4068, (c, t) => (c === 3 && t === 3000 ? NaN : 1e-12));
    let during = 0;
    const options = { steps: STEPS, workers: 2 };
    await lastValueFrom(streamWindows(recordings, options).pipe(tap(() => (during = ResamplePool.liveWorkers))));
    assertEquals([during, ResamplePool.liveWorkers], [2, 0]);
    await assertRejects(() => lastValueFrom(streamWindows([recordings[0], bad, recordings[1]], options)), Error, "NaN");
    assertEquals(ResamplePool.liveWorkers, 0);
    await lastValueFrom(streamWindows(recordings, options).pipe(take(1)));
    assertEquals(ResamplePool.liveWorkers, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("streamWindows() starts no worker for recordings it finds in the cache", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recordings = await fourRecordings(`${dir}/data`);
    const options = { steps: STEPS, workers: 2, cacheDir: `${dir}/cache` };
    const first = await lastValueFrom(streamWindows(recordings, options).pipe(toArray()));
    let live = 0;
    const second = await lastValueFrom(
      streamWindows(recordings, options).pipe(tap(() => (live = Math.max(live, ResamplePool.liveWorkers))), toArray()),
    );
    assertEquals(live, 0);
    assertEquals(fingerprints(second), fingerprints(first));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("streamBatches() repeats an epoch's order for the same seed and changes it between epochs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recordings = await fourRecordings(dir);
    const order = async (epoch: number) => {
      const batches = await lastValueFrom(
        streamBatches(recordings, { steps: STEPS, batchSize: 4, shuffleBuffer: 8, seed: 3, epoch }).pipe(toArray()),
      );
      return batches.flatMap((b) => b.recordings.map((r, i) => `${r.taskType}@${b.startSamples[i]}`));
    };
    const first = await order(1);
    assertEquals(first.length, 8);
    assertEquals(await order(1), first);
    assertNotEquals(await order(2), first);
    assertEquals([...(await order(2))].sort(), [...first].sort());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
