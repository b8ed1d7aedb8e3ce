import { assert, assertEquals, assertRejects } from "@std/assert";
import h5wasm from "h5wasm/node";
import { join } from "node:path";
import { DataFileError } from "../../core/errors.ts";
import { generateRecording } from "../../synth/generate_recording.ts";
import { type SynthProgress, writeDataset } from "../../synth/write_dataset.ts";
import { SYNTH_GENERATOR, SYNTH_VERSION } from "../../synth/version.ts";
import { withTempDir } from "../_temp_dir.ts";

async function listFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) names.push(...(await listFiles(join(dir, entry.name))).map((n) => `${entry.name}/${n}`));
    else names.push(entry.name);
  }
  return names.sort();
}

Deno.test("writeDataset() writes every folder of the full layout with the assignment's file names", async () => {
  await withTempDir(async (dir) => {
    const summary = await writeDataset(dir, { preset: "full", nTimes: 16 });
    assertEquals([summary.files, summary.written, summary.skipped], [128, 128, 0]);
    const files = await listFiles(dir);
    assertEquals(files.length, 128);
    const count = (prefix: string) => files.filter((f) => f.startsWith(prefix)).length;
    assertEquals(
      ["Intra/train/", "Intra/test/", "Cross/train/", "Cross/test1/", "Cross/test2/", "Cross/test3/"].map(count),
      [32, 8, 64, 8, 8, 8],
    );
    assert(files.includes("Intra/test/task_story_math_105923_10.h5"));
    assert(files.includes("Cross/test3/task_motor_725751_9.h5"));
    assert(
      files.every((f) =>
        /^(Intra|Cross)\/\w+\/(rest|task_motor|task_story_math|task_working_memory)_\d{6}_\d+\.h5$/.test(f)
      ),
    );
    assertEquals(
      summary.bytes,
      (await Promise.all(files.map((f) => Deno.stat(join(dir, f))))).reduce((s, x) => s + x.size, 0),
    );
  });
});

Deno.test("writeDataset() files hold one float64 [248, nTimes] dataset with synthetic-file attributes", async () => {
  await withTempDir(async (dir) => {
    await writeDataset(dir, { preset: "small", nTimes: 200, seed: 9, splits: ["Cross/test2"] });
    await h5wasm.ready;
    const path = join(dir, "Cross/test2/task_working_memory_707749_2.h5");
    const file = new h5wasm.File(path, "r");
    try {
      assertEquals(file.keys(), ["task_working_memory_707749"]);
      const dataset = file.get("task_working_memory_707749") as InstanceType<typeof h5wasm.Dataset>;
      assertEquals(dataset.shape, [248, 200]);
      assertEquals(dataset.dtype, "<d");
      const values = dataset.value as Float64Array;
      assertEquals(values, generateRecording("task_working_memory", "707749", { seed: 9, chunk: 2, nTimes: 200 }));
      const attrs = file.attrs;
      assertEquals(attrs.generator.value, SYNTH_GENERATOR);
      assertEquals(attrs.generator_version.value, SYNTH_VERSION);
      assertEquals(attrs.seed.value, 9);
      assertEquals(attrs.units.value, "T");
      assertEquals(attrs.chunk.value, 2);
    } finally {
      file.close();
    }
  });
});

Deno.test("writeDataset() skips complete files on a second run and reports progress per file", async () => {
  await withTempDir(async (dir) => {
    const options = { preset: "small", nTimes: 64, splits: ["Intra/train", "Intra/test"] } as const;
    await writeDataset(dir, options);
    const path = join(dir, "Intra/train/rest_105923_1.h5");
    const before = (await Deno.stat(path)).mtime;
    const progress: SynthProgress[] = [];
    const again = await writeDataset(dir, { ...options, onProgress: (p) => progress.push(p) });
    assertEquals([again.written, again.skipped], [0, 8]);
    assertEquals((await Deno.stat(path)).mtime, before);
    assertEquals(progress.map((p) => p.done), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert(progress.every((p) => p.total === 8 && p.action === "skipped" && p.bytes > 248 * 64 * 8));
  });
});

Deno.test("writeDataset() resumes: regenerates only missing files, stale files, or all with overwrite", async () => {
  await withTempDir(async (dir) => {
    const options = { preset: "small", nTimes: 32, splits: ["Cross/test1"] } as const;
    await writeDataset(dir, options);
    await Deno.remove(join(dir, "Cross/test1/rest_162935_2.h5"));
    const resumed = await writeDataset(dir, options);
    assertEquals([resumed.written, resumed.skipped], [1, 3]);
    // A file of another seed is stale and replaced.
    const reseeded = await writeDataset(dir, { ...options, seed: 5 });
    assertEquals(reseeded.written, 4);
    const overwritten = await writeDataset(dir, { ...options, seed: 5, overwrite: true });
    assertEquals([overwritten.written, overwritten.skipped], [4, 0]);
  });
});

Deno.test("writeDataset() leaves no temporary files and removes old ones from interrupted runs", async () => {
  await withTempDir(async (dir) => {
    const folder = join(dir, "Intra/test");
    await Deno.mkdir(folder, { recursive: true });
    const leftover = join(folder, ".rest_105923_2.h5.abc123-xyz.tmp");
    await Deno.writeTextFile(leftover, "half a file");
    const old = new Date(Date.now() - 3600_000);
    await Deno.utime(leftover, old, old);
    await writeDataset(dir, { preset: "small", nTimes: 32, splits: ["Intra/test"] });
    const files = await listFiles(dir);
    assertEquals(files.filter((f) => f.endsWith(".tmp")), []);
    assertEquals(files.length, 4);
  });
});

Deno.test("writeDataset() refuses to replace an h5 file it did not make", async () => {
  await withTempDir(async (dir) => {
    await h5wasm.ready;
    const path = join(dir, "Intra/test/rest_105923_2.h5");
    await Deno.mkdir(join(dir, "Intra/test"), { recursive: true });
    const file = new h5wasm.File(path, "w");
    file.create_dataset({ name: "rest_105923", data: new Float64Array(248 * 4), shape: [248, 4], dtype: "<d" });
    file.close();
    for (const overwrite of [false, true]) {
      await assertRejects(
        () => writeDataset(dir, { preset: "small", nTimes: 4, splits: ["Intra/test"], overwrite }),
        DataFileError,
        "is not a megflow synthetic file",
      );
    }
  });
});

Deno.test("writeDataset() rejects a bad seed or output folder before writing", async () => {
  await assertRejects(() => writeDataset("", {}), TypeError, "outDir must be a non-empty string");
  await assertRejects(
    () => writeDataset("/nonexistent/x", { seed: 1.5 }),
    RangeError,
    "seed must be an integer, got 1.5",
  );
  await assertRejects(() => writeDataset("/nonexistent/x", { splits: ["Intra"] }), RangeError, "split must be one of");
});
