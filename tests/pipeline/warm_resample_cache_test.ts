import { assert, assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import { lastValueFrom, toArray } from "rxjs";
import { join } from "node:path";
import { DataFileError } from "../../core/errors.ts";
import { readResampled } from "../../pipeline/read_resampled.ts";
import { warmResampleCache } from "../../pipeline/warm_resample_cache.ts";
import type { Recording } from "../../core/types.ts";
import { writeRecording } from "../_recordings.ts";
import { withTempDir } from "../_temp_dir.ts";

async function cacheEntries(cacheDir: string): Promise<Map<string, number>> {
  const entries = new Map<string, number>();
  for await (const entry of Deno.readDir(cacheDir)) {
    entries.set(entry.name, (await Deno.stat(join(cacheDir, entry.name))).mtime!.getTime());
  }
  return entries;
}

/** Recordings of 2034 raw samples (1 s), distinct content each. */
async function recordings(dir: string, n: number): Promise<Recording[]> {
  const types = ["rest", "task_motor", "task_story_math", "task_working_memory"] as const;
  const found: Recording[] = [];
  for (let i = 0; i < n; i++) {
    found.push(
      await writeRecording(
        join(dir, "data"),
        types[i % 4],
        String(i + 1),
        1,
        2034,
        (c, t) => Math.sin(t / (5 + i) + c),
      ),
    );
  }
  return found;
}

Deno.test("warmResampleCache() resamples only what is missing; a second call reuses every entry", async () => {
  await withTempDir(async (dir) => {
    const recs = await recordings(dir, 3);
    const cacheDir = join(dir, "cache");
    const progress: Array<[number, number]> = [];
    const first = await warmResampleCache(recs.slice(0, 2), {
      cacheDir,
      workers: 2,
      onProgress: (done, total) => progress.push([done, total]),
    });
    assertEquals([first.written, first.cached], [2, 0]);
    assert(first.seconds >= 0);
    assertEquals(progress, [[1, 2], [2, 2]]);
    assertEquals((await cacheEntries(cacheDir)).size, 2);

    const more = await warmResampleCache(recs, { cacheDir, workers: 2 });
    assertEquals([more.written, more.cached], [1, 2]);
    const entries = await cacheEntries(cacheDir);
    assertEquals(entries.size, 3);
    assert([...entries.keys()].every((name) => /^[0-9a-f]{64}\.f32$/.test(name)), [...entries.keys()].join(", "));

    const calls: number[] = [];
    const again = await warmResampleCache(recs, { cacheDir, workers: 2, onProgress: (done) => calls.push(done) });
    assertEquals([again.written, again.cached], [0, 3]);
    assertEquals(calls, []);
    assertEquals(await cacheEntries(cacheDir), entries); // nothing rewritten
  });
});

Deno.test("warmResampleCache() stores what readResampled computes from the raw file", async () => {
  await withTempDir(async (dir) => {
    const [recording] = await recordings(dir, 1);
    const cacheDir = join(dir, "cache");
    await warmResampleCache([recording], { cacheDir, workers: 1 });
    const raw = await lastValueFrom(readResampled(recording).pipe(toArray()));
    const cached = await lastValueFrom(readResampled(recording, { cacheDir }).pipe(toArray()));
    assertEquals(cached.length, 1); // one block from the cache entry
    const rawTimes = raw.reduce((n, b) => n + b.nTimes, 0);
    assertEquals([cached[0].nChans, cached[0].nTimes, cached[0].sfreq], [248, rawTimes, 125]);
    // Sensor 7 of the raw blocks, end to end, equals sensor 7 of the cached block (float32).
    const sensor7 = raw.flatMap((b) => Array.from(b.data.subarray(7 * b.nTimes, 8 * b.nTimes), Math.fround));
    assertEquals(Array.from(cached[0].data.subarray(7 * rawTimes, 8 * rawTimes)), sensor7);
  });
});

Deno.test("warmResampleCache() of no recordings does nothing and creates no cache folder", async () => {
  await withTempDir(async (dir) => {
    const result = await warmResampleCache([], { cacheDir: join(dir, "cache") });
    assertEquals([result.written, result.cached], [0, 0]);
    const missing = await Deno.stat(join(dir, "cache")).then(() => false, () => true);
    assert(missing, "the cache folder was created for nothing");
  });
});

Deno.test("warmResampleCache() rejects with a DataFileError naming the bad file and caches no partial entry", async () => {
  await withTempDir(async (dir) => {
    const [good] = await recordings(dir, 1);
    const badPath = join(dir, "data", "task_motor_9_1.h5");
    await Deno.writeFile(badPath, new TextEncoder().encode("this is not an HDF5 file"));
    const bad: Recording = {
      ...good,
      path: badPath,
      taskType: "task_motor",
      label: "motor",
      subject: "9",
      datasetName: "task_motor_9",
    };
    const cacheDir = join(dir, "cache");
    const error = await assertRejects(() => warmResampleCache([bad, good], { cacheDir, workers: 1 }), DataFileError);
    assertInstanceOf(error, DataFileError);
    assertEquals(error.path, badPath);
    assert(error.message.startsWith(`${badPath}: `), error.message);
    assert(!error.reason.startsWith(badPath), `the path is repeated: ${error.message}`);
    const names = await cacheEntries(cacheDir).catch(() => new Map());
    assert([...names.keys()].every((name) => name.endsWith(".f32")), [...names.keys()].join(", "));
    assert(names.size <= 1, "an entry for the bad file");
  });
});

Deno.test("warmResampleCache() rebuilds a truncated entry instead of counting it as cached", async () => {
  await withTempDir(async (dir) => {
    const recs = await recordings(dir, 2);
    const cacheDir = join(dir, "cache");
    await warmResampleCache(recs, { cacheDir, workers: 1 });
    const [name] = [...(await cacheEntries(cacheDir)).keys()];
    const whole = await Deno.readFile(join(cacheDir, name));
    await Deno.writeFile(join(cacheDir, name), whole.subarray(0, 100));
    const again = await warmResampleCache(recs, { cacheDir, workers: 1 });
    assertEquals([again.written, again.cached], [1, 1]);
    assertEquals(await Deno.readFile(join(cacheDir, name)), whole);
  });
});

Deno.test("warmResampleCache() of a recording that has vanished rejects with a DataFileError naming it", async () => {
  await withTempDir(async (dir) => {
    const recs = await recordings(dir, 2);
    await Deno.remove(recs[1].path);
    const error = await assertRejects(
      () => warmResampleCache(recs, { cacheDir: join(dir, "cache"), workers: 1 }),
      DataFileError,
    );
    assertEquals([error.path, error.reason], [recs[1].path, "file does not exist"]);
  });
});

Deno.test("two warmers and two readers sharing one cache folder at once all finish with whole, correct entries", async () => {
  await withTempDir(async (dir) => {
    const recs = await recordings(dir, 6);
    const cacheDir = join(dir, "cache");
    const uncached = await Promise.all(recs.map((r) => lastValueFrom(readResampled(r).pipe(toArray()))));
    const readAll = () =>
      Promise.all(recs.map((r) => lastValueFrom(readResampled(r, { cacheDir, blockSamples: 512 }).pipe(toArray()))));
    const [warmA, warmB, readA, readB] = await Promise.all([
      warmResampleCache(recs, { cacheDir, workers: 2 }),
      warmResampleCache([...recs].reverse(), { cacheDir, workers: 2 }),
      readAll(),
      readAll(),
    ]);
    assertEquals(warmA.written + warmA.cached, 6);
    assertEquals(warmB.written + warmB.cached, 6);
    const names = [...(await cacheEntries(cacheDir)).keys()];
    assertEquals(names.length, 6, `one whole entry per recording, no temporary left: ${names.join(", ")}`);
    for (const read of [readA, readB, await readAll()]) {
      read.forEach((blocks, i) => assertEquals(samples(blocks), samples(uncached[i])));
    }
    const cached = await readAll();
    assert(cached.every((blocks) => blocks.length === 1), "every entry is read back from the cache");
  });
});

/** The samples of consecutive blocks, channel by channel. */
function samples(blocks: { nChans: number; nTimes: number; data: Float32Array | Float64Array }[]): number[][] {
  const rows: number[][] = Array.from({ length: blocks[0].nChans }, () => []);
  for (const b of blocks) {
    for (let c = 0; c < b.nChans; c++) rows[c].push(...b.data.subarray(c * b.nTimes, (c + 1) * b.nTimes));
  }
  return rows;
}

Deno.test("warmResampleCache() removes temporary files a killed writer left an hour ago, not recent ones", async () => {
  await withTempDir(async (dir) => {
    const recs = await recordings(dir, 1);
    const cacheDir = join(dir, "cache");
    await Deno.mkdir(cacheDir);
    const key = "ab".repeat(32);
    const old = join(cacheDir, `.${key}.f32.lx1-abc123.tmp`);
    const recent = join(cacheDir, `.${key}.f32.lx2-def456.tmp`);
    await Deno.writeFile(old, new Uint8Array(100));
    await Deno.writeFile(recent, new Uint8Array(100));
    const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
    await Deno.utime(old, twoHoursAgo, twoHoursAgo);
    await warmResampleCache(recs, { cacheDir, workers: 1 });
    const names = [...(await cacheEntries(cacheDir)).keys()];
    assert(!names.includes(`.${key}.f32.lx1-abc123.tmp`), names.join(", "));
    assert(names.includes(`.${key}.f32.lx2-def456.tmp`), names.join(", "));
  });
});

Deno.test("two processes warming and reading one cache folder at once both finish with the same samples", async () => {
  await withTempDir(async (dir) => {
    await recordings(dir, 6);
    const cacheDir = join(dir, "cache");
    const child = () =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--config",
          new URL("../../deno.json", import.meta.url).pathname,
          new URL("./_cache_run_child.ts", import.meta.url).pathname,
          dir,
          cacheDir,
        ],
      }).output();
    const runs = await Promise.all([child(), child()]);
    const decoder = new TextDecoder();
    for (const run of runs) assertEquals(run.code, 0, decoder.decode(run.stderr));
    const [a, b] = runs.map((run) => JSON.parse(decoder.decode(run.stdout)));
    assertEquals(a, b);
    assertEquals(a.length, 6);
    assert(a.every((r: { blocks: number; n: number }) => r.blocks === 1 && r.n === 248 * 125), JSON.stringify(a));
    assertEquals([...(await cacheEntries(cacheDir)).keys()].filter((name) => !/^[0-9a-f]{64}\.f32$/.test(name)), []);
  });
});
