/**
 * Temporary folders for tests: made fresh for one test body and removed afterwards, also
 * when the body throws.
 *
 * @module
 */

/**
 * Runs `fn` with a new temporary folder and removes the folder afterwards.
 *
 * @param fn The test body; receives the folder's path.
 * @param prefix Prefix of the folder's name. Default: "megflow-test-".
 */
export async function withTempDir(fn: (dir: string) => Promise<void>, prefix = "megflow-test-"): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The names of the entries of `dir`, sorted. */
export async function namesIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) found.push(entry.name);
  return found.sort();
}
