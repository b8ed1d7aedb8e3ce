/**
 * Evaluation: predictions of a model over a stream, metrics per window, recording and subject,
 * predictions.csv, and ensembles of predictions.
 *
 * @module
 */
export * from "./predict.ts";
export * from "./metrics.ts";
export * from "./predictions_csv.ts";
export * from "./ensemble_predictions.ts";
