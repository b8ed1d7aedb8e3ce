import { assert, assertEquals, assertInstanceOf, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import { from, lastValueFrom, mergeMap, type Observable, take, toArray } from "rxjs";
import { DataFileError } from "../../core/errors.ts";
import { PullGate } from "../../core/pull_gate.ts";
import type { Block, Recording } from "../../core/types.ts";
import { resample } from "../../operators/resample.ts";
import { ResamplePool } from "../../pipeline/resample_pool.ts";
import { readBlocks } from "../../sources/read_blocks.ts";
import { writeRecording } from "../_recordings.ts";

const CRASHING = new URL("./_crashing_worker.ts", import.meta.url);

async function withPool(
  options: ConstructorParameters<typeof ResamplePool>[0],
  fn: (pool: ResamplePool, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "megflow-pool-test-" });
  const pool = new ResamplePool(options);
  try {
    await fn(pool, dir);
  } finally {
    pool.close();
    await Deno.remove(dir, { recursive: true });
  }
  assertEquals(ResamplePool.liveWorkers, 0, "close() terminated every worker");
}

function collect(source: Observable<Block>): Promise<Block[]> {
  return lastValueFrom(source.pipe(toArray()));
}

/** What the pool must reproduce: reading and resampling on this thread. */
function inThread(recording: Recording, blockSamples?: number): Promise<Block[]> {
  return collect(readBlocks(recording, { blockSamples }).pipe(resample({ fromHz: 2034, toHz: 125 })));
}

function assertSameBlocks(actual: Block[], expected: Block[]): void {
  assertEquals(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const { data, ...fields } = actual[i];
    const { data: want, ...wantFields } = expected[i];
    assertEquals(fields, wantFields, `block ${i}`);
    assertInstanceOf(data, Float32Array);
    assertEquals(new Uint32Array(data.buffer), new Uint32Array(want.buffer), `block ${i}: samples, bit for bit`);
  }
}

const wave = (k: number) => (c: number, t: number) => 1e-12 * Math.sin(t / (9 + k) + c) + 1e-13 * Math.cos(t * 0.7);

Deno.test("ResamplePool.read() gives the blocks of readBlocks + resample, bit for bit, in order", async () => {
  await withPool({ workers: 1 }, async (pool, dir) => {
    const recording = await writeRecording(dir, "rest", "1", 1, 9000, wave(1));
    for (const blockSamples of [1000, 4096, 9000]) {
      const blocks = await collect(pool.read(recording, { blockSamples }));
      assertSameBlocks(blocks, await inThread(recording, blockSamples));
      assertEquals(blocks.map((b) => b.recording), blocks.map(() => recording));
    }
    const short = await collect(pool.read(recording, { maxSamples: 3000 }));
    assertEquals(short.reduce((n, b) => n + b.nTimes, 0), Math.ceil((3000 * 125) / 2034));
    assertEquals(pool.started, 1);
  });
});

Deno.test("ResamplePool reads recordings on several workers at once, each with its own state", async () => {
  await withPool({ workers: 2 }, async (pool, dir) => {
    const recordings = await Promise.all(
      (["rest", "task_motor", "task_story_math"] as const).map((type, k) =>
        writeRecording(dir, type, "1", 1, 6000, wave(k))
      ),
    );
    const read = await lastValueFrom(
      from(recordings).pipe(mergeMap((r) => pool.read(r, { blockSamples: 1500 }).pipe(toArray()), 3), toArray()),
    );
    assertEquals(pool.started, 2); // the third read waited for a free worker
    for (const blocks of read) {
      const recording = blocks[0].recording;
      assertSameBlocks(blocks, await inThread(recording, 1500));
    }
  });
});

Deno.test("ResamplePool.read() stops the worker on an early unsubscribe and frees it for the next recording", async () => {
  await withPool({ workers: 1 }, async (pool, dir) => {
    const first = await writeRecording(dir, "rest", "1", 1, 20000, wave(1));
    const second = await writeRecording(dir, "task_motor", "1", 1, 5000, wave(2));
    const [one] = await collect(pool.read(first, { blockSamples: 1000 }).pipe(take(1)));
    assertEquals(one.startSample, 0);
    assertSameBlocks(await collect(pool.read(second, { blockSamples: 1000 })), await inThread(second, 1000));
    assertEquals(pool.started, 1);
  });
});

