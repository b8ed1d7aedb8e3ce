/**
 * Where the generator puts each class's own sources, as fields over the 248
 * sensors: the ground truth that a saliency map of a model trained on the
 * generated data can be compared with.
 *
 * @module
 */
import { type Label, LABELS, N_SENSORS } from "../core/types.ts";
import { dipolePattern, placeDipole } from "./_patterns.ts";
import { ANATOMY, SOURCE_AMPLITUDE, type SourceName, subjectParams } from "./_subject.ts";

/**
 * The sources whose activity differs by class (see `synth/README.md`), grouped by
 * the frequency band their activity falls in:
 * - `rest`: posterior alpha, strongest at rest (x1 against x0.5-0.6 in the tasks);
 * - `math`: left and right auditory cortex, speech following at the syllable rate (4-6 Hz,
 *   theta) and auditory evoked fields (delta-theta);
 * - `memory`: frontal-midline theta (x1.1, rising after each picture) and the visual evoked
 *   fields of the pictures (occipital, fusiform, parietal; slow waves, listed under delta);
 * - `motor`: movement-evoked fields over the hand areas and the vertex (delta), mu
 *   (alpha) and beta suppression over the hand areas.
 */
export const CLASS_SOURCES: Readonly<Record<Label, Readonly<Record<string, readonly SourceName[]>>>> = {
  rest: { alpha: ["alphaL", "alphaR", "alphaP"] },
  math: { delta: ["audL", "audR"], theta: ["audL", "audR"] },
  memory: { delta: ["v1", "fusL", "fusR", "parietal"], theta: ["thetaFM"] },
  motor: { delta: ["mefL", "mefR", "mefFoot"], alpha: ["muL", "muR"], beta: ["betaL", "betaR"] },
};

/** Options of {@linkcode classSourceFields}. */
export interface ClassSourceFieldsOptions {
  /** Generator seed of the data. Default: 42 (the default dataset). */
  seed?: number;
  /**
   * A subject: its own source positions, orientations, gains and head placement.
   * Default: none, the nominal geometry (`ANATOMY`) with the median amplitudes.
   */
  subject?: string;
}

/**
 * The field of each class's sources: per class, `all` (every source of the class)
 * and one entry per band of {@linkcode CLASS_SOURCES}, each the sum over the
 * sources of `amplitude * |pattern|` at the 248 sensors (amplitude in Tesla at
 * the source's strongest sensor, times the subject's gain). A magnitude, as
 * saliency maps are; the sign of a dipole's two lobes is dropped.
 *
 * @param options Seed and subject.
 * @returns `{class: {all | band: 248 values}}`.
 *
 * @example
 * ```ts
 * import { classSourceFields } from "./class_sources.ts";
 * import { magnes3600Layout } from "../core/layout.ts";
 * import { assert } from "@std/assert";
 *
 * const rest = classSourceFields().rest.alpha;
 * const y = magnes3600Layout().y;
 * const strongest = rest.indexOf(Math.max(...rest));
 * assert(y[strongest] < 0); // posterior alpha: the back half of the helmet
 * ```
 */
export function classSourceFields(options: ClassSourceFieldsOptions = {}): Record<Label, Record<string, number[]>> {
  const params = options.subject === undefined ? undefined : subjectParams(options.seed ?? 42, options.subject);
  const fieldOf = (names: readonly SourceName[]) => {
    const field = new Array<number>(N_SENSORS).fill(0);
    for (const name of names) {
      const dipole = params ? placeDipole(params.dipoles[name], params.head) : ANATOMY[name];
      const amplitude = SOURCE_AMPLITUDE[name] * (params?.gains[name] ?? 1);
      const pattern = dipolePattern(dipole);
      for (let c = 0; c < N_SENSORS; c++) field[c] += amplitude * Math.abs(pattern[c]);
    }
    return field;
  };
  const fields = {} as Record<Label, Record<string, number[]>>;
  for (const label of LABELS) {
    const groups = CLASS_SOURCES[label];
    const all = [...new Set(Object.values(groups).flat())];
    fields[label] = {
      all: fieldOf(all),
      ...Object.fromEntries(Object.entries(groups).map(([b, n]) => [b, fieldOf(n)])),
    };
  }
  return fields;
}
