/**
 * A second process for tests/core/atomic_write_test.ts: replaces the folder
 * `Deno.args[0]` `Deno.args[2]` times, each time with files a.txt and b.txt
 * holding the same tag (`Deno.args[1]` and the call's number).
 *
 * @module
 */
import { join } from "node:path";
import { replaceDirAtomic } from "../../core/atomic_write.ts";

const [target, tag, count] = Deno.args;
for (let i = 0; i < Number(count); i++) {
  await replaceDirAtomic(target, async (tmp) => {
    await Deno.writeTextFile(join(tmp, "a.txt"), `${tag}-${i}`);
    await Deno.writeTextFile(join(tmp, "b.txt"), `${tag}-${i}`);
  });
}
