/**
 * Whether a path exists, for checks before reading or resuming.
 *
 * @module
 */

/**
 * True when `path` exists (a file, a folder, or anything `Deno.stat` can
 * reach through links); false when it cannot be statted for any reason.
 *
 * @param path The path.
 * @returns Whether `Deno.stat(path)` succeeds.
 *
 * @example
 * ```ts
 * import { exists } from "./_exists.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * assertEquals([await exists(dir), await exists(`${dir}/missing`)], [true, false]);
 * await Deno.remove(dir);
 * ```
 */
export function exists(path: string): Promise<boolean> {
  return Deno.stat(path).then(() => true, () => false);
}
