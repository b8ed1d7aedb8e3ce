/**
 * Fuzz test of the h5 reader: a few hundred seeded random mutations of small recordings
 * (bytes flipped, ranges zeroed or overwritten, truncations, attributes removed or garbled),
 * each read as a run reads it (every tenth also through a resample worker), in a child process (`_fuzz_h5.ts`) so that a crash or an abort
 * of the wasm is caught as a failure and a hang is stopped by a per-file timeout.
 */
import { assert, assertEquals } from "@std/assert";
import { LEAKED_FILES_LIMIT } from "../../sources/_h5.ts";
import { withTempDir } from "../_temp_dir.ts";

const SEED = 20261205;
const FILES = 300;
const PER_FILE_TIMEOUT_MS = 15_000;

interface Line {
  start?: number;
  kind?: string;
  detail?: string;
  done?: number;
  outcome?: string;
  message?: string;
  pooled?: string;
  summary?: {
    openH5Files: number;
    descriptorsBefore: number;
    descriptorsAfter: number;
    recycledModules: number;
    pristineReadCorrectly: boolean;
  };
}

/** Runs the child; resolves with its lines, its exit code and, when a file took too long, that file. */
async function runChild(dir: string): Promise<{ lines: Line[]; code: number; stderr: string; hung?: Line }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      new URL("../../deno.json", import.meta.url).pathname,
      new URL("./_fuzz_h5.ts", import.meta.url).pathname,
      String(SEED),
      String(FILES),
      dir,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines: Line[] = [];
  let hung: Line | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const watchdog = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      hung = [...lines].reverse().find((line) => line.start !== undefined) ?? {};
      child.kill("SIGKILL");
    }, PER_FILE_TIMEOUT_MS);
  };
  watchdog();
  let pending = "";
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    const texts = (pending + chunk).split("\n");
    pending = texts.pop()!;
    for (const text of texts) if (text.startsWith("{")) lines.push(JSON.parse(text));
    watchdog();
  }
  const { code } = await child.status;
  clearTimeout(timer);
  return { lines, code, stderr: await stderr, hung };
}

Deno.test("mutated h5 files either read correctly or fail with a DataFileError naming them; no hang, crash or leak", async () => {
  await withTempDir(async (dir) => {
    const { lines, code, stderr, hung } = await runChild(dir);
    assertEquals(hung, undefined, `a file took over ${PER_FILE_TIMEOUT_MS} ms: ${JSON.stringify(hung)}`);
    const started = lines.filter((line) => line.start !== undefined);
    const last = started[started.length - 1];
    assertEquals(code, 0, `the reader process died (exit ${code}) on ${JSON.stringify(last)}:\n${stderr.slice(-2000)}`);
    const done = lines.filter((line) => line.done !== undefined);
    assertEquals(done.length, FILES);
    const bad = done.filter((line) => line.outcome !== "ok" && line.outcome !== "DataFileError");
    const described = bad.map((line) => ({ ...started[line.done!], ...line }));
    assertEquals(described, [], "every mutation reads correctly or fails with a DataFileError naming the file");
    // a resample worker reads every tenth file: the same outcome, its DataFileError rebuilt on this side
    const pooled = done.filter((line) => line.pooled !== undefined);
    assertEquals(pooled.length, FILES / 10);
    assertEquals(pooled.filter((line) => line.pooled !== line.outcome), []);
    const outcomes = new Set(done.map((line) => line.outcome));
    assert(outcomes.has("ok") && outcomes.has("DataFileError"), [...outcomes].join(", "));
    const summary = lines.find((line) => line.summary)?.summary;
    assert(summary, "no summary line");
    assertEquals(summary.openH5Files, 0);
    assert(summary.pristineReadCorrectly, "after the mutations, the pristine files no longer read correctly");
    if (summary.descriptorsBefore >= 0) {
      // HDF5 keeps a file open after some failures inside it; those are bounded, not one per bad file
      assert(
        summary.descriptorsAfter - summary.descriptorsBefore <= LEAKED_FILES_LIMIT,
        `file descriptors leaked: ${summary.descriptorsBefore} -> ${summary.descriptorsAfter}`,
      );
    }
  });
});
