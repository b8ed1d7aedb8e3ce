import { assertRejects, assertStringIncludes } from "@std/assert";
import { main } from "../../tasks/explain.ts";
import { printed } from "./_printed.ts";

Deno.test("explain --help lists the flags and what it writes", async () => {
  const help = await printed(() => main(["--help"]));
  for (
    const text of ["--run RUN_DIR", "--split NAME", "--steps N", "saliency.json", "spatial_filter_", "sourceOcclusion"]
  ) {
    assertStringIncludes(help, text);
  }
});

Deno.test("explain refuses a missing --run, bad --steps and a folder that is not a run", async () => {
  await assertRejects(() => main([]), RangeError, "--run RUN_DIR is required");
  await assertRejects(
    () => main(["--run", ".", "--steps", "0"]),
    RangeError,
    "--steps must be a positive integer, got 0",
  );
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(() => main(["--run", dir]), RangeError, "not a megflow run folder");
  } finally {
    await Deno.remove(dir);
  }
});
