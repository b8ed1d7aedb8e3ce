/**
 * Reading a search space file named by a flag (`--space`, `--search-space`).
 *
 * @module
 */
import { parseSearchSpace, type SearchSpace } from "../tune/search_space.ts";

/**
 * Reads a search space JSON file named by a flag.
 *
 * @param flag The flag, without `--` (named in errors).
 * @param file The file.
 * @returns The parsed space.
 * @throws {RangeError} `--<flag> <file>: cannot read a JSON object: ...`, or the errors of `parseSearchSpace`.
 *
 * @example
 * ```ts
 * import { readSearchSpaceFile } from "./_read_search_space.ts";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * const file = await Deno.makeTempFile({ suffix: ".json" });
 * await Deno.writeTextFile(file, JSON.stringify({ units: { choice: [4, 8] } }));
 * assertEquals(Object.keys(await readSearchSpaceFile("space", file)), ["units"]);
 * await Deno.writeTextFile(file, "{");
 * await assertRejects(() => readSearchSpaceFile("space", file), RangeError, "cannot read a JSON object");
 * await Deno.remove(file);
 * ```
 */
export async function readSearchSpaceFile(flag: string, file: string): Promise<SearchSpace> {
  let json: unknown;
  try {
    json = JSON.parse(await Deno.readTextFile(file));
  } catch (error) {
    throw new RangeError(
      `--${flag} ${file}: cannot read a JSON object: ${error instanceof Error ? error.message : error}`,
    );
  }
  return parseSearchSpace(json, `--${flag} ${file}`);
}
