/**
 * Writes that never leave a half-written file behind and survive a crash or a
 * power loss: the bytes go to a temporary file in the same folder, are flushed
 * to the disk (fsync), and the file is then renamed over the target; the folder
 * itself is flushed after the rename so that the new name is durable too.
 *
 * Folders are replaced by {@linkcode replaceDirAtomic}, which POSIX cannot do
 * in one step: it moves the old folder aside and the new one in, and a process
 * killed between the two renames leaves both complete versions under names
 * that {@linkcode recoverDir} recognises and puts back.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";

/** A name for a temporary sibling of `path`: `.<name>.<unique>.<kind>`. */
function siblingPath(path: string, kind: string): string {
  return join(dirname(path), `.${basename(path)}.${crypto.randomUUID()}.${kind}`);
}

/**
 * Flushes a folder's entries (new names, renames, removals) to the disk. A
 * no-op where the system cannot open folders for it (Windows).
 *
 * @param dir The folder.
 */
export async function syncDir(dir: string): Promise<void> {
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(dir, { read: true });
    await file.sync();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw error;
  } finally {
    file?.close();
  }
}

/** Flushes the content of the file at `path` to the disk. */
async function syncFile(path: string): Promise<void> {
  const file = await Deno.open(path, { read: true, write: true });
  try {
    await file.sync();
  } finally {
    file.close();
  }
}

/**
 * Flushes every file and folder under `dir` (and `dir` itself) to the disk,
 * e.g. what a `fill` callback wrote before the folder is renamed into place.
 *
 * @param dir The folder.
 */
export async function syncTree(dir: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) await syncTree(path);
    else if (entry.isFile) await syncFile(path);
  }
  await syncDir(dir);
}

/**
 * Atomically and durably writes `data` to `path`, creating the parent folder:
 * after it resolves, a crash leaves the new content; before, the old one.
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
  const temporary = siblingPath(path, "tmp");
  try {
    if (typeof data === "string") await Deno.writeTextFile(temporary, data);
    else await Deno.writeFile(temporary, data);
    await syncFile(temporary);
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
  await syncDir(dirname(path));
}

/** Calls of replaceDirAtomic per target folder, so that calls in one process apply in call order. */
const dirQueues = new Map<string, Promise<unknown>>();

/** Whether an error of a rename onto a folder says that a (non-empty) folder is in the way. */
function isInTheWay(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return error instanceof Deno.errors.AlreadyExists || code === "ENOTEMPTY" || code === "EEXIST" ||
    code === "ENOTDIR" || code === "EISDIR";
}

/**
 * Atomically replaces the folder `path` with a folder filled by `fill`: `fill`
 * writes into a fresh temporary sibling folder, which is flushed to the disk
 * and renamed into place only when `fill` resolves. A failing `fill` leaves
 * the old folder untouched. Calls on one folder from one process apply in call
 * order (the last call's content stays); calls from several processes each
 * leave a complete folder, the last to rename winning. A process killed
 * between moving the old folder aside and the new one in leaves both,
 * complete, as hidden siblings that {@linkcode recoverDir} puts back.
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
export function replaceDirAtomic(path: string, fill: (dir: string) => Promise<void>): Promise<void> {
  const key = join(dirname(path), basename(path));
  const previous = dirQueues.get(key) ?? Promise.resolve();
  const done = previous.catch(() => {}).then(() => replaceDirNow(path, fill));
  dirQueues.set(key, done);
  const forget = () => {
    if (dirQueues.get(key) === done) dirQueues.delete(key);
  };
  done.then(forget, forget);
  return done;
}

async function replaceDirNow(path: string, fill: (dir: string) => Promise<void>): Promise<void> {
  const parent = dirname(path);
  await Deno.mkdir(parent, { recursive: true });
  const temporary = siblingPath(path, "tmp");
  const ready = temporary.replace(/\.tmp$/, ".new");
  await Deno.mkdir(temporary);
  try {
    await fill(temporary);
    await syncTree(temporary);
    // Renamed to .new only once complete: recoverDir may then put it in place.
    await Deno.rename(temporary, ready);
  } catch (error) {
    await Deno.remove(temporary, { recursive: true }).catch(() => {});
    throw error;
  }
  await syncDir(parent);
  const moved = await swapIn(path, ready);
  await syncDir(parent);
  for (const old of moved) await Deno.remove(old, { recursive: true }).catch(() => {});
}

/**
 * Moves the folder at `path` (if any) aside to `.old` siblings and `ready` to
 * `path`, again while another process puts a folder back in between (at most
 * 100 tries). Rolls back on any other failure.
 *
 * @returns The `.old` siblings to remove.
 */
