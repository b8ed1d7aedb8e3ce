import { assertRejects, assertStringIncludes } from "@std/assert";
import { main } from "../../tasks/embed.ts";
import { printed } from "./_printed.ts";

Deno.test("embed --help lists the flags", async () => {
  const help = await printed(() => main(["--help"]));
  for (const text of ["--data DIR", "--features WHAT", "model:RUN_DIR", "--code-size N", "--l1 X", "--epochs N"]) {
    assertStringIncludes(help, text);
  }
});

Deno.test("embed refuses a bad number and a missing data folder", async () => {
  await assertRejects(
    () => main(["--code-size", "2.5", "--data", "."]),
    RangeError,
    "--code-size must be a non-negative integer, got 2.5",
  );
  await assertRejects(
    () => main(["--features", "model:", "--data", "."]),
    RangeError,
    "--features must be bandpower or model:RUN_DIR, got model:",
  );
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(() => main(["--data", `${dir}/none`, "--out", `${dir}/out`, "--backend", "cpu"]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