Deno.test("ResamplePool.read() fails with readBlocks' DataFileError after the blocks before it, and reads on", async () => {
  await withPool({ workers: 1 }, async (pool, dir) => {
    const bad = await writeRecording(dir, "rest", "1", 1, 6000, (c, t) => (c === 7 && t === 4500 ? NaN : 1e-12));
    const good = await writeRecording(dir, "task_motor", "1", 1, 3000, wave(3));
    const blocks: Block[] = [];
    let error: unknown;
    await new Promise<void>((resolve) =>
      pool.read(bad, { blockSamples: 1000 }).subscribe({
        next: (b) => blocks.push(b),
        error: (e) => resolve(void (error = e)),
        complete: resolve,
      })
    );
    assertInstanceOf(error, DataFileError);
    assertEquals(error.path, bad.path);
    let expected: unknown;
    await inThread(bad, 1000).catch((e) => (expected = e));
    assertEquals(error.message, (expected as Error).message);
    assert(blocks.length >= 1, "the blocks before the bad sample arrive");
    assertSameBlocks(await collect(pool.read(good)), await inThread(good));
    assertEquals(pool.started, 1);
  });
});

Deno.test("ResamplePool replaces a worker that crashes and fails only the read it was running", async () => {
  await withPool({ workers: 1, workerUrl: CRASHING }, async (pool, dir) => {
    const crashes = await writeRecording(dir, "rest", "0", 1, 3000, wave(1));
    const good = await writeRecording(dir, "rest", "1", 1, 3000, wave(2));
    const error = await assertRejects(() => collect(pool.read(crashes)), Error);
    assertStringIncludes(error.message, "resample worker failed");
    assertStringIncludes(error.message, "boom");
    assertSameBlocks(await collect(pool.read(good)), await inThread(good));
    assertEquals(pool.started, 2);
    assertEquals(pool.running, 1);
  });
});

Deno.test("ResamplePool.read() lets its worker produce nothing while the gate is shut", async () => {
  await withPool({ workers: 1 }, async (pool, dir) => {
    const recording = await writeRecording(dir, "rest", "1", 1, 8000, wave(1));
    const gate = new PullGate(1);
    gate.take(); // the sink holds an item
    const blocks: Block[] = [];
    const done = new Promise<void>((resolve, reject) =>
      pool.read(recording, { blockSamples: 1000, gate }).subscribe({
        next: (b) => blocks.push(b),
        error: reject,
        complete: resolve,
      })
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    assertEquals(blocks.length, 0);
    gate.release();
    await done;
    assertSameBlocks(blocks, await inThread(recording, 1000));
  });
});

Deno.test("ResamplePool.close() terminates the workers and fails running and waiting reads", async () => {
  await withPool({ workers: 1 }, async (pool, dir) => {
    const recording = await writeRecording(dir, "rest", "1", 1, 3000, wave(1));
    const gate = new PullGate(1);
    gate.take(); // the running read stalls
    const running = collect(pool.read(recording, { gate }));
    const waiting = collect(pool.read(recording));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assertEquals(ResamplePool.liveWorkers, 1);
    pool.close();
    await assertRejects(() => running, Error, "closed");
    await assertRejects(() => waiting, Error, "closed");
    await assertRejects(() => collect(pool.read(recording)), Error, "closed");
    assertEquals(ResamplePool.liveWorkers, 0);
  });
});

Deno.test("ResamplePool starts no worker before a read and rejects bad settings", () => {
  const pool = new ResamplePool({ workers: 3 });
  assertEquals([pool.size, pool.started, ResamplePool.liveWorkers], [3, 0, 0]);
  pool.close();
  assertThrows(() => new ResamplePool({ workers: 0 }), RangeError, "workers must be a positive integer, got 0");
  assertThrows(() => new ResamplePool({ prefetch: 1.5 }), RangeError, "prefetch must be a positive integer, got 1.5");
});
