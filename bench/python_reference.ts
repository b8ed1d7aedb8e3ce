/**
 * The Python side of the ingest benchmark: finding a Python with h5py, scipy
 * and numpy, rewriting files through h5py, and timing the Python reference
 * route (`bench/python_reference.py`) on the same files. Nothing here needs
 * Python to be installed: without it, {@linkcode findPython} says so and the
 * benchmark skips the reference.
 *
 * @module
 */
import { probePython, runPythonScript } from "./_python_process.ts";

/** A Python that can run the reference. */
export interface PythonInfo {
  /** The command that runs it. */
  command: string;
  /** `python --version` without the word Python. */
  version: string;
  /** h5py's version. */
  h5py: string;
  /** scipy's version. */
  scipy: string;
  /** numpy's version. */
  numpy: string;
}

/** What the Python reference measured (one line of `bench/python_reference.py`). */
export interface PythonReport {
  /** `exact` (`resample_poly(x, 125, 2034)`) or `decimate16` (`decimate(x, 16)`). */
  route: "exact" | "decimate16";
  /** Files read. */
  files: number;
  /** Bytes of the files. */
  rawBytes: number;
  /** Wall-clock seconds. */
  seconds: number;
  /** rawBytes / 1e6 / seconds. */
  rawMBPerSecond: number;
  /** CPU seconds over the same span (about `seconds`: numpy and scipy use one core here). */
  cpuSeconds: number;
  /** Output samples per channel, all files together. */
  outSamples: number;
  /** Peak resident memory of the Python process, MB. */
  peakRssMB: number;
}

/** The Python commands tried by {@linkcode findPython}: `$MEGFLOW_PYTHON`, `python3`, `/usr/bin/python3`. */
export function pythonCandidates(): string[] {
  const fromEnv = Deno.env.get("MEGFLOW_PYTHON");
  return [...(fromEnv ? [fromEnv] : []), "python3", "/usr/bin/python3"];
}

const PROBE =
  "import sys, h5py, scipy, numpy; print(sys.version.split()[0], h5py.__version__, scipy.__version__, numpy.__version__)";

/**
 * The first of `candidates` that imports h5py, scipy and numpy.
 *
 * @param candidates Commands to try, in order. Default: {@linkcode pythonCandidates}.
 * @returns Its command and versions, or `undefined` when none works.
 */
export async function findPython(candidates: readonly string[] = pythonCandidates()): Promise<PythonInfo | undefined> {
  const probe = await probePython(candidates, PROBE, 4);
  if (!("command" in probe)) return undefined;
  const [version, h5py, scipy, numpy] = probe.words;
  return { command: probe.command, version, h5py, scipy, numpy };
}

/** Runs a script of this folder with `python` and parses the JSON line it prints last. */
async function runScript<T>(python: string, script: string, args: readonly string[]): Promise<T> {
  const lines = (await runPythonScript(python, script, args)).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

/**
 * Rewrites files through h5py (`bench/h5py_copy.py`): `srcRoot/p` to
 * `dstRoot/p` for each relative path `p`, skipping copies that exist.
 *
 * @param python The Python command.
 * @param srcRoot Folder of the originals.
 * @param dstRoot Folder of the copies (created).
 * @param relativePaths Files to copy, relative to both roots.
 * @returns Files copied and skipped, and seconds.
 */
export function copyThroughH5py(
  python: string,
  srcRoot: string,
  dstRoot: string,
  relativePaths: readonly string[],
): Promise<{ copied: number; skipped: number; seconds: number }> {
  return runScript(python, "./h5py_copy.py", [srcRoot, dstRoot, ...relativePaths]);
}

/**
 * Times the Python reference route on `paths` (`bench/python_reference.py`).
 *
 * @param python The Python command.
 * @param paths h5 files, read in this order.
 * @param route `exact` or `decimate16`. Default: `exact`.
 * @returns What it measured.
 * @throws {Error} when the script fails.
 */
export function runPythonReference(
  python: string,
  paths: readonly string[],
  route: "exact" | "decimate16" = "exact",
): Promise<PythonReport> {
  return runScript(python, "./python_reference.py", ["--route", route, ...paths]);
}
