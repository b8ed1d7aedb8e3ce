import { assertEquals } from "@std/assert";
import { MEGFLOW_VERSION } from "../../core/version.ts";

Deno.test("MEGFLOW_VERSION is the version in deno.json", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assertEquals(MEGFLOW_VERSION, config.version);
});
