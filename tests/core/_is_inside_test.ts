import { assert, assertEquals, assertRejects } from "@std/assert";
import { assertOutsideData, isInside, isInsideReal, realPathOrParent } from "../../core/_is_inside.ts";
import { withTempDir } from "../_temp_dir.ts";

Deno.test("realPathOrParent() resolves symlinks in the existing part and keeps the missing rest", async () => {
  await withTempDir(async (dir) => {
    const real = await Deno.realPath(dir);
    await Deno.mkdir(`${dir}/data/Cross`, { recursive: true });
    await Deno.symlink(`${dir}/data`, `${dir}/link`);
    assertEquals(await realPathOrParent(`${dir}/link`), `${real}/data`);
    assertEquals(await realPathOrParent(`${dir}/link/Cross/runs/a/b`), `${real}/data/Cross/runs/a/b`);
    assertEquals(await realPathOrParent(`${dir}/none/x`), `${real}/none/x`);
  });
});

Deno.test("isInsideReal() sees paths through a symlink, and a symlinked data folder, as inside", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/data`);
    await Deno.mkdir(`${dir}/runs`);
    await Deno.symlink(`${dir}/data`, `${dir}/link`);
    await Deno.symlink(`${dir}/runs`, `${dir}/runs-link`);
    // the string comparison misses these
    assert(!isInside(`${dir}/link/out`, `${dir}/data`));
    assert(await isInsideReal(`${dir}/link/out`, `${dir}/data`));
    assert(await isInsideReal(`${dir}/link`, `${dir}/data`));
    assert(await isInsideReal(`${dir}/data/cache`, `${dir}/link`));
    assert(!(await isInsideReal(`${dir}/runs-link/a`, `${dir}/data`)));
    assert(!(await isInsideReal(`${dir}/data-other/a`, `${dir}/data`)));
    await assertRejects(
      () => assertOutsideData(`${dir}/link/out`, `${dir}/data`, "the run folder"),
      RangeError,
      `Refusing to write the run folder ${dir}/link/out inside the data folder ${dir}/data`,
    );
    await assertOutsideData(`${dir}/runs/out`, `${dir}/data`, "the run folder");
  });
});
