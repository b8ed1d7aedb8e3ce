import { assertEquals, assertLessOrEqual, assertNotEquals, assertThrows } from "@std/assert";
import { lastValueFrom, tap, toArray } from "rxjs";
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

Deno.test("streamWindows() reads no further while the sink holds a batch (backpressure)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recordings = await fourRecordings(dir);
    let produced = 0;
    const gate = new PullGate(1);
    const windows$ = streamWindows(recordings, { steps: STEPS, gate, blockSamples: 512, concurrency: 2 })
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
