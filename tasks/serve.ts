/**
 * `deno task serve --run RUN_DIR [--port 8000] [--host 127.0.0.1] [--max-upload-mb 256]
 * [--max-concurrent 4] [--timeout-seconds 120] [--backend auto] [--temp-dir DIR]`: serves a run's best
 * model over HTTP (`POST /predict`, `GET /model`, `GET /health`) until SIGINT or SIGTERM.
 * The work is {@linkcode createPredictionServer}'s; see `docs/serving.md`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { BACKEND_CHOICES, type BackendChoice } from "../backends/backend.ts";
import { createPredictionServer } from "../serve/create_prediction_server.ts";
import { positiveIntFlag } from "./_flags.ts";
import { runMain } from "./_train_task.ts";

const USAGE = `Usage: deno task serve --run RUN_DIR [options]

  --run RUN_DIR          a run folder written by train-cross or train-intra (its model/ is served)
  --port N               TCP port; 0 picks a free one (default: 8000)
  --host NAME            address to listen on (default: 127.0.0.1, this machine only)
  --max-upload-mb N      largest upload in MiB; larger ones get 413 (default: 256)
  --max-concurrent N     predictions at once; more get 503 with Retry-After (default: 4)
  --timeout-seconds N    seconds per prediction request, upload included (default: 120)
  --backend NAME         auto | webgpu | wasm | cpu (default: auto)
  --temp-dir DIR         where uploads are written while predicted (default: the system's temporary folder)
  --help                 this text

Routes:
  POST /predict   the h5 recording as the body (Content-Type: application/octet-stream) or as the
                  multipart/form-data field "file"; optional ?name=<taskType>_<subject>_<chunk>.h5
  GET  /model     the run: model, preprocessing, classes, window length, accuracy
  GET  /health    {"status":"ok"}
See docs/serving.md.`;

/** Options of {@linkcode main} beyond the command line, for scripts and tests. */
export interface ServeMainOptions {
  /** Stops the server when aborted (as SIGINT does). Default: SIGINT and SIGTERM only. */
  signal?: AbortSignal;
  /** Receives the server's URL once it listens. Default: none (the URL is printed either way). */
  onListen?: (url: string) => void;
}

/** The value of a flag that takes a positive number (such as 0.5 or 256). */
function positiveNumberFlag(name: string, text: string): number {
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`--${name} must be a positive number, got ${text}`);
  return value;
}

/** The value of `--port`: an integer from 0 (any free port) to 65535. */
function portFlag(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`--port must be an integer from 0 to 65535, got ${text}`);
  }
  return port;
}

/**
 * Runs the serve task with command-line `args`: loads the run, listens, and
 * returns once the server has shut down (SIGINT, SIGTERM or `options.signal`)
 * and its temporary folder is removed.
 *
 * @param args Command-line arguments (see `--help`).
 * @param options A stop signal and a listen callback.
 * @throws {RangeError} for a missing `--run`, a bad flag value, or a folder that is not a run.
 */
export async function main(args: string[], options: ServeMainOptions = {}): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      run: { type: "string" },
      port: { type: "string", default: "8000" },
      host: { type: "string", default: "127.0.0.1" },
      "max-upload-mb": { type: "string", default: "256" },
      "max-concurrent": { type: "string", default: "4" },
      "timeout-seconds": { type: "string", default: "120" },
      backend: { type: "string", default: "auto" },
      "temp-dir": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  if (!values.run) throw new RangeError(`--run RUN_DIR is required\n\n${USAGE}`);
  const port = portFlag(values.port);
  if (!BACKEND_CHOICES.includes(values.backend as BackendChoice)) {
    throw new RangeError(`--backend must be one of ${BACKEND_CHOICES.join(", ")}, got ${values.backend}`);
  }
  const server = await createPredictionServer(values.run, {
    backend: values.backend as BackendChoice,
    maxUploadBytes: Math.round(positiveNumberFlag("max-upload-mb", values["max-upload-mb"]) * 1024 * 1024),
    maxConcurrent: positiveIntFlag("max-concurrent", values["max-concurrent"]),
    timeoutSeconds: positiveNumberFlag("timeout-seconds", values["timeout-seconds"]),
    tempDir: values["temp-dir"],
    log: (line) => console.error(line),
  });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  const signals: Deno.Signal[] = options.signal ? [] : Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const name of signals) Deno.addSignalListener(name, onSignal);
  options.signal?.addEventListener("abort", onSignal, { once: true });
  try {
    const { description } = server.run;
    const http = Deno.serve({
      port,
      hostname: values.host,
      signal: stop.signal,
      onListen: ({ hostname, port }) => {
        const url = `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
        console.error(
          `megflow serve: ${description.model} (${description.parameters} parameters) of ${server.run.runDir} ` +
            `on ${description.backend}, listening on ${url} (POST /predict, GET /model, GET /health)`,
        );
        options.onListen?.(url);
      },
    }, server.handler);
    await http.finished;
  } finally {
    for (const name of signals) Deno.removeSignalListener(name, onSignal);
    options.signal?.removeEventListener("abort", onSignal);
    await server.close();
    console.error("megflow serve: stopped");
  }
}

if (import.meta.main) await runMain("serve", () => main(Deno.args));
