/**
 * Reports: the self-contained report.html of a run, and its charts. Every chart is a Vega-Lite
 * spec (the `...Spec` builders) rendered headless to inline SVG by {@linkcode renderVegaLite};
 * the page embeds each spec as JSON, so a chart opens in any Vega tool, and a script can render
 * its own specs with the reports' look.
 *
 * @module
 */
export * from "./report.ts";
export { type ChartFrame, renderChart, renderVegaLite, type VegaLiteSpec } from "./render_vega_lite.ts";
export { accuracyGaugeSpec } from "./accuracy_gauge.ts";
export { confusionSpec } from "./confusion_plot.ts";
export { learningCurveSpec } from "./learning_curve_plot.ts";
export { recordingAccuracySpec } from "./recording_accuracy_plot.ts";
export { subjectAccuracySpec } from "./subject_accuracy_plot.ts";
export { timingSpec } from "./timing_plot.ts";
export * from "./topomap.ts";
export * from "./inside_model.ts";
export * from "./embedding_plot.ts";
