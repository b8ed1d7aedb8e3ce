/**
 * Helpers of the bench tests that stand in for a Python interpreter.
 *
 * @module
 */
import { join } from "node:path";

/** Writes `python3` into `dir`: a shell script running `body` (no Python needed); returns its path. */
export async function fakePython(dir: string, body: string): Promise<string> {
  const path = join(dir, "python3");
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`);
  await Deno.chmod(path, 0o755);
  return path;
}

/** Runs `fn` in a fresh temporary folder named with `prefix`, removed afterwards. */
export async function withDir(prefix: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
