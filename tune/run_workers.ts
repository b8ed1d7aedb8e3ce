/**
 * A small pool of child processes on one machine: each job is one command
 * line (one trial), at most `workers` run at once, each writing its standard
 * output and error to its own log file.
 *
 * @module
 */
import { dirname } from "node:path";

/** One command line to run. */
export interface WorkerJob {
  /** Arguments after the program. */
  args: string[];
  /** File receiving the job's standard output and error (appended; its folder is created). */
  logFile: string;
  /** Name used in progress lines and results. */
  label: string;
}

/** How a job ended. */
export interface WorkerResult {
  /** The job's label. */
  label: string;
  /** Exit code (0: success). */
  code: number;
  /** Wall-clock seconds. */
  seconds: number;
}

/** Options of {@linkcode runWorkers}. */
export interface RunWorkersOptions {
  /** Jobs running at once (positive integer). Default: 1. */
  workers?: number;
  /** The program. Default: this Deno (`Deno.execPath()`). */
  program?: string;
  /** Working folder of the jobs. Default: the current one. */
  cwd?: string;
  /** Receives a line when a job starts and when it ends. Default: none. */
  log?: (line: string) => void;
}

async function runOne(job: WorkerJob, options: RunWorkersOptions): Promise<WorkerResult> {
  await Deno.mkdir(dirname(job.logFile), { recursive: true });
  const open = () => Deno.open(job.logFile, { write: true, create: true, append: true });
  const out = await open();
  let err: Deno.FsFile | undefined;
  let child: Deno.ChildProcess;
  const started = performance.now();
  try {
    err = await open();
    child = new Deno.Command(options.program ?? Deno.execPath(), {
      args: job.args,
      cwd: options.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    // No child to pipe into the log files (e.g. the program does not exist): close them here.
    out.close();
    err?.close();
    throw error;
  }
  const [status] = await Promise.all([
    child.status,
    child.stdout.pipeTo(out.writable),
    child.stderr.pipeTo(err.writable),
  ]);
  return { label: job.label, code: status.code, seconds: (performance.now() - started) / 1000 };
}

/**
 * Runs the jobs, at most `workers` at a time, in the order given.
 *
 * @param jobs Command lines with their log files.
 * @param options Pool size, program, folder, progress.
 * @returns One result per job, in the order given.
 * @throws {RangeError} when `workers` is not a positive integer.
 * @throws the error of a job whose program cannot be spawned (its log files closed), once the
 *   jobs already running have ended; no further job starts.
 *
 * @example
 * ```ts
 * import { runWorkers } from "./run_workers.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * const jobs = [0, 1, 2].map((i) => ({ args: ["eval", `console.log(${i})`], logFile: `${dir}/${i}.log`, label: `job ${i}` }));
 * const results = await runWorkers(jobs, { workers: 2 });
 * assertEquals(results.map((r) => r.code), [0, 0, 0]);
 * assertEquals(await Deno.readTextFile(`${dir}/2.log`), "2\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function runWorkers(jobs: readonly WorkerJob[], options: RunWorkersOptions = {}): Promise<WorkerResult[]> {
  const workers = options.workers ?? 1;
  if (!Number.isSafeInteger(workers) || workers < 1) {
    throw new RangeError(`Cannot run workers: workers must be a positive integer, got ${workers}`);
  }
  const results: WorkerResult[] = new Array(jobs.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < jobs.length && !failed) {
      const i = next++;
      options.log?.(`${jobs[i].label}: started (log ${jobs[i].logFile})`);
      try {
        results[i] = await runOne(jobs[i], options);
      } catch (error) {
        failed = true; // start no other job
        throw error;
      }
      options.log?.(`${jobs[i].label}: exit code ${results[i].code} after ${results[i].seconds.toFixed(1)} s`);
    }
  };
  // Every worker settles before a failure is reported: no job is left running (or holding its log) behind it.
  const settled = await Promise.allSettled(Array.from({ length: Math.min(workers, jobs.length) }, worker));
  const rejected = settled.find((result) => result.status === "rejected");
  if (rejected) throw rejected.reason;
  return results;
}
