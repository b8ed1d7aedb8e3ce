/**
 * `deno task doctor` / `megflow doctor`: versions, the WebGPU adapter (hardware or software),
 * which tfjs backends start here, and a few timed training steps of a small EEGNet on each;
 * the work is {@linkcode doctor}'s.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { doctor, type DoctorBackend, formatDoctorReport } from "../orchestration/doctor.ts";
import { commaList, positiveIntFlag } from "./_flags.ts";
import { runMain } from "./_train_task.ts";

const USAGE = `Usage: megflow doctor [options]   (or: deno task doctor [options])

Prints megflow's and Deno's versions, the WebGPU adapter (hardware or software), which tfjs
backends start here, and the time of each training step of a small EEGNet on each backend
(the first step includes compiling kernels), then which backend --backend auto takes.

  --backends LIST   backends to try (default: cpu,wasm,webgpu)
  --steps N         timed training steps per backend (default: 3)
  --batch N         windows per batch (default: 8)
  --channels N      sensors of the input (default: 64)
  --samples N       samples per window (default: 125, one second at 125 Hz)
  --json            print the report as JSON
  --help            this text`;

const DOCTOR_BACKENDS: readonly DoctorBackend[] = ["cpu", "wasm", "webgpu"];

/**
 * Runs the doctor with command-line `args` and prints its report.
 *
 * @param args Command-line arguments, e.g. `["--backends", "cpu,wasm", "--steps", "2"]`.
 * @throws {RangeError} for an unknown flag or backend, or a bad number.
 */
export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      backends: { type: "string" },
      steps: { type: "string" },
      batch: { type: "string" },
      channels: { type: "string" },
      samples: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const backends = values.backends === undefined ? undefined : commaList(values.backends) as DoctorBackend[];
  for (const backend of backends ?? []) {
    if (!DOCTOR_BACKENDS.includes(backend)) {
      throw new RangeError(`--backends must list ${DOCTOR_BACKENDS.join(", ")}, got ${backend}`);
    }
  }
  const report = await doctor({
    backends,
    steps: positiveIntFlag("steps", values.steps),
    batchSize: positiveIntFlag("batch", values.batch),
    nChans: positiveIntFlag("channels", values.channels),
    nTimes: positiveIntFlag("samples", values.samples),
    log: (line) => console.error(line),
  });
  console.log(values.json ? JSON.stringify(report, null, 2) : formatDoctorReport(report));
}

if (import.meta.main) await runMain("doctor", () => main(Deno.args));
