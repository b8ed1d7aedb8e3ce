/**
 * `deno task explain --run RUN_DIR [--split test3] [--steps 16] [--backend NAME]`:
 * saliency per class (integrated gradients and gradient x input of each class's
 * own logit) over one evaluated split, as `explain/saliency.json` and topomaps,
 * EEGNet's spatial filters as topomaps, and an "Inside the model" section in the
 * run's report. The work is {@linkcode explainRun}'s.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { BackendChoice } from "../backends/backend.ts";
import { explainRun } from "../orchestration/explain_run.ts";
import { runMain } from "./_train_task.ts";

const USAGE = `Usage: deno task explain --run RUN_DIR [options]

  --run RUN_DIR     a run folder written by train-cross or train-intra
  --split NAME      an evaluated split to explain, e.g. test3 or Cross/test3 (default: test3, else the last)
  --steps N         Riemann steps of integrated gradients (default: 16)
  --backend NAME    auto | webgpu | wasm | cpu (default: the run's own)
  --help            this text

Writes RUN_DIR/explain/: saliency.json (integrated gradients, one value per sensor A1..A248
and class, and per frequency band), saliency_gradient_x_input.json, explain.json,
saliency_<class>.svg, saliency_<class>_<band>.svg and, for EEGNet (cnn),
spatial_filter_<f>_<d>.svg; rewrites RUN_DIR/report.html with "Inside the model". Every model
is explained per sensor, grid models (vivit, cascade) included. On data made by megflow's
generator, explain.json also correlates each class's saliency with the field of the sources
the generator put in that class (sourceMatch), and removes each class's sources from the
windows (their fields projected out, all bands and per band) to see what that does to the
class's recall, against removing as many random fields (sourceOcclusion); both printed as it runs.`;

/**
 * Runs the explain task with command-line `args`.
 *
 * @param args Command-line arguments.
 */
export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      run: { type: "string" },
      split: { type: "string" },
      steps: { type: "string" },
      backend: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  if (!values.run) throw new RangeError(`--run RUN_DIR is required\n\n${USAGE}`);
  const steps = values.steps === undefined ? undefined : Number(values.steps);
  if (steps !== undefined && !(Number.isInteger(steps) && steps >= 1)) {
    throw new RangeError(`--steps must be a positive integer, got ${values.steps}`);
  }
  const { saliency, dir } = await explainRun(values.run, {
    split: values.split,
    steps,
    backend: values.backend as BackendChoice | undefined,
  });
  const layout = saliency.channels;
  for (const [name, values] of Object.entries(saliency.perClass)) {
    const top = values.map((v, c) => [v, c]).sort((a, b) => b[0] - a[0]).slice(0, 5);
    console.log(
      `${name.padEnd(7)} strongest sensors: ${top.map(([v, c]) => `${layout[c]} ${v.toPrecision(3)}`).join(", ")}`,
    );
  }
  console.log(`written to ${dir}`);
}

if (import.meta.main) await runMain("explain", () => main(Deno.args));
