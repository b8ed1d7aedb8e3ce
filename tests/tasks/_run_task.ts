/**
 * Test helper: runs a task script in a child Deno process with the project's
 * `deno.json`, as `deno task <name>` does, and collects its output.
 *
 * @module
 */

/** Exit code and decoded output of a task run. */
export interface TaskOutput {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

/**
 * Runs `tasks/<file>` with `args`.
 *
 * @param file Script file name under `tasks/`, e.g. `tune.ts`.
 * @param args Command-line arguments.
 * @returns Exit code, stdout and stderr.
 */
export async function runTask(file: string, args: readonly string[]): Promise<TaskOutput> {
  const script = new URL(`../../tasks/${file}`, import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG, script, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}
