/**
 * The `explain/` folder of a run: what `explain.json` holds, and reading it
 * back with its topomaps for the report.
 *
 * @module
 */
import { join } from "node:path";
import type { InsideModel } from "../reports/inside_model.ts";
import type { SourceMatch } from "../evaluation/source_match.ts";
import type { SourceOcclusion } from "../evaluation/source_occlusion.ts";

/** The content of `explain/explain.json`. */
export interface Explanation {
  /** Attribution method of `saliency.json` and the class topomaps. */
  method: string;
  /** Split key explained, e.g. `test3`. */
  split: string;
  /** Riemann steps of integrated gradients. */
  steps: number;
  /** The baseline of integrated gradients, in words. */
  baseline: string;
  /** Score differentiated: `logit` or `log-probability`. */
  score: string;
  /** Seconds the explanation took. */
  seconds: number;
  /** Per class: windows explained and its topomap file. */
  classes: { name: string; windows: number; file: string }[];
  /** Spatial filters drawn, each with its topomap file (none for models without). */
  filters: { name: string; file: string }[];
  /** Files written besides `explain.json`. */
  files: string[];
  /**
   * For band-power models: integrated gradients per band (summed over sensors, averaged over
   * the class's windows), with the band names. Absent for sensor-window models.
   */
  perBand?: { bands: string[]; perClass: Record<string, number[]> };
  /**
   * Saliency per frequency band (`saliency.json`'s `perBand`): the band names and, per class,
   * each band's share of the class's band saliency (summed over sensors) and its topomap files
   * (none when the sensors cannot be drawn). Absent in explanations written before it existed.
   */
  bands?: { names: string[]; classes: { name: string; shares: number[]; files: string[] }[] };
  /**
   * On generated data: Pearson r of each class's saliency with the field of the sources the
   * generator put in that class (`evaluation/source_match.ts`), at the split's subject.
   */
  sourceMatch?: SourceMatch & { seed: number; subject: string };
  /**
   * On generated data: each class's mean own-class probability and recall with its sources
   * projected out of the windows, and with as many random fields projected out
   * (`evaluation/source_occlusion.ts`).
   */
  sourceOcclusion?: SourceOcclusion & { seed: number };
}

/**
 * Reads `RUN_DIR/explain/explain.json` and its topomaps for the report.
 *
 * @param runDir A run folder.
 * @returns The explanation with its SVGs, or undefined when the run has not been explained.
 */
export async function readExplanation(runDir: string): Promise<InsideModel | undefined> {
  const dir = join(runDir, "explain");
  const text = await Deno.readTextFile(join(dir, "explain.json")).catch(() => undefined);
  if (text === undefined) return undefined;
  const explanation: Explanation = JSON.parse(text);
  const svgOf = (file: string) => Deno.readTextFile(join(dir, file)).catch(() => "");
  return {
    method: explanation.method,
    split: explanation.split,
    steps: explanation.steps,
    baseline: explanation.baseline,
    score: explanation.score,
    classes: await Promise.all(
      explanation.classes.map(async (c) => ({ name: c.name, windows: c.windows, svg: await svgOf(c.file) })),
    ),
    filters: await Promise.all(explanation.filters.map(async (f) => ({ name: f.name, svg: await svgOf(f.file) }))),
    ...(explanation.bands === undefined ? {} : {
      bands: {
        names: explanation.bands.names,
        classes: await Promise.all(explanation.bands.classes.map(async (c) => ({
          name: c.name,
          shares: c.shares,
          svgs: await Promise.all(c.files.map(svgOf)),
        }))),
      },
    }),
    ...(explanation.sourceMatch === undefined ? {} : { sourceMatch: explanation.sourceMatch }),
    ...(explanation.sourceOcclusion === undefined ? {} : { sourceOcclusion: explanation.sourceOcclusion }),
  };
}
