import { assert, assertEquals, assertInstanceOf, assertStrictEquals, assertThrows } from "@std/assert";
import { DataFileError } from "../../core/errors.ts";

Deno.test("DataFileError puts the file's path first in its message", () => {
  const error = new DataFileError("/data/Cross/train/rest_113922_1.h5", "expected 248 rows, got 247");
  assertEquals(error.message, "/data/Cross/train/rest_113922_1.h5: expected 248 rows, got 247");
  assertEquals(error.path, "/data/Cross/train/rest_113922_1.h5");
  assertEquals(error.reason, "expected 248 rows, got 247");
});

Deno.test("DataFileError is an Error named DataFileError, so it prints and catches as one", () => {
  const error = new DataFileError("/data/x.h5", "truncated");
  assertInstanceOf(error, Error);
  assertInstanceOf(error, DataFileError);
  assertEquals(error.name, "DataFileError");
  assertEquals(String(error), "DataFileError: /data/x.h5: truncated");
  assert(error.stack?.startsWith("DataFileError: /data/x.h5: truncated"), error.stack);
  assertThrows(
    () => {
      throw error;
    },
    DataFileError,
    "/data/x.h5: truncated",
  );
});

Deno.test("DataFileError keeps the cause it is given", () => {
  const cause = new Deno.errors.NotFound("no such file");
  const error = new DataFileError("/data/Intra", "missing folder", { cause });
  assertStrictEquals(error.cause, cause);
  assertEquals(new DataFileError("/data/Intra", "missing folder").cause, undefined);
});

Deno.test("DataFileError keeps path and reason apart when the reason holds a colon or the path is empty", () => {
  const error = new DataFileError("C:/data/a.h5", "dataset rest_1: expected float64, got int16");
  assertEquals(error.path, "C:/data/a.h5");
  assertEquals(error.reason, "dataset rest_1: expected float64, got int16");
  assertEquals(new DataFileError("", "no path").message, ": no path");
});
