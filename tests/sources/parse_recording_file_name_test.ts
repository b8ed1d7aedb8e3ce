import { assertEquals, assertInstanceOf, assertStringIncludes, assertThrows } from "@std/assert";
import { DataFileError } from "../../core/errors.ts";
import { parseRecordingFileName, RECORDING_FILE_PATTERN } from "../../sources/parse_recording_file_name.ts";

Deno.test("parseRecordingFileName() reads task type, label, subject and chunk of every task type", () => {
  assertEquals(parseRecordingFileName("rest_105923_1.h5"), {
    taskType: "rest",
    label: "rest",
    subject: "105923",
    chunk: 1,
    datasetName: "rest_105923",
  });
  assertEquals(parseRecordingFileName("task_motor_162935_10.h5").label, "motor");
  assertEquals(parseRecordingFileName("task_story_math_707749_3.h5").label, "math");
  const memory = parseRecordingFileName("task_working_memory_725751_8.h5");
  assertEquals([memory.taskType, memory.label, memory.datasetName], [
    "task_working_memory",
    "memory",
    "task_working_memory_725751",
  ]);
});

Deno.test("parseRecordingFileName() looks only at the last path component, with / or \\ separators", () => {
  assertEquals(parseRecordingFileName("/data/Final Project data/Cross/test1/rest_162935_9.h5").chunk, 9);
  assertEquals(parseRecordingFileName("C:\\data\\Intra\\train\\task_motor_105923_2.h5").subject, "105923");
});

Deno.test("parseRecordingFileName() keeps the subject as written, leading zeros included", () => {
  assertEquals(parseRecordingFileName("rest_007_02.h5").subject, "007");
  assertEquals(parseRecordingFileName("rest_007_02.h5").chunk, 2);
});

Deno.test("parseRecordingFileName() rejects other names with a DataFileError naming the file and the pattern", () => {
  for (
    const name of [
      "rest_105923.h5",
      "resting_105923_1.h5",
      "task_math_105923_1.h5",
      "rest_abc_1.h5",
      "rest_105923_1.hdf5",
      "rest_105923_1.h5.bak",
      "Rest_105923_1.h5",
      "rest_105923_1_2.h5",
      "",
    ]
  ) {
    const error = assertThrows(() => parseRecordingFileName(`data/${name}`), DataFileError);
    assertEquals(error.path, `data/${name}`);
    assertStringIncludes(error.message, JSON.stringify(name));
    assertStringIncludes(error.message, RECORDING_FILE_PATTERN);
  }
});

Deno.test("parseRecordingFileName() throws a TypeError for a non-string", () => {
  const error = assertThrows(() => parseRecordingFileName(42 as unknown as string));
  assertInstanceOf(error, TypeError);
});
