import { assert, assertEquals, assertLessOrEqual, assertNotEquals, assertThrows } from "@std/assert";
import { lastValueFrom, tap, toArray } from "rxjs";
import { consume } from "../../pipeline/consume.ts";
import { PullGate } from "../../core/pull_gate.ts";
import type { PreprocessStep } from "../../pipeline/preprocess.ts";
import { streamBatches, type StreamBatchesOptions } from "../../pipeline/stream_batches.ts";
import { streamWindows } from "../../pipeline/stream_windows.ts";
import type { Batch, Recording } from "../../core/types.ts";
import { shuffle } from "../../operators/shuffle.ts";
import { batch } from "../../operators/batch.ts";
import { hashSeed, Random } from "../../core/random.ts";
import { writeRecording } from "../_recordings.ts";

// No resampling: windows of 16 raw samples, 64 samples per recording give 4 windows.
const STEPS: PreprocessStep[] = [{ op: "window", windowSeconds: 16 / 2034, strideSeconds: 16 / 2034 }];

/** Four recordings of one class each, whose samples say which recording and sample they are. */
async function withRecordings(fn: (recordings: Recording[]) => Promise<void>, nTimes = 64): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "megflow-batches-test-" });
  try {
    const recordings: Recording[] = [];
    for (const [i, taskType] of (["rest", "task_motor", "task_story_math", "task_working_memory"] as const).entries()) {
      recordings.push(await writeRecording(dir, taskType, "1", 1, nTimes, (c, t) => 1000 * i + t + c / 1000));
    }
    await fn(recordings);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function collect(recordings: readonly Recording[], options: StreamBatchesOptions): Promise<Batch[]> {
  return lastValueFrom(streamBatches(recordings, { steps: STEPS, ...options }).pipe(toArray()));
}

const keys = (batches: Batch[]) =>
  batches.flatMap((b) => b.recordings.map((r, i) => `${r.taskType}@${b.startSamples[i]}`));

Deno.test("streamBatches() stacks windows into batches of batchSize and a smaller last one", async () => {
  await withRecordings(async (recordings) => {
    const batches = await collect(recordings, { batchSize: 6, seed: 1 });
    assertEquals(batches.map((b) => b.shape), [[6, 248, 16], [6, 248, 16], [4, 248, 16]]);
    for (const b of batches) {
      assertEquals(b.xs.length, b.shape[0] * 248 * 16);
      assertEquals([b.ys.length, b.recordings.length, b.startSamples.length], [b.shape[0], b.shape[0], b.shape[0]]);
    }
    const dropped = await collect(recordings, { batchSize: 6, seed: 1, dropRemainder: true });
    assertEquals(dropped.map((b) => b.shape[0]), [6, 6]);
    const one = await collect(recordings, { batchSize: 100 });
    assertEquals(one.map((b) => b.shape[0]), [16]);
  });
});

Deno.test("streamBatches() keeps each window's samples, label and origin together", async () => {
  await withRecordings(async (recordings) => {
    for (const b of await collect(recordings, { batchSize: 5, seed: 2, shuffleBuffer: 16 })) {
      for (let i = 0; i < b.shape[0]; i++) {
        const recording = b.recordings[i];
        const index = recordings.indexOf(recording);
        const start = b.startSamples[i];
        const window = b.xs.subarray(i * 248 * 16, (i + 1) * 248 * 16);
        // Sensor 3, sample 5 of the window.
        assertEquals(window[3 * 16 + 5], Math.fround(1000 * index + start + 5 + 3 / 1000));
        assertEquals(b.ys[i], ["rest", "math", "memory", "motor"].indexOf(recording.label));
      }
    }
  });
});

Deno.test("streamBatches() without a shuffle buffer keeps the catalogue order of recordings and windows", async () => {
  await withRecordings(async (recordings) => {
    const expected = recordings.flatMap((r) => [0, 16, 32, 48].map((s) => `${r.taskType}@${s}`));
    for (const seed of [1, 2]) {
      const batches = await collect(recordings, { batchSize: 3, shuffleBuffer: 0, seed, epoch: seed, concurrency: 1 });
      assertEquals(keys(batches), expected);
    }
    // The same windows as streamWindows, stacked.
    const windows = await lastValueFrom(streamWindows(recordings, { steps: STEPS, concurrency: 1 }).pipe(toArray()));
    const batches = await collect(recordings, { batchSize: 16, shuffleBuffer: 0, concurrency: 1 });
    windows.forEach((w, i) => assertEquals(batches[0].xs.subarray(i * w.data.length, (i + 1) * w.data.length), w.data));
  });
});

Deno.test("streamBatches() shuffles every window exactly once, the same way for the same seed and epoch", async () => {
  await withRecordings(async (recordings) => {
    const options = { batchSize: 4, shuffleBuffer: 8, seed: 5, epoch: 1 };
    const first = keys(await collect(recordings, options));
    assertEquals(first.length, 16);
    assertEquals(new Set(first).size, 16);
    assertEquals(keys(await collect(recordings, options)), first);
    assertNotEquals(keys(await collect(recordings, { ...options, seed: 6 })), first);
    assertNotEquals(keys(await collect(recordings, { ...options, epoch: 2 })), first);
    const catalogue = keys(await collect(recordings, { batchSize: 4, shuffleBuffer: 0, concurrency: 1 }));
    assertNotEquals(first, catalogue);
    assertEquals([...first].sort(), [...catalogue].sort());
  });
});

Deno.test("streamBatches() gives the batches of shuffle() then batch() over its seeded recording order", async () => {
  // The shuffle buffer is one block of slots reused in place; the batches are those of the two plain steps.
  await withRecordings(async (recordings) => {
    for (const [batchSize, shuffleBuffer, dropRemainder] of [[4, 8, false], [3, 5, false], [5, 16, true]] as const) {
      const options = { batchSize, shuffleBuffer, seed: 9, epoch: 2, dropRemainder };
      const seed = hashSeed(9, 2);
      const order = new Random(seed).shuffle([...recordings]);
      const expected = await lastValueFrom(
        streamWindows(order, { steps: STEPS }).pipe(
          shuffle({ bufferSize: shuffleBuffer, seed }),
          batch(batchSize, { dropRemainder }),
          toArray(),
        ),
      );
      const plain = (batches: Batch[]) => batches.map((b) => ({ ...b, xs: Array.from(b.xs) }));
      assertEquals(plain(await collect(recordings, options)), plain(expected));
    }
  });
});

Deno.test("streamBatches() mixes classes within a batch when the buffer spans recordings", async () => {
  await withRecordings(async (recordings) => {
    const batches = await collect(recordings, { batchSize: 4, shuffleBuffer: 16, seed: 3, concurrency: 1 });
    const classesPerBatch = batches.map((b) => new Set(b.ys).size);
    assert(classesPerBatch.some((n) => n > 1), `classes per batch ${classesPerBatch}`);
    // Without shuffling and one recording at a time, every batch is a single class.
    const plain = await collect(recordings, { batchSize: 4, shuffleBuffer: 0, concurrency: 1 });
    assertEquals(plain.map((b) => new Set(b.ys).size), [1, 1, 1, 1]);
  });
});

Deno.test("streamBatches() of no recordings completes without a batch", async () => {
  assertEquals(await collect([], { batchSize: 4 }), []);
  assertEquals(await collect([], { batchSize: 4, shuffleBuffer: 0 }), []);
});

Deno.test("streamBatches() reads ahead only as far as its buffers while the sink holds a batch", async () => {
  await withRecordings(async (recordings) => {
    // 4 recordings x 16 windows; blocks of one window each.
    const gate = new PullGate(1);
    let emitted = 0;
    const batches$ = streamBatches(recordings, {
      steps: STEPS,
      batchSize: 4,
      shuffleBuffer: 8,
      seed: 1,
      gate,
      blockSamples: 16,
      concurrency: 1,
    }).pipe(tap(() => emitted++));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let steps = 0;
    const done = consume(batches$, async () => {
      if (steps++ === 0) await held;
    }, { gate });
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The first batch needs 8 + 4 windows; a block or so more may be in flight, nowhere near all 64.
    assertLessOrEqual(emitted, 2);
    release();
    assertEquals(await done, 16);
    assertEquals(emitted, 16);
  }, 256);
});

Deno.test("streamBatches() rejects a batch size that is not a positive integer", () => {
  assertThrows(() => streamBatches([], { batchSize: 0 }), RangeError, "batchSize must be a positive integer, got 0");
  assertThrows(() => streamBatches([], { batchSize: 2.5 }), RangeError, "got 2.5");
});
