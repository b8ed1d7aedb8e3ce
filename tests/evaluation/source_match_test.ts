import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { pearson, sourceMatch } from "../../evaluation/source_match.ts";
import { classSourceFields } from "../../synth/class_sources.ts";

Deno.test("pearson() is 1 for a line, -1 for a falling one, 0 for a constant, and checks lengths", () => {
  assertAlmostEquals(pearson([1, 2, 3, 4], [3, 5, 7, 9]), 1, 1e-12);
  assertAlmostEquals(pearson([1, 2, 3, 4], [4, 3, 2, 1]), -1, 1e-12);
  assertEquals(pearson([1, 1, 1], [1, 2, 3]), 0);
  assertThrows(() => pearson([1, 2], [1, 2, 3]), RangeError, "got 2 and 3");
});

Deno.test("sourceMatch() gives r = 1 to maps that are the sources' fields, and the cross table", () => {
  const fields = classSourceFields();
  const perClass = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.all]));
  const perBand = Object.fromEntries(
    Object.entries(fields).map(([k, f]) => [k, Object.fromEntries(Object.entries(f).filter(([b]) => b !== "all"))]),
  );
  const match = sourceMatch(perClass, perBand, fields);
  for (const [name, r] of Object.entries(match.own)) {
    for (const [band, v] of Object.entries(r)) assertAlmostEquals(v, 1, 1e-9, `${name} ${band}`);
    assertAlmostEquals(match.cross[name].all[name], 1, 1e-9);
  }
  assertEquals(Object.keys(match.own.motor), ["all", "delta", "alpha", "beta"]);
  // the math (auditory) sources sit at the sides of the helmet, far from posterior alpha
  assertEquals(match.cross.rest.all.math < 0.5, true);
  // per band, every class's map of that band is scored against each class's sources of that band
  assertEquals(Object.keys(match.cross.rest.alpha), ["rest", "motor"]); // the classes with an alpha map
  const onlyRest = sourceMatch(perClass, { rest: perBand.rest }, fields);
  assertEquals(Object.keys(onlyRest.cross.rest.alpha), ["rest"]);
  assertEquals(Object.keys(onlyRest.cross.motor), ["all", "alpha"]); // motor's delta and beta: no map of those bands
  assertAlmostEquals(onlyRest.cross.motor.alpha.rest, pearson(fields.rest.alpha, fields.motor.alpha), 1e-12);
  // without band maps only `all` is scored
  assertEquals(Object.keys(sourceMatch(perClass, {}, fields).own.rest), ["all"]);
});
