/**
 * The prediction server: an HTTP handler over a served run. `POST /predict`
 * takes an h5 recording (the body itself, or the field `file` of a multipart
 * form), streams it to a temporary file, predicts it with the run's best model
 * and answers JSON; `GET /model` describes the run; `GET /health` answers
 * `{"status":"ok"}`. The handler plugs into `Deno.serve`.
 *
 * Bounded: at most `maxConcurrent` predictions are admitted at once (the rest
 * get 503 with `Retry-After`), each upload is at most `maxUploadBytes` (413),
 * each request has `timeoutSeconds` (408 while uploading, 504 after), and the
 * model runs one prediction at a time, in arrival order. Every request writes
 * into its own folder inside the server's temporary folder, removed when the
 * request is done, whatever the outcome.
 *
 * @module
 */
import { join } from "node:path";
import { isInsideReal } from "../core/_is_inside.ts";
import { DataFileError } from "../core/errors.ts";
import { parseRecordingFileName } from "../sources/parse_recording_file_name.ts";
import { errorResponse, HttpError, jsonResponse } from "./_http_error.ts";
import { ModelLock } from "./_model_lock.ts";
import { loadServedRun, type LoadServedRunOptions, type ServedRun } from "./load_served_run.ts";
import { predictFile } from "./predict_file.ts";
import { DEFAULT_MAX_UPLOAD_BYTES, receiveUpload } from "./receive_upload.ts";

/** Options of {@linkcode createPredictionServer}. */
export interface PredictionServerOptions extends LoadServedRunOptions {
  /** Largest request body of `POST /predict` in bytes; larger ones get 413. Default: 256 MiB. */
  maxUploadBytes?: number;
  /** Predictions admitted at once (uploading, waiting for the model or predicting); more get 503. Default: 4. */
  maxConcurrent?: number;
  /** Seconds a prediction request may take, upload included (408 while uploading, 504 after). Default: 120. */
  timeoutSeconds?: number;
  /** The `Retry-After` of a 503, in seconds. Default: 5. */
  retryAfterSeconds?: number;
  /**
   * Folder in which the server makes its own temporary folder (removed by
   * `close`); never the run folder or the run's data folder. Default: the
   * system's temporary folder.
   */
  tempDir?: string;
  /** Receives one line per request (method, path, status, seconds) and unexpected errors. Default: none. */
  log?: (line: string) => void;
}

/** The limits a server enforces, with their defaults filled in. */
export interface PredictionServerLimits {
  /** Largest request body in bytes. */
  maxUploadBytes: number;
  /** Predictions admitted at once. */
  maxConcurrent: number;
  /** Seconds per prediction request. */
  timeoutSeconds: number;
}

