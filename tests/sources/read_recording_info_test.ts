import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { openH5FileCount } from "../../sources/_h5.ts";
import { DataFileError } from "../../core/errors.ts";
import { readRecordingInfo } from "../../sources/read_recording_info.ts";

const FIXTURES = decodeURIComponent(new URL("../fixtures/h5py/", import.meta.url).pathname);

Deno.test("readRecordingInfo() describes contiguous, gzip and float32 files without reading samples", async () => {
  assertEquals(await readRecordingInfo(`${FIXTURES}valid/Cross/test1/rest_162935_9.h5`), {
    datasetName: "rest_162935",
    shape: [248, 300],
    dtype: "float64",
    chunks: null,
    filters: [],
  });
  assertEquals(await readRecordingInfo(`${FIXTURES}valid/Cross/test1/task_motor_162935_3.h5`), {
    datasetName: "task_motor_162935",
    shape: [248, 300],
    dtype: "float64",
    chunks: [62, 128],
    filters: ["shuffle", "deflate"],
  });
  const float32 = await readRecordingInfo(`${FIXTURES}valid/Intra/train/task_story_math_105923_1.h5`);
  assertEquals(float32.dtype, "float32");
  assertEquals(openH5FileCount(), 0);
});

Deno.test("readRecordingInfo() does not look at the samples, so a NaN passes", async () => {
  const info = await readRecordingInfo(`${FIXTURES}invalid/nan/rest_100307_6.h5`);
  assertEquals(info.shape, [248, 64]);
});

Deno.test("readRecordingInfo() rejects invalid files like readBlocks()", async () => {
  const cases: [string, string][] = [
    ["invalid/int16/rest_100307_1.h5", "found dtype int16"],
    ["invalid/transposed/rest_100307_3.h5", "transposed"],
    ["invalid/wrong_name/rest_100307_5.h5", "found one named task_motor_100307"],
    ["invalid/not_h5/rest_100307_7.h5", "not an HDF5 file"],
  ];
  for (const [file, fragment] of cases) {
    const error = await assertRejects(() => readRecordingInfo(`${FIXTURES}${file}`), DataFileError, fragment);
    assertEquals(error.path, `${FIXTURES}${file}`);
  }
  assertEquals(openH5FileCount(), 0);
});

Deno.test("readRecordingInfo() takes the dataset name from the options when given", async () => {
  const info = await readRecordingInfo(`${FIXTURES}invalid/wrong_name/rest_100307_5.h5`, {
    datasetName: "task_motor_100307",
  });
  assertEquals(info.datasetName, "task_motor_100307");
});

Deno.test("readRecordingInfo() needs a recording file name when no dataset name is given", async () => {
  const dir = await Deno.makeTempDir({ prefix: "megflow_info_" });
  try {
    const path = `${dir}/recording.h5`;
    await Deno.copyFile(`${FIXTURES}valid/Cross/test1/rest_162935_9.h5`, path);
    const error = await assertRejects(() => readRecordingInfo(path), DataFileError);
    assertStringIncludes(error.message, "<taskType>_<subject>_<chunk>.h5");
    assertEquals((await readRecordingInfo(path, { datasetName: "rest_162935" })).shape, [248, 300]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readRecordingInfo() checks expectedChannels", async () => {
  await assertRejects(
    () => readRecordingInfo(`${FIXTURES}valid/Cross/test1/rest_162935_9.h5`, { expectedChannels: 0 }),
    RangeError,
  );
  const info = await readRecordingInfo(`${FIXTURES}invalid/rows_247/rest_100307_2.h5`, { expectedChannels: 247 });
  assertEquals(info.shape, [247, 40]);
});

Deno.test("readRecordingInfo() with datasetName null takes the one dataset of any name and still checks the rest", async () => {
  const dir = await Deno.makeTempDir({ prefix: "megflow_info_" });
  try {
    const path = `${dir}/upload.h5`;
    await Deno.copyFile(`${FIXTURES}invalid/wrong_name/rest_100307_5.h5`, path);
    assertEquals((await readRecordingInfo(path, { datasetName: null })).datasetName, "task_motor_100307");
    const cases: [string, string][] = [
      ["invalid/two_datasets/rest_100307_4.h5", "expected exactly one dataset, found 2"],
      ["invalid/transposed/rest_100307_3.h5", "transposed"],
      ["invalid/int16/rest_100307_1.h5", "found dtype int16"],
    ];
    for (const [file, fragment] of cases) {
      await assertRejects(
        () => readRecordingInfo(`${FIXTURES}${file}`, { datasetName: null }),
        DataFileError,
        fragment,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
