import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { DataFileError } from "../../core/errors.ts";
import type { Recording } from "../../core/types.ts";
import { parseRecordingFileName } from "../../sources/parse_recording_file_name.ts";
import { validateRecordings } from "../../sources/validate_recordings.ts";

const recordingOf = (path: string): Recording => ({ path, split: ".", ...parseRecordingFileName(path) });
const VALID = "tests/fixtures/h5py/valid/Cross/test1/rest_162935_9.h5";
const INVALID = "tests/fixtures/h5py/invalid";

Deno.test("validateRecordings() returns each recording's shape and dtype without reading samples", async () => {
  const paths = [VALID, "tests/fixtures/h5py/valid/Cross/test1/task_motor_162935_3.h5"];
  const checked = await validateRecordings([...paths, VALID].map(recordingOf));
  assertEquals(checked.map((c) => c.recording.path), [...paths, VALID]);
  assertEquals(checked.map((c) => [c.info.shape[0], c.info.dtype]), [[248, "float64"], [248, "float64"], [
    248,
    "float64",
  ]]);
  // a NaN is in the samples, which are not read here
  await validateRecordings([recordingOf(`${INVALID}/nan/rest_100307_6.h5`)]);
});

for (
  const [folder, says] of [
    ["wrong_name", "expected one dataset named rest_100307, found one named task_motor_100307"],
    ["transposed", "looks transposed"],
    ["rows_247", "expected 248 rows"],
    ["int16", "found dtype int16"],
    ["not_h5", "not an HDF5 file"],
    ["two_datasets", "expected exactly one"],
    ["no_dataset", "found no dataset"],
  ] as const
) {
  Deno.test(`validateRecordings() names a file with a bad header or dataset: ${folder}`, async () => {
    const path = [...Deno.readDirSync(`${INVALID}/${folder}`)].map((e) => `${INVALID}/${folder}/${e.name}`)[0];
    const error = await assertRejects(() => validateRecordings([recordingOf(VALID), recordingOf(path)]), DataFileError);
    assertEquals(error.path, path);
    assertStringIncludes(error.reason, says);
  });
}

Deno.test("validateRecordings() checks every file and says how many are bad", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bytes = await Deno.readFile(VALID);
    const paths = [1, 2, 3, 4, 5].map((chunk) => `${dir}/rest_162935_${chunk}.h5`);
    for (const path of paths) await Deno.writeFile(path, bytes.subarray(0, 2000)); // truncated
    const error = await assertRejects(
      () => validateRecordings([recordingOf(VALID), ...paths.map(recordingOf)]),
      DataFileError,
    );
    assertEquals(error.path, paths[0]);
    assertStringIncludes(error.reason, "truncated file");
    assertStringIncludes(error.reason, `(and 4 more bad files: ${paths[1]}, ${paths[2]}, ${paths[3]}, ...)`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("validateRecordings() of a missing file is a DataFileError naming it", async () => {
  const error = await assertRejects(() => validateRecordings([recordingOf("/no/such/rest_1_1.h5")]), DataFileError);
  assert(error.message.startsWith("/no/such/rest_1_1.h5: "), error.message);
});