/** A prediction server, ready to be passed to `Deno.serve`. */
export interface PredictionServer {
  /** Answers one HTTP request. */
  handler: (request: Request) => Promise<Response>;
  /** The run served (config, results, model, description). */
  run: ServedRun;
  /** The server's own temporary folder; it holds one folder per request in progress. */
  tempDir: string;
  /** The limits in force. */
  limits: PredictionServerLimits;
  /** Prediction requests admitted and not yet finished. */
  readonly active: number;
  /** Refuses new predictions, waits for those in progress, frees the model and removes `tempDir`. */
  close(): Promise<void>;
  /** Same as `close`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

const ROUTES: Readonly<Record<string, string>> = { "/predict": "POST", "/model": "GET", "/health": "GET" };

/**
 * Loads a run folder (its best model once, on the chosen tfjs backend) and
 * returns an HTTP handler that predicts uploaded recordings with it.
 *
 * Status codes: 200 prediction / description; 400 empty or malformed upload;
 * 404 unknown path; 405 wrong method (with `Allow`); 408 upload not received in
 * time; 413 upload over the limit; 415 unsupported content type; 422 a file the
 * reader refuses (not HDF5, truncated, wrong dataset name, shape or dtype, NaN,
 * too short), with the reader's message; 503 too many predictions at once (with
 * `Retry-After`) or shutting down; 504 prediction not finished in time; 500
 * anything else. Errors answer `{"error": message, "status": code}`.
 *
 * @param runDir A run folder written by `trainRun`.
 * @param options Limits, backend, temporary folder, log.
 * @returns The server: handler, run, limits, `close`.
 * @throws {RangeError} for a folder that is not a run folder, a model that does
 *   not fit its preprocessing, a limit that is not positive, or a `tempDir`
 *   inside the run or data folder.
 *
 * @example
 * ```ts
 * import { createPredictionServer } from "./create_prediction_server.ts";
 * import { setupBackend } from "../backends/backend.ts";
 * import { MODELS } from "../models/registry.ts";
 * import { saveModel } from "../training/checkpoint.ts";
 * import { runConfig } from "../training/run_config.ts";
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 *
 * // A run folder as trainRun writes it: config.json and model/ (an untrained model here).
 * const runDir = await Deno.makeTempDir();
 * const config = runConfig("cross", "/data", {
 *   preprocess: [{ op: "resample", toHz: 125 }, { op: "zscore" }, { op: "window", windowSeconds: 1 }],
 * });
 * await Deno.writeTextFile(`${runDir}/config.json`, JSON.stringify(config));
 * await setupBackend("wasm");
 * const untrained = MODELS.cnn.build({ nChans: 248, nTimes: 125 }, 4, { temporalFilters: 2, separableFilters: 4 });
 * await saveModel(`${runDir}/model`, untrained);
 *
 * // Served on an ephemeral loopback port.
 * const server = await createPredictionServer(runDir, { backend: "wasm" });
 * const http = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, server.handler);
 * const base = `http://127.0.0.1:${http.addr.port}`;
 * assertEquals(await (await fetch(`${base}/health`)).json(), { status: "ok" });
 * const model = await (await fetch(`${base}/model`)).json();
 * assertEquals([model.model, model.windowSeconds, model.sfreq], ["cnn", 1, 125]);
 * const notH5 = await fetch(`${base}/predict`, {
 *   method: "POST",
 *   body: "hello",
 *   headers: { "content-type": "application/octet-stream" },
 * });
 * assertEquals(notH5.status, 422);
 * assertStringIncludes((await notH5.json()).error, 'upload: not an HDF5 file: expected the signature "\\x89HDF');
 * await http.shutdown();
 * await server.close(); // frees the model, removes the temporary folder
 * await Deno.remove(runDir, { recursive: true });
 * ```
 */
export async function createPredictionServer(
  runDir: string,
  options: PredictionServerOptions = {},
): Promise<PredictionServer> {
  const limits: PredictionServerLimits = {
    maxUploadBytes: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
    maxConcurrent: options.maxConcurrent ?? 4,
    timeoutSeconds: options.timeoutSeconds ?? 120,
  };
  for (const [name, value] of Object.entries({ ...limits, retryAfterSeconds: options.retryAfterSeconds ?? 5 })) {
    if (!(typeof value === "number" && value > 0)) {
      throw new RangeError(`Cannot create the prediction server: ${name} must be a positive number, got ${value}`);
    }
  }
  const run = await loadServedRun(runDir, options);
  try {
    const tempDir = await Deno.makeTempDir({ dir: options.tempDir, prefix: "megflow-serve-" });
    for (const [what, folder] of [["run", run.runDir], ["data", run.config.data]]) {
      if (folder && await isInsideReal(tempDir, folder)) {
        await Deno.remove(tempDir);
        throw new RangeError(`Refusing temporary files inside the ${what} folder ${folder}: got tempDir ${tempDir}`);
      }
    }
    return new Server(run, tempDir, limits, options).api();
  } catch (error) {
    run.model.dispose();
    throw error;
  }
}

/** The state behind a {@linkcode PredictionServer}. */
class Server {
  #run: ServedRun;
  #tempDir: string;
  #limits: PredictionServerLimits;
  #retryAfter: number;
  #log: (line: string) => void;
  #lock = new ModelLock();
  #active = 0;
  #inFlight = new Set<Promise<void>>();
  #closed: Promise<void> | undefined;

  constructor(run: ServedRun, tempDir: string, limits: PredictionServerLimits, options: PredictionServerOptions) {
    this.#run = run;
    this.#tempDir = tempDir;
    this.#limits = limits;
    this.#retryAfter = options.retryAfterSeconds ?? 5;
    this.#log = options.log ?? (() => {});
  }

