/**
 * Path containment, for the rule that nothing is written into a data folder.
 *
 * @module
 */
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";

/**
 * True when `inner` is `outer` or lies inside it (both resolved against the working directory).
 *
 * @param inner The path that may be inside.
 * @param outer The folder.
 * @returns Whether `inner` is `outer` or below it.
 *
 * @example
 * ```ts
 * import { isInside } from "./_is_inside.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals([isInside("/data/x", "/data"), isInside("/data", "/data"), isInside("/database", "/data")], [true, true, false]);
 * ```
 */
export function isInside(inner: string, outer: string): boolean {
  const rel = relative(resolve(outer), resolve(inner));
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/**
 * The real path of `path` (symlinks resolved, as `Deno.realPath`); for a path
 * that does not exist yet, the real path of its nearest existing ancestor with
 * the missing rest appended.
 *
 * @param path Any path, relative to the working directory or absolute.
 * @returns An absolute path without symlinks in its existing part.
 */
export async function realPathOrParent(path: string): Promise<string> {
  const rest: string[] = [];
  let current = resolve(path);
  while (true) {
    try {
      return join(await Deno.realPath(current), ...rest.reverse());
    } catch (error) {
      const parent = dirname(current);
      if (
        parent === current || !(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory)
      ) {
        return join(current, ...rest.reverse());
      }
      rest.push(basename(current));
      current = parent;
    }
  }
}

/**
 * True when `inner` is `outer` or lies inside it, comparing real paths
 * (symlinks resolved in both, see {@linkcode realPathOrParent}) as well as the
 * paths as given: a symlink to a data folder, or a path through one, is inside it.
 *
 * @param inner The path that may be inside (it need not exist yet).
 * @param outer The folder.
 * @returns Whether `inner` is `outer` or below it.
 *
 * @example
 * ```ts
 * import { isInsideReal } from "./_is_inside.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/data`);
 * await Deno.symlink(`${dir}/data`, `${dir}/link`);
 * assertEquals(await isInsideReal(`${dir}/link/runs/new`, `${dir}/data`), true);
 * assertEquals(await isInsideReal(`${dir}/runs`, `${dir}/data`), false);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function isInsideReal(inner: string, outer: string): Promise<boolean> {
  if (isInside(inner, outer)) return true;
  return isInside(await realPathOrParent(inner), await realPathOrParent(outer));
}

/**
 * Throws when `path` (a folder or file about to be written) is the data folder
 * `data` or lies inside it, real paths compared (see {@linkcode isInsideReal}).
 *
 * @param path Where something is about to be written.
 * @param data The data folder.
 * @param what What `path` is, for the message, e.g. `the run folder`.
 * @throws {RangeError} naming both paths.
 */
export async function assertOutsideData(path: string, data: string, what: string): Promise<void> {
  if (await isInsideReal(path, data)) {
    throw new RangeError(`Refusing to write ${what} ${path} inside the data folder ${data}`);
  }
}

/**
 * {@linkcode assertOutsideData} for several outputs at once.
 *
 * @param data The data folder.
 * @param outputs What each output is (e.g. `the run folder`) and its path; `null` and `undefined` are skipped.
 * @throws {RangeError} naming the first output inside the data folder.
 */
export async function assertOutputsOutsideData(
  data: string,
  outputs: Readonly<Record<string, string | null | undefined>>,
): Promise<void> {
  for (const [what, path] of Object.entries(outputs)) {
    if (path !== null && path !== undefined) await assertOutsideData(path, data, what);
  }
}
