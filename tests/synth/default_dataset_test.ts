import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { ensureDefaultDataset, SYNTH_MARKER_FILE } from "../../synth/default_dataset.ts";
import { defaultDatasetDir } from "../../synth/default_dataset_dir.ts";
import { SYNTH_VERSION } from "../../synth/version.ts";
import { namesIn, withTempDir } from "../_temp_dir.ts";

Deno.test("defaultDatasetDir() names the folder after preset, seed and generator version", () => {
  assertEquals(defaultDatasetDir("full", 42, { cacheDir: "/c" }), `/c/synth/full-seed42-v${SYNTH_VERSION}`);
  assertEquals(defaultDatasetDir("small", -3, { cacheDir: "/c" }), `/c/synth/small-seed-3-v${SYNTH_VERSION}`);
});

Deno.test("defaultDatasetDir() follows MEGFLOW_CACHE_DIR, then XDG_CACHE_HOME, then HOME", async () => {
  const url = new URL("../../synth/default_dataset_dir.ts", import.meta.url).href;
  const run = async (env: Record<string, string>) => {
    const { stdout, success } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", `import { defaultDatasetDir } from "${url}"; console.log(defaultDatasetDir("small", 1));`],
      env: { MEGFLOW_CACHE_DIR: "", XDG_CACHE_HOME: "", HOME: "/home/u", ...env },
      stderr: "inherit",
    }).output();
    assert(success);
    return new TextDecoder().decode(stdout).trim();
  };
  const tail = `synth/small-seed1-v${SYNTH_VERSION}`;
  assertEquals(await run({ MEGFLOW_CACHE_DIR: "/m" }), `/m/${tail}`);
  assertEquals(await run({ XDG_CACHE_HOME: "/x" }), `/x/megflow/${tail}`);
  assertEquals(await run({}), `/home/u/.cache/megflow/${tail}`);
});

Deno.test("ensureDefaultDataset() generates the requested splits once, then reuses them", async () => {
  await withTempDir(async (cacheDir) => {
    const messages: string[] = [];
    const options = {
      preset: "small",
      cacheDir,
      splits: ["Intra/test"],
      onProgress: (m: string) => messages.push(m),
    } as const;
    const dir = await ensureDefaultDataset(options);
    assertEquals(dir, defaultDatasetDir("small", 42, { cacheDir }));
    assertEquals(await namesIn(join(dir, "Intra/test")), [
      "rest_105923_2.h5",
      "task_motor_105923_2.h5",
      "task_story_math_105923_2.h5",
      "task_working_memory_105923_2.h5",
    ]);
    assertEquals(messages.length, 5);
    assertStringIncludes(messages[4], "[4/4] Intra/test/task_motor_105923_2.h5 written");
    const marker = JSON.parse(await Deno.readTextFile(join(dir, SYNTH_MARKER_FILE)));
    assertEquals([marker.preset, marker.seed, Object.keys(marker.splits)], ["small", 42, ["Intra/test"]]);
    // Nothing temporary is left next to or inside the dataset.
    assertEquals(await namesIn(dir), ["Intra", SYNTH_MARKER_FILE]);
    assertEquals(await namesIn(join(cacheDir, "synth")), [`small-seed42-v${SYNTH_VERSION}`]);

    const mtime = (await Deno.stat(join(dir, "Intra/test/rest_105923_2.h5"))).mtime;
    messages.length = 0;
    assertEquals(await ensureDefaultDataset(options), dir);
    assertEquals(messages, []);
    assertEquals((await Deno.stat(join(dir, "Intra/test/rest_105923_2.h5"))).mtime, mtime);
  });
});

Deno.test("ensureDefaultDataset() adds missing splits and repairs a split with a deleted file", async () => {
  await withTempDir(async (cacheDir) => {
    const base = { preset: "small", cacheDir, onProgress: null } as const;
    const dir = await ensureDefaultDataset({ ...base, splits: ["Cross/test1"] });
    const kept = join(dir, "Cross/test1/rest_162935_2.h5");
    const mtime = (await Deno.stat(kept)).mtime;
    await ensureDefaultDataset({ ...base, splits: ["Cross/test1", "Cross/test3"] });
    assertEquals((await namesIn(join(dir, "Cross/test3"))).length, 4);
    assertEquals((await Deno.stat(kept)).mtime, mtime);

    await Deno.remove(join(dir, "Cross/test1/task_motor_162935_2.h5"));
    const messages: string[] = [];
    await ensureDefaultDataset({ ...base, splits: ["Cross/test1"], onProgress: (m) => messages.push(m) });
    assertEquals((await namesIn(join(dir, "Cross/test1"))).length, 4);
    assertEquals(messages.filter((m) => m.includes(" written ")).length, 1);
    assertEquals(messages.filter((m) => m.includes(" skipped ")).length, 3);
    assertEquals((await Deno.stat(kept)).mtime, mtime);
    const marker = JSON.parse(await Deno.readTextFile(join(dir, SYNTH_MARKER_FILE)));
    assertEquals(Object.keys(marker.splits).sort(), ["Cross/test1", "Cross/test3"]);
    assertEquals(await namesIn(dir), ["Cross", SYNTH_MARKER_FILE]);
  });
});

Deno.test("ensureDefaultDataset() lets concurrent callers share one generation", async () => {
  await withTempDir(async (cacheDir) => {
    const written: string[] = [];
    const options = {
      preset: "small",
      cacheDir,
      splits: ["Cross/test2"],
      onProgress: (m: string) => m.includes(" written ") && written.push(m),
    } as const;
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => ensureDefaultDataset(options)));
    assertEquals(new Set([a, b, c]).size, 1);
    assertEquals(written.length, 4);
    assertEquals((await namesIn(join(a, "Cross/test2"))).length, 4);
    assertEquals(await namesIn(join(cacheDir, "synth")), [`small-seed42-v${SYNTH_VERSION}`]);
  });
});

Deno.test("ensureDefaultDataset() rejects an unknown preset or split", async () => {
  await assertRejects(() => ensureDefaultDataset({ preset: "tiny" as "small", cacheDir: "/nonexistent" }), RangeError);
  await assertRejects(
    () => ensureDefaultDataset({ preset: "small", splits: ["Cross/test9"], cacheDir: "/nonexistent" }),
    RangeError,
    "split must be one of",
  );
});