  api(): PredictionServer {
    const close = () => (this.#closed ??= this.#close());
    const active = () => this.#active;
    return {
      handler: (request) => this.#handle(request),
      run: this.#run,
      tempDir: this.#tempDir,
      limits: this.#limits,
      get active() {
        return active();
      },
      close,
      [Symbol.asyncDispose]: close,
    };
  }

  async #handle(request: Request): Promise<Response> {
    const started = performance.now();
    const url = new URL(request.url);
    let response: Response;
    try {
      response = await this.#route(request, url);
    } catch (error) {
      response = this.#answerError(error);
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(3);
    this.#log(`${request.method} ${url.pathname}${url.search} ${response.status} ${seconds} s`);
    return response;
  }

  #route(request: Request, url: URL): Promise<Response> | Response {
    const method = ROUTES[url.pathname];
    if (method === undefined) {
      throw new HttpError(404, `no route ${url.pathname}: expected POST /predict, GET /model or GET /health`);
    }
    if (request.method !== method) {
      throw new HttpError(405, `${url.pathname} takes ${method}, got ${request.method}`, { allow: method });
    }
    if (url.pathname === "/health") return jsonResponse({ status: "ok" });
    if (url.pathname === "/model") return jsonResponse({ ...this.#run.description, limits: this.#limits });
    return this.#predict(request, url);
  }

  #answerError(error: unknown): Response {
    if (error instanceof HttpError) return errorResponse(error);
    this.#log(`megflow serve: unexpected error: ${error instanceof Error ? error.stack : error}`);
    const message = error instanceof Error ? error.message : String(error);
    return errorResponse(new HttpError(500, `internal error: ${message}`));
  }

  /** Admits a prediction (or answers 503) and holds its slot until its work, late parts included, is done. */
  async #predict(request: Request, url: URL): Promise<Response> {
    if (this.#closed) throw new HttpError(503, "the server is shutting down", { "retry-after": "60" });
    if (this.#active >= this.#limits.maxConcurrent) {
      throw new HttpError(
        503,
        `busy: ${this.#active} predictions in progress, the limit is ${this.#limits.maxConcurrent} ` +
          `(--max-concurrent); retry after ${this.#retryAfter} s`,
        { "retry-after": String(this.#retryAfter) },
      );
    }
    this.#active++;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    this.#inFlight.add(done);
    const release = () => {
      this.#active--;
      this.#inFlight.delete(done);
      finish();
    };
    let late: Promise<unknown> | undefined;
    try {
      return await this.#job(request, url, Date.now() + this.#limits.timeoutSeconds * 1000, (work) => (late = work));
    } finally {
      if (late) late.finally(release);
      else release();
    }
  }

  /**
   * Upload, model, answer, in the request's own temporary folder, which is
   * removed before the answer, or, when the prediction outlives the deadline,
   * once it has settled (`handOff` receives that cleanup).
   */
  async #job(
    request: Request,
    url: URL,
    deadline: number,
    handOff: (work: Promise<unknown>) => void,
  ): Promise<Response> {
    const dir = await Deno.makeTempDir({ dir: this.#tempDir, prefix: "request-" });
    const cleanup = () => removeRequestDir(dir).catch((e) => this.#log(`cannot remove ${dir}: ${e}`));
    let path = join(dir, "upload.h5");
    let fileName: string | null = null;
    let late: Promise<unknown> | undefined;
    try {
      const upload = await receiveUpload(request, path, { maxBytes: this.#limits.maxUploadBytes, deadline });
      fileName = url.searchParams.get("name") ?? upload.fileName;
      if (fileName !== null && isRecordingFileName(fileName)) {
        await Deno.rename(path, path = join(dir, fileName));
      }
      const release = await this.#lock.acquire(deadline - Date.now());
      if (release === undefined) throw this.#timedOut("waiting for the model");
      const prediction = predictFile(this.#run, path, { fileName }).finally(release);
      const outcome = await beforeDeadline(prediction, deadline);
      if (outcome === TIMED_OUT) {
        handOff(late = prediction.then(cleanup, cleanup));
        throw this.#timedOut("predicting");
      }
      return jsonResponse(outcome);
    } catch (error) {
      if (error instanceof HttpError) throw error;
      // Messages name the temporary file; the client knows its upload by its own name.
      const message = (error instanceof Error ? error.message : String(error))
        .replaceAll(path, fileName ?? "upload").replaceAll(dir, "(upload folder)");
      if (error instanceof DataFileError) throw new HttpError(422, message);
      this.#log(`megflow serve: unexpected error: ${error instanceof Error ? error.stack : error}`);
      throw new HttpError(500, `internal error: ${message}`);
    } finally {
      if (late === undefined) await cleanup();
    }
  }

  #timedOut(doing: string): HttpError {
    return new HttpError(
      504,
      `the prediction did not finish within ${this.#limits.timeoutSeconds} s (--timeout-seconds): timed out ${doing}`,
    );
  }

  async #close(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
    this.#run.model.dispose();
    await Deno.remove(this.#tempDir, { recursive: true }).catch(() => {});
  }
}

/**
 * Removes a request's folder, emptying its files first: HDF5 keeps a file open
 * after failing on a corrupt object header (see `sources/_h5.ts`), and an
 * emptied file holds no disk space even while a descriptor points at it.
 */
async function removeRequestDir(dir: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile) await Deno.truncate(join(dir, entry.name), 0).catch(() => {});
  }
  await Deno.remove(dir, { recursive: true });
}

/** Whether a file name follows `<taskType>_<subject>_<chunk>.h5` (and so is safe as a file name). */
function isRecordingFileName(name: string): boolean {
  try {
    parseRecordingFileName(name);
    return true;
  } catch {
    return false;
  }
}

const TIMED_OUT = Symbol("timed out");

/** The value of `work`, or {@linkcode TIMED_OUT} when `deadline` (`Date.now()` ms) comes first. */
async function beforeDeadline<T>(work: Promise<T>, deadline: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
