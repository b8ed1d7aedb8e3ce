/**
 * megflow's version, the `"version"` of its `deno.json` (a test keeps the two equal), for
 * `megflow doctor`, run reports and scripts that use megflow as a library.
 *
 * @module
 */

/**
 * The version of megflow.
 *
 * @example
 * ```ts
 * import { assertMatch } from "@std/assert";
 * import { MEGFLOW_VERSION } from "./version.ts";
 *
 * assertMatch(MEGFLOW_VERSION, /^\d+\.\d+\.\d+/);
 * ```
 */
export const MEGFLOW_VERSION: string = "0.1.0";
