/**
 * Serving a trained run over HTTP: {@linkcode createPredictionServer} turns a
 * run folder into a `Deno.serve` handler (`POST /predict`, `GET /model`,
 * `GET /health`); {@linkcode loadServedRun} and {@linkcode predictFile} are the
 * same prediction without HTTP; {@linkcode receiveUpload} streams an upload to
 * disk. `deno task serve --run RUN_DIR` runs it; see `docs/serving.md`.
 *
 * @example
 * ```ts
 * import { createPredictionServer, DEFAULT_MAX_UPLOAD_BYTES } from "./mod.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(typeof createPredictionServer, "function");
 * assertEquals(DEFAULT_MAX_UPLOAD_BYTES, 256 * 1024 * 1024);
 * ```
 *
 * @module
 */
export {
  createPredictionServer,
  type PredictionServer,
  type PredictionServerLimits,
  type PredictionServerOptions,
} from "./create_prediction_server.ts";
export {
  loadServedRun,
  type LoadServedRunOptions,
  type RunDescription,
  type ServedRun,
  type SplitAccuracy,
} from "./load_served_run.ts";
export {
  type FilePrediction,
  predictFile,
  type PredictFileOptions,
  type RecordingSummary,
  type WindowPrediction,
} from "./predict_file.ts";
export {
  DEFAULT_MAX_UPLOAD_BYTES,
  type ReceivedUpload,
  receiveUpload,
  type ReceiveUploadOptions,
} from "./receive_upload.ts";
