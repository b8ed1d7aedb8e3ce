/**
 * What `explainRun` differentiates for each kind of model input: the windows it
 * streams, their size, how the attributions are split by band, and the score.
 *
 * @module
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { RAW_SFREQ } from "../core/types.ts";
import { DEFAULT_BANDS } from "../operators/band_power.ts";
import { planSensorGrid } from "../operators/grid_sensors.ts";
import type { PreprocessStep } from "../pipeline/preprocess.ts";
import { MODELS } from "../models/registry.ts";
import type { RunConfig } from "../training/run_config.ts";
import { type BandSpectrum, bandSpectrum } from "../evaluation/band_spectrum.ts";
import { griddedScore } from "../evaluation/gridded_score.ts";
import { type ClassScore, classScore } from "../evaluation/saliency.ts";

/** The windows saliency is taken on and how. */
export interface ExplainInput {
  /** The model's input kind. */
  kind: "channels" | "grid" | "bands";
  /** Preprocessing of the windows differentiated: the run's, less a final `gridSensors` for grid models. */
  steps: PreprocessStep[];
  /** Sensors (rows of a window). */
  nChans: number;
  /** Length of a window's last axis: samples, or bands. */
  nLast: number;
  /** How attributions are split by band. */
  bands: BandSpectrum | "last-axis";
  /** Band names, in the order of the split. */
  bandNames: string[];
  /** The score of sensor windows (a grid model's gridding composed in). */
  score(model: tfl.LayersModel): ClassScore;
}

/**
 * The explain input of a run: sensor windows `[nChans, nTimes]` for every model. Grid models
 * (`vivit`, `cascade`) get the windows before their `gridSensors` step and the gridding composed
 * into the score; band-power models keep their `[nChans, nBands]` windows.
 *
 * @param config The run's configuration.
 * @param model The run's model.
 * @returns The input.
 * @throws {RangeError} for a grid model whose `gridSensors` step is not the last one.
 */
export function explainInput(config: RunConfig, model: tfl.LayersModel): ExplainInput {
  const kind = MODELS[config.model]?.input ?? "channels";
  const shape = model.inputs[0].shape;
  if (kind === "bands") {
    const step = config.preprocess.find((s) => s.op === "bandPower");
    const bands = (step?.op === "bandPower" ? step.bands : undefined) ?? DEFAULT_BANDS;
    return {
      kind,
      steps: config.preprocess,
      nChans: shape[1]!,
      nLast: shape[2]!,
      bands: "last-axis",
      bandNames: bands.map((b) => b.name),
      score: classScore,
    };
  }
  const last = config.preprocess.at(-1);
  if (kind === "grid" && last?.op !== "gridSensors") {
    throw new RangeError(
      `Cannot explain a ${config.model} run: its preprocessing must end with gridSensors, got ${
        config.preprocess.map((s) => s.op).join(", ")
      }`,
    );
  }
  const grid = last?.op === "gridSensors"
    ? planSensorGrid({ rows: last.rows, cols: last.cols, fill: last.fill })
    : undefined;
  const nChans = grid ? grid.cellOfSensor.length : shape[1]!;
  const nTimes = grid ? shape[1]! : shape[2]!;
  const resample = config.preprocess.filter((s) => s.op === "resample").at(-1);
  const window = config.preprocess.find((s) => s.op === "window");
  const sfreq = resample?.op === "resample"
    ? resample.toHz
    : (window?.op === "window" ? nTimes / window.windowSeconds : RAW_SFREQ);
  const spectrum = bandSpectrum(nTimes, sfreq);
  return {
    kind,
    steps: grid ? config.preprocess.slice(0, -1) : config.preprocess,
    nChans,
    nLast: nTimes,
    bands: spectrum,
    bandNames: spectrum.names,
    score: (m) => (grid ? griddedScore(classScore(m), grid) : classScore(m)),
  };
}
