/**
 * Where megflow keeps data it can regenerate (the default synthetic datasets).
 *
 * @module
 */
import { join } from "node:path";

function env(name: string): string | undefined {
  try {
    const value = Deno.env.get(name);
    return value === "" ? undefined : value;
  } catch {
    return undefined; // no --allow-env: fall through to the next choice
  }
}

/**
 * The megflow cache folder: `$MEGFLOW_CACHE_DIR` if set, else
 * `$XDG_CACHE_HOME/megflow`, else `$HOME/.cache/megflow` (`%LOCALAPPDATA%`
 * on Windows), else `.cache/megflow` under the current folder. Read from the
 * environment on every call; nothing is created.
 *
 * @returns The folder path.
 *
 * @example
 * ```ts
 * import { megflowCacheDir } from "./megflow_cache_dir.ts";
 * import { assert } from "@std/assert";
 *
 * assert(megflowCacheDir().length > 0);
 * ```
 */
export function megflowCacheDir(): string {
  const explicit = env("MEGFLOW_CACHE_DIR");
  if (explicit) return explicit;
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "megflow");
  const localAppData = Deno.build.os === "windows" ? env("LOCALAPPDATA") : undefined;
  if (localAppData) return join(localAppData, "megflow");
  const home = env("HOME") ?? env("USERPROFILE");
  if (home) return join(home, ".cache", "megflow");
  return join(".cache", "megflow");
}
