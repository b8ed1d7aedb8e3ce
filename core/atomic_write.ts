/**
 * Writes that never leave a half-written file behind: the bytes go to a
 * temporary file in the same folder, which is then renamed over the target.
 *
 * @module
 */
import { dirname, join } from "node:path";

function temporaryPath(path: string): string {
  const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  return join(dirname(path), `.${path.split(/[\\/]/).pop()}.${suffix}.tmp`);
}

/**
 * Atomically writes `data` to `path`, creating the parent folder.
 *
 * @param path Target file.
 * @param data Text or bytes.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./atomic_write.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a/result.json`, '{"ok":true}');
 * assertEquals(await Deno.readTextFile(`${dir}/a/result.json`), '{"ok":true}');
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const temporary = temporaryPath(path);
  try {
    if (typeof data === "string") await Deno.writeTextFile(temporary, data);
    else await Deno.writeFile(temporary, data);
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}

/**
 * Atomically replaces the folder `path` with a folder filled by `fill`: `fill`
 * writes into a fresh temporary sibling folder, which is renamed into place
 * only when `fill` resolves. A failing `fill` leaves the old folder untouched.
 *
 * @param path Target folder.
 * @param fill Writes the folder's content into the folder it is given.
 *
 * @example
 * ```ts
 * import { replaceDirAtomic } from "./atomic_write.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await replaceDirAtomic(`${dir}/ckpt`, (tmp) => Deno.writeTextFile(`${tmp}/model.json`, "{}"));
 * assertEquals(await Deno.readTextFile(`${dir}/ckpt/model.json`), "{}");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function replaceDirAtomic(path: string, fill: (dir: string) => Promise<void>): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const temporary = temporaryPath(path);
  await Deno.mkdir(temporary);
  try {
    await fill(temporary);
    const old = `${temporary}.old`;
    const hadOld = await Deno.rename(path, old).then(() => true, () => false);
    await Deno.rename(temporary, path);
    if (hadOld) await Deno.remove(old, { recursive: true });
  } catch (error) {
    await Deno.remove(temporary, { recursive: true }).catch(() => {});
    throw error;
  }
}

/** Synchronous {@linkcode writeFileAtomic}, for exit handlers and small files. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  Deno.mkdirSync(dirname(path), { recursive: true });
  const temporary = temporaryPath(path);
  if (typeof data === "string") Deno.writeTextFileSync(temporary, data);
  else Deno.writeFileSync(temporary, data);
  Deno.renameSync(temporary, path);
}
