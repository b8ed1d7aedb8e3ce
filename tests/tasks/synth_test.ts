import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { main } from "../../tasks/synth.ts";
import { SYNTH_VERSION } from "../../synth/version.ts";

const SCRIPT = new URL("../../tasks/synth.ts", import.meta.url).pathname;

Deno.test("synth main() rejects unknown flags and bad values with RangeErrors", async () => {
  await assertRejects(() => main(["--bogus"]), RangeError, "Unknown option '--bogus'");
  await assertRejects(() => main(["--out"]), RangeError, "argument missing");
  await assertRejects(
    () => main(["--preset", "medium", "--out", "/x"]),
    RangeError,
    '--preset must be full or small, got "medium"',
  );
  await assertRejects(() => main(["--seed", "4x2", "--out", "/x"]), RangeError, '--seed must be an integer, got "4x2"');
  await assertRejects(
    () => main(["--samples", "0", "--out", "/x"]),
    RangeError,
    "--samples must be an integer >= 1, got 0",
  );
  await assertRejects(
    () => main(["--cross-test-chunks=-1", "--out", "/x"]),
    RangeError,
    "--cross-test-chunks must be an integer >= 1, got -1",
  );
  await assertRejects(
    () => main(["--splits", ",", "--out", "/x"]),
    RangeError,
    "--splits must name at least one folder",
  );
  await assertRejects(() => main(["--splits", "Cross/test7", "--out", "/x"]), RangeError, "split must be one of");
  await assertRejects(() => main(["--out", "", "--preset", "small"]), RangeError, "--out must be a folder path");
  await assertRejects(() => main(["--samples", "64"]), RangeError, "--samples needs --out DIR");
});

Deno.test("synth main() prints usage for --help and writes nothing", async () => {
  assertEquals(await main(["--help"]), undefined);
});

Deno.test("synth main() writes the chosen splits with the given length and chunk counts", async () => {
  const out = await Deno.makeTempDir({ prefix: "megflow-synth-cli-" });
  try {
    const summary = await main([
      "--out",
      out,
      "--preset",
      "small",
      "--samples",
      "48",
      "--cross-train-chunks",
      "2",
      "--splits",
      "Cross/train,Cross/test3",
      "--seed",
      "7",
      "--quiet",
    ]);
    assert(summary);
    assertEquals([summary.files, summary.written, summary.nTimes, summary.seed], [2 * 4 * 2 + 4, 20, 48, 7]);
    assert((await Deno.stat(join(out, "Cross/train/task_motor_164636_2.h5"))).isFile);
    assert((await Deno.stat(join(out, "Cross/test3/rest_725751_3.h5"))).isFile);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("deno task synth fills the default cache folder and exits 2 on a bad flag", async () => {
  const cacheDir = await Deno.makeTempDir({ prefix: "megflow-synth-cli-cache-" });
  try {
    const run = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", SCRIPT, ...args],
        env: { MEGFLOW_CACHE_DIR: cacheDir },
        stdout: "piped",
        stderr: "piped",
      }).output();
    const ok = await run(["--preset", "small", "--splits", "Intra/test", "--quiet"]);
    assertEquals(ok.code, 0, new TextDecoder().decode(ok.stderr));
    const dir = join(cacheDir, "synth", `small-seed42-v${SYNTH_VERSION}`);
    assertStringIncludes(new TextDecoder().decode(ok.stdout), `synth: 4 files`);
    assert((await Deno.stat(join(dir, "Intra/test/task_story_math_105923_2.h5"))).isFile);
    const bad = await run(["--samples", "x"]);
    assertEquals(bad.code, 2);
    assertStringIncludes(new TextDecoder().decode(bad.stderr), '--samples must be an integer, got "x"');
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});
