import { assertThrows } from "@std/assert";
import { checkModelOptions, MODELS } from "../../models/registry.ts";

Deno.test("checkModelOptions() takes each registered model's own options and refuses others, naming the known", () => {
  for (const [name, entry] of Object.entries(MODELS)) {
    checkModelOptions(name, {});
    checkModelOptions(name, { ...entry.defaultOptions });
    const known = Object.keys(entry.defaultOptions).join(", ");
    assertThrows(
      () => checkModelOptions(name, { nope: 1 }),
      TypeError,
      `Cannot build ${name}: unknown option "nope"; known options: ${known}`,
    );
  }
});

Deno.test("checkModelOptions() refuses non-objects, mistyped values and unknown models", () => {
  for (const options of [undefined, null, 3, "x", [1]]) {
    assertThrows(() => checkModelOptions("gru", options), TypeError, "Cannot build gru: options must be an object of");
  }
  assertThrows(() => checkModelOptions("cnn", { dropProb: "0.1" }), TypeError, '"dropProb" must be a number');
  assertThrows(() => checkModelOptions("mamba", {}), RangeError, "known models: cnn, gru, vivit");
});