async function swapIn(path: string, ready: string): Promise<string[]> {
  const moved: string[] = [];
  for (let attempt = 0; attempt < 100; attempt++) {
    const old = ready.replace(/\.new$/, `.${attempt}.old`);
    try {
      await Deno.rename(path, old);
      moved.push(old);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) return await rollBack(path, ready, moved, error);
    }
    try {
      await Deno.rename(ready, path);
      return moved;
    } catch (error) {
      // A concurrent writer renamed its folder into place between our renames: move it aside too.
      if (!isInTheWay(error)) return await rollBack(path, ready, moved, error);
    }
  }
  return await rollBack(path, ready, moved, new Error(`${path}: other writers kept replacing the folder`));
}

async function rollBack(path: string, ready: string, moved: string[], error: unknown): Promise<never> {
  const last = moved.at(-1);
  if (last) await Deno.rename(last, path).catch(() => {});
  await Deno.remove(ready, { recursive: true }).catch(() => {});
  throw error;
}

/**
 * Repairs what a process killed inside {@linkcode replaceDirAtomic} left
 * behind: when `path` is missing, the newest complete replacement (`.new`) or
 * else the newest moved-aside old folder (`.old`) is renamed back to `path`;
 * leftover temporary siblings are then removed. Call it only while no other
 * process writes `path` (e.g. when a run resumes).
 *
 * @param path The folder.
 * @returns True when it put a folder back at `path`.
 *
 * @example
 * ```ts
 * import { recoverDir, replaceDirAtomic } from "./atomic_write.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await replaceDirAtomic(`${dir}/model`, (tmp) => Deno.writeTextFile(`${tmp}/a.txt`, "a"));
 * await Deno.rename(`${dir}/model`, `${dir}/.model.1234.0.old`); // as if killed between the renames
 * assertEquals(await recoverDir(`${dir}/model`), true);
 * assertEquals(await Deno.readTextFile(`${dir}/model/a.txt`), "a");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function recoverDir(path: string): Promise<boolean> {
  const parent = dirname(path);
  const prefix = `.${basename(path)}.`;
  const leftovers: Array<{ path: string; kind: "new" | "old" | "tmp"; mtime: number }> = [];
  try {
    for await (const entry of Deno.readDir(parent)) {
      const kind = entry.name.match(/\.(new|old|tmp)$/)?.[1] as "new" | "old" | "tmp" | undefined;
      if (!entry.isDirectory || !entry.name.startsWith(prefix) || !kind) continue;
      const full = join(parent, entry.name);
      leftovers.push({ path: full, kind, mtime: (await Deno.stat(full)).mtime?.getTime() ?? 0 });
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  let restored = false;
  if (!(await Deno.stat(path).then(() => true, () => false))) {
    const newest = (kind: string) => leftovers.filter((l) => l.kind === kind).sort((a, b) => b.mtime - a.mtime)[0];
    const back = newest("new") ?? newest("old");
    if (back) {
      await Deno.rename(back.path, path);
      await syncDir(parent);
      restored = true;
      leftovers.splice(leftovers.indexOf(back), 1);
    }
  }
  for (const leftover of leftovers) await Deno.remove(leftover.path, { recursive: true }).catch(() => {});
  return restored;
}

/** Synchronous {@linkcode writeFileAtomic}, for exit handlers and small files. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  Deno.mkdirSync(dirname(path), { recursive: true });
  const temporary = siblingPath(path, "tmp");
  try {
    const file = Deno.openSync(temporary, { write: true, createNew: true });
    try {
      const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
      for (let written = 0; written < bytes.length;) written += file.writeSync(bytes.subarray(written));
      file.syncSync();
    } finally {
      file.close();
    }
    Deno.renameSync(temporary, path);
  } catch (error) {
    try {
      Deno.removeSync(temporary);
    } catch { /* already gone */ }
    throw error;
  }
  try {
    const folder = Deno.openSync(dirname(path), { read: true });
    try {
      folder.syncSync();
    } finally {
      folder.close();
    }
  } catch { /* a system that cannot open folders (Windows) */ }
}
