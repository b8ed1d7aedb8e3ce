/**
 * Reports: the self-contained report.html of a run and its plots.
 *
 * @module
 */
export * from "./report.ts";
