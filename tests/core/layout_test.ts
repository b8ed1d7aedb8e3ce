import { assert, assertEquals, assertStrictEquals, assertThrows } from "@std/assert";
import { magnes3600Layout, parseSensorLayout } from "../../core/layout.ts";
import { N_SENSORS } from "../../core/types.ts";

Deno.test("magnes3600Layout() has the 248 sensors A1..A248 in matrix row order", () => {
  const layout = magnes3600Layout();
  assertEquals(layout.channels.length, N_SENSORS);
  assertEquals(layout.channels, Array.from({ length: 248 }, (_, i) => `A${i + 1}`));
  assertEquals([layout.x.length, layout.y.length], [248, 248]);
});

Deno.test("magnes3600Layout() gives finite, distinct positions on both sides of the head", () => {
  const { x, y } = magnes3600Layout();
  assert(x.every(Number.isFinite) && y.every(Number.isFinite));
  const places = new Set(Array.from(x, (xi, i) => `${xi},${y[i]}`));
  assertEquals(places.size, 248);
  // Left negative, front positive: sensors on every side of the origin.
  assert(x.some((v) => v < 0) && x.some((v) => v > 0));
  assert(y.some((v) => v < 0) && y.some((v) => v > 0));
});

Deno.test("magnes3600Layout() reads the file once and returns the same layout", () => {
  assertStrictEquals(magnes3600Layout(), magnes3600Layout());
});

Deno.test("parseSensorLayout() finds the columns by name, in any order", () => {
  const layout = parseSensorLayout("y\tchannel\tx\tkind\n1\tA1\t-2\tmag\n-3.5\tA2\t4e-1\tmag\n");
  assertEquals(layout.channels, ["A1", "A2"]);
  assertEquals(Array.from(layout.x), [-2, 0.4]);
  assertEquals(Array.from(layout.y), [1, -3.5]);
});

Deno.test("parseSensorLayout() accepts CRLF line ends and skips blank lines", () => {
  const layout = parseSensorLayout("channel\tx\ty\r\n\r\nA1\t1\t2\r\n   \r\nA2\t3\t4\r\n");
  assertEquals(layout.channels, ["A1", "A2"]);
  assertEquals(Array.from(layout.x), [1, 3]);
  assertEquals(Array.from(layout.y), [2, 4]);
});

Deno.test("parseSensorLayout() of a header alone is an empty layout", () => {
  const layout = parseSensorLayout("channel\tx\ty\n");
  assertEquals(layout.channels, []);
  assertEquals([layout.x.length, layout.y.length], [0, 0]);
});

Deno.test("parseSensorLayout() names the columns it found when one is missing", () => {
  assertThrows(
    () => parseSensorLayout("channel\tx\nA1\t1\n"),
    TypeError,
    "expected columns channel, x, y, got channel, x",
  );
  assertThrows(() => parseSensorLayout(""), TypeError, "expected columns channel, x, y");
  // Space-separated is not tab-separated.
  assertThrows(() => parseSensorLayout("channel x y\nA1 1 2\n"), TypeError, "got channel x y");
});

Deno.test("parseSensorLayout() names the line of a position that is not a number", () => {
  assertThrows(
    () => parseSensorLayout("channel\tx\ty\nA1\t1\t2\nA2\tleft\t3\n"),
    TypeError,
    "line 3, column 2 (x) is not a number: left",
  );
  assertThrows(() => parseSensorLayout("channel\tx\ty\nA1\tInfinity\t0\n"), TypeError, "line 2");
  assertThrows(() => parseSensorLayout("channel\tx\ty\nA1\t1\n"), TypeError, "line 2"); // y cell missing
});

Deno.test("parseSensorLayout() refuses an empty cell, naming its line and column, instead of reading 0", () => {
  const cases: [string, string][] = [
    ["channel\tx\ty\nA1\t1\t2\nA2\t\t3\n", "line 3, column 2 (x) is empty"],
    ["channel\tx\ty\nA1\t1\t \n", "line 2, column 3 (y) is empty"],
    ["x\ty\tchannel\n1\t2\t\n", "line 2, column 3 (channel) is empty"],
    ["channel\tx\ty\n\nA1\t1\t2\n\nA2\t1\n", "line 5, column 3 (y) is empty"], // blank lines counted
  ];
  for (const [text, message] of cases) assertThrows(() => parseSensorLayout(text), TypeError, message);
});
