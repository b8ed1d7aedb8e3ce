import { assertEquals, assertNotEquals, assertRejects } from "@std/assert";
import { DataFileError } from "../../core/errors.ts";
import { lastValueFrom, toArray } from "rxjs";
import { readResampled, resampledCacheKey } from "../../pipeline/read_resampled.ts";
import { ResamplePool } from "../../pipeline/resample_pool.ts";
import type { Block } from "../../core/types.ts";
import { writeRecording } from "../_recordings.ts";

function concatenated(blocks: Block[]): Float32Array[] {
  const nChans = blocks[0].nChans;
  const nTimes = blocks.reduce((n, b) => n + b.nTimes, 0);
  return Array.from({ length: nChans }, (_, c) => {
    const out = new Float32Array(nTimes);
    let offset = 0;
    for (const b of blocks) {
      out.set(b.data.subarray(c * b.nTimes, (c + 1) * b.nTimes), offset);
      offset += b.nTimes;
    }
    return out;
  });
}

Deno.test("readResampled() gives the same samples from the cache as from the raw file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recording = await writeRecording(`${dir}/data`, "rest", "1", 1, 5000);
    const options = { toHz: 125, cacheDir: `${dir}/cache`, blockSamples: 1024 };
    const uncached = await lastValueFrom(readResampled(recording, { ...options, cacheDir: undefined }).pipe(toArray()));
    const first = await lastValueFrom(readResampled(recording, options).pipe(toArray()));
    const entries = [...Deno.readDirSync(`${dir}/cache`)].map((e) => e.name);
    assertEquals(entries.length, 1);
    const second = await lastValueFrom(readResampled(recording, options).pipe(toArray()));
    assertEquals(second.length, 1);
    assertEquals(concatenated(second), concatenated(uncached));
    assertEquals(concatenated(first), concatenated(uncached));
    assertEquals([second[0].sfreq, second[0].startSample, second[0].nChans], [125, 0, 248]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readResampled() cache key changes with the target rate and with the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recording = await writeRecording(dir, "rest", "1", 1, 3000);
    const key125 = await resampledCacheKey(recording.path, { toHz: 125 });
    assertEquals(await resampledCacheKey(recording.path, { toHz: 125 }), key125);
    assertNotEquals(await resampledCacheKey(recording.path, { toHz: 250 }), key125);
    assertNotEquals(await resampledCacheKey(recording.path, { toHz: 125, maxSamples: 1000 }), key125);
    await writeRecording(dir, "rest", "1", 1, 3100); // same path, new content and size
    assertNotEquals(await resampledCacheKey(recording.path, { toHz: 125 }), key125);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readResampled() writes no cache entry when the recording fails", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recording = await writeRecording(
      `${dir}/data`,
      "rest",
      "1",
      1,
      3000,
      (c, t) => (c === 5 && t === 2500 ? NaN : 1e-12),
    );
    let error: unknown;
    await lastValueFrom(readResampled(recording, { cacheDir: `${dir}/cache`, blockSamples: 1024 }).pipe(toArray()))
      .catch((e) => (error = e));
    assertEquals(String(error).includes("NaN"), true, String(error));
    const entries = await Array.fromAsync(Deno.readDir(`${dir}/cache`)).catch(() => []);
    assertEquals(entries.length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readResampled() with a pool reads and caches the same samples as on this thread", async () => {
  const dir = await Deno.makeTempDir();
  const pool = new ResamplePool({ workers: 1 });
  try {
    const recording = await writeRecording(`${dir}/data`, "rest", "1", 1, 5000);
    const options = { toHz: 125, cacheDir: `${dir}/cache`, blockSamples: 1024 };
    const here = await lastValueFrom(readResampled(recording, { ...options, cacheDir: undefined }).pipe(toArray()));
    const pooled = await lastValueFrom(readResampled(recording, { ...options, pool }).pipe(toArray()));
    assertEquals(pooled.map((b) => [b.startSample, b.nTimes]), here.map((b) => [b.startSample, b.nTimes]));
    assertEquals(concatenated(pooled), concatenated(here));
    const cached = await lastValueFrom(readResampled(recording, { ...options, pool }).pipe(toArray()));
    assertEquals(concatenated(cached), concatenated(here));
    assertEquals(pool.started, 1);
  } finally {
    pool.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** Reads `recording` through the cache, then damages its one entry with `damage` and reads it again. */
async function readAfterDamage(damage: (bytes: Uint8Array) => Uint8Array): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const recording = await writeRecording(`${dir}/data`, "rest", "1", 1, 5000);
    const options = { toHz: 125, cacheDir: `${dir}/cache`, blockSamples: 1024 };
    const uncached = await lastValueFrom(readResampled(recording, { ...options, cacheDir: undefined }).pipe(toArray()));
    await lastValueFrom(readResampled(recording, options).pipe(toArray()));
    const entry = `${dir}/cache/${await resampledCacheKey(recording.path, options)}.f32`;
    const whole = await Deno.readFile(entry);
    await Deno.writeFile(entry, damage(whole.slice()));
    const again = await lastValueFrom(readResampled(recording, options).pipe(toArray()));
    assertEquals(concatenated(again), concatenated(uncached));
    assertEquals(await Deno.readFile(entry), whole, "the damaged entry was not rebuilt");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readResampled() rebuilds a cache entry with a flipped payload bit instead of reading it", async () => {
  await readAfterDamage((bytes) => {
    bytes[bytes.length >> 1] ^= 0x10;
    return bytes;
  });
});

Deno.test("readResampled() rebuilds a truncated cache entry", async () => {
  await readAfterDamage((bytes) => bytes.subarray(0, bytes.length - 4000));
});

Deno.test("readResampled() rebuilds a cache entry whose tail was zeroed (a write cut short)", async () => {
  await readAfterDamage((bytes) => (bytes.fill(0, bytes.length - 4000), bytes));
});

Deno.test("readResampled() rebuilds a cache entry of an older format (header version)", async () => {
  await readAfterDamage((bytes) => (bytes[8] = 1, bytes));
});

Deno.test("resampledCacheKey() of a missing file is a DataFileError naming it", async () => {
  const error = await assertRejects(() => resampledCacheKey("/no/such/rest_1_1.h5"), DataFileError);
  assertEquals([error.path, error.reason], ["/no/such/rest_1_1.h5", "file does not exist"]);
});

Deno.test("readResampled({ cachedAfter }) reads a cached entry only once it settles, a missing one at once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cached = await writeRecording(`${dir}/data`, "rest", "1", 1, 3000);
    const missing = await writeRecording(`${dir}/data`, "task_motor", "1", 1, 3000);
    const options = { toHz: 125, cacheDir: `${dir}/cache` };
    await lastValueFrom(readResampled(cached, options).pipe(toArray())); // fills the cache
    let turn = () => {};
    const cachedAfter = new Promise<void>((resolve) => (turn = resolve));
    const order: string[] = [];
    const read = (recording: typeof cached, name: string) =>
      lastValueFrom(readResampled(recording, { ...options, cachedAfter }).pipe(toArray())).then(() => order.push(name));
    const reads = [read(cached, "cached"), read(missing, "missing")];
    await reads[1]; // computed from the raw file while the cached one waits for its turn
    assertEquals(order, ["missing"]);
    turn();
    await reads[0];
    assertEquals(order, ["missing", "cached"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
