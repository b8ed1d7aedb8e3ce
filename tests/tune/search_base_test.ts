import { assertEquals, assertStrictEquals } from "@std/assert";
import { runConfig } from "../../training/run_config.ts";
import { searchBase } from "../../tune/search_base.ts";

Deno.test("searchBase() holds one chunk out where the configuration validates on nothing, and leaves the rest alone", () => {
  const none = runConfig("intra", "/data", { model: "cnn", holdoutChunks: 0 });
  assertEquals(searchBase(none), { ...none, holdoutChunks: 1 });
  assertEquals(none.holdoutChunks, 0); // not changed in place
  for (
    const config of [
      runConfig("intra", "/data", { model: "spectral" }), // one held-out chunk (cnn's and gru's intra recipes: none)
      runConfig("cross", "/data", { model: "gru", holdoutChunks: 2 }),
      runConfig("cross", "/data", { validation: "loso", holdoutChunks: 0 }),
      runConfig("cross", "/data", { validation: "splits", validationSplits: ["Cross/test1"], holdoutChunks: 0 }),
    ]
  ) assertStrictEquals(searchBase(config), config);
});
