import * as aq from "arquero";
import { assertEquals, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import { catalog, recordingsOf, splitsOf } from "../../sources/catalog.ts";
import { DataFileError } from "../../core/errors.ts";

/** Creates empty files (catalog reads names only) under a fresh temp folder. */
async function makeTree(files: string[]): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "megflow_catalog_" });
  for (const file of files) {
    const path = `${dir}/${file}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(path, new Uint8Array());
  }
  return dir;
}

/** name, mtime and size of everything under `dir`, to prove nothing was written. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(folder: string) {
    for await (const entry of Deno.readDir(folder)) {
      const path = `${folder}/${entry.name}`;
      const info = await Deno.lstat(path);
      out.push(`${path} ${info.size} ${info.mtime?.getTime()}`);
      if (entry.isDirectory) await walk(path);
    }
  }
  await walk(dir);
  return out.sort();
}

const DATASET = [
  "Intra/train/rest_105923_1.h5",
  "Intra/train/rest_105923_10.h5",
  "Intra/train/rest_105923_2.h5",
  "Intra/train/task_motor_105923_1.h5",
  "Intra/train/task_story_math_105923_1.h5",
  "Intra/train/task_working_memory_105923_1.h5",
  "Intra/test/task_working_memory_105923_5.h5",
  "Cross/train/task_motor_99_1.h5",
  "Cross/train/rest_113922_1.h5",
  "Cross/train/rest_99_1.h5",
  "Cross/test1/task_story_math_162935_4.h5",
  "Cross/test1/rest_162935_3.h5",
  "Cross/test3/rest_725751_1.h5",
];

const NOISE = [
  ".DS_Store",
  "README",
  "Intra/train/.DS_Store",
  "Intra/train/notes.txt",
  "Intra/train/._rest_105923_1.h5", // macOS resource fork, hidden
  "__MACOSX/Intra/train/._rest_105923_1.h5",
  ".hidden/rest_1_1.h5",
];

Deno.test("catalog() lists every h5 recording of a dataset root with its split and name fields", async () => {
  const dir = await makeTree([...DATASET, ...NOISE]);
  try {
    const table = await catalog(dir);
    assertEquals(table.columnNames(), ["path", "split", "taskType", "label", "subject", "chunk", "datasetName"]);
    assertEquals(table.numRows(), DATASET.length);
    const rows = table.objects() as Record<string, unknown>[];
    assertEquals(rows[0], {
      path: `${dir}/Cross/test1/rest_162935_3.h5`,
      split: "Cross/test1",
      taskType: "rest",
      label: "rest",
      subject: "162935",
      chunk: 3,
      datasetName: "rest_162935",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("catalog() sorts rows by split, subject (numerically), task type and chunk (numerically)", async () => {
  const dir = await makeTree([...DATASET].reverse());
  try {
    const order = recordingsOf(await catalog(dir)).map((r) => `${r.split} ${r.subject} ${r.taskType} ${r.chunk}`);
    assertEquals(order, [
      "Cross/test1 162935 rest 3",
      "Cross/test1 162935 task_story_math 4",
      "Cross/test3 725751 rest 1",
      "Cross/train 99 rest 1",
      "Cross/train 99 task_motor 1",
      "Cross/train 113922 rest 1",
      "Intra/test 105923 task_working_memory 5",
      "Intra/train 105923 rest 1",
      "Intra/train 105923 rest 2",
      "Intra/train 105923 rest 10",
      "Intra/train 105923 task_motor 1",
      "Intra/train 105923 task_story_math 1",
      "Intra/train 105923 task_working_memory 1",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("catalog() names the split after the folder itself when given a split folder", async () => {
  const dir = await makeTree(["Cross/test1/rest_162935_3.h5", "Cross/test1/task_motor_162935_1.h5"]);
  try {
    for (const folder of [`${dir}/Cross/test1`, `${dir}/Cross/test1/`]) {
      const table = await catalog(folder);
      assertEquals(splitsOf(table), ["test1"]);
      assertEquals(recordingsOf(table)[0].path, `${dir}/Cross/test1/rest_162935_3.h5`);
    }
    assertEquals(splitsOf(await catalog(`${dir}/Cross`)), ["test1"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("catalog() keeps only the requested splits", async () => {
  const dir = await makeTree([...DATASET, "Intra/train/unknown_name.h5"]);
  try {
    const table = await catalog(dir, { splits: ["Cross/test1", "Cross/test3"] });
    assertEquals(splitsOf(table), ["Cross/test1", "Cross/test3"]);
    assertEquals(table.numRows(), 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("catalog() rejects a requested split that has no h5 file and lists the splits found", async () => {
  const dir = await makeTree(DATASET);
  try {
    const error = await assertRejects(() => catalog(dir, { splits: ["Cross/test2"] }), DataFileError);
    assertStringIncludes(error.message, dir);
    assertStringIncludes(error.message, "Cross/test2");
    assertStringIncludes(error.message, "Cross/test1, Cross/test3, Cross/train, Intra/test, Intra/train");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("catalog() rejects an h5 file with an unknown name, naming the file and the pattern", async () => {
  const dir = await makeTree([...DATASET, "Cross/test1/rest_162935.h5"]);
  try {
    const error = await assertRejects(() => catalog(dir), DataFileError);
    assertEquals(error.path, `${dir}/Cross/test1/rest_162935.h5`);
    assertStringIncludes(error.message, "<taskType>_<subject>_<chunk>.h5");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("catalog() skips unknown h5 names with a warning when onUnknown is skip", async () => {
  const dir = await makeTree([...DATASET, "Cross/test1/rest_162935.h5", "Intra/train/motor_105923_1.h5"]);
  try {
    const warnings: string[] = [];
    const table = await catalog(dir, { onUnknown: "skip", onWarning: (message) => warnings.push(message) });
    assertEquals(table.numRows(), DATASET.length);
    assertEquals(warnings.length, 2);
    assertStringIncludes(warnings[0], `${dir}/Cross/test1/rest_162935.h5`);
    assertStringIncludes(warnings[1], `${dir}/Intra/train/motor_105923_1.h5`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("catalog() rejects a missing folder, naming it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const error = await assertRejects(() => catalog(`${dir}/nope`), DataFileError, "folder does not exist");
    assertEquals(error.path, `${dir}/nope`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("catalog() rejects a folder without h5 files and a file given as folder", async () => {
  const dir = await makeTree(["Intra/train/notes.txt", "README", "Cross/.DS_Store"]);
  try {
    await assertRejects(() => catalog(dir), DataFileError, "found none");
    await Deno.mkdir(`${dir}/empty`);
    await assertRejects(() => catalog(`${dir}/empty`), DataFileError, "found none");
    await assertRejects(() => catalog(`${dir}/README`), DataFileError, "found a file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("catalog() rejects a folder whose only h5 files are skipped", async () => {
  const dir = await makeTree(["Intra/train/bad.h5"]);
  try {
    const warnings: string[] = [];
    await assertRejects(
      () => catalog(dir, { onUnknown: "skip", onWarning: (m) => warnings.push(m) }),
      DataFileError,
      "found none",
    );
    assertEquals(warnings.length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("catalog() writes nothing into the data folder", async () => {
  const dir = await makeTree([...DATASET, ...NOISE]);
  try {
    const before = await snapshot(dir);
    await catalog(dir);
    await catalog(dir, { splits: ["Intra/train"] });
    assertEquals(await snapshot(dir), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("catalog() checks its options", async () => {
  const dir = await makeTree(DATASET);
  try {
    await assertRejects(() => catalog(dir, { splits: "Cross/test1" as unknown as string[] }), TypeError);
    await assertRejects(() => catalog(dir, { onUnknown: "ignore" as "skip" }), RangeError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("recordingsOf() follows the table through Arquero verbs", async () => {
  const dir = await makeTree(DATASET);
  try {
    const table = await catalog(dir);
    const motor = table.params({ label: "motor" }).filter((d: { label: string }, $: { label: string }) =>
      d.label === $.label
    );
    assertEquals(recordingsOf(motor).map((r) => `${r.split}/${r.taskType}_${r.subject}_${r.chunk}`), [
      "Cross/train/task_motor_99_1",
      "Intra/train/task_motor_105923_1",
    ]);
    assertEquals(splitsOf(motor), ["Cross/train", "Intra/train"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("recordingsOf() and splitsOf() reject tables without the catalogue columns", () => {
  const table = aq.table({ path: ["a.h5"] });
  assertThrows(() => recordingsOf(table), TypeError, "missing split, taskType, label, subject, chunk, datasetName");
  assertThrows(() => splitsOf(table), TypeError, "split");
});

Deno.test("catalog() of the h5py fixtures finds the valid files with their splits", async () => {
  const root = decodeURIComponent(new URL("../fixtures/h5py/valid", import.meta.url).pathname);
  const recordings = recordingsOf(await catalog(root));
  assertEquals(recordings.map((r) => `${r.split} ${r.datasetName} ${r.chunk}`), [
    "Cross/test1 rest_162935 9",
    "Cross/test1 task_motor_162935 3",
    "Intra/test rest_105923 3",
    "Intra/train task_story_math_105923 1",
    "Intra/train task_working_memory_105923 2",
  ]);
});
