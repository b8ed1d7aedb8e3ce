/**
 * The list of files a synthetic dataset consists of, resolved from a preset,
 * optional overrides and a selection of split folders.
 *
 * @module
 */
import { TASK_TYPES, type TaskType } from "../core/types.ts";
import { type DatasetLayout, SYNTH_PRESETS, type SynthPreset } from "./presets.ts";

/** Options of {@linkcode planDataset}; every layout field overrides the preset's. */
export interface PlanDatasetOptions extends Partial<DatasetLayout> {
  /** Layout to start from. Default `"full"`. */
  preset?: SynthPreset;
  /**
   * Split folders to include, e.g. `["Intra/train", "Cross/test1"]`. Default:
   * all of `Intra/train`, `Intra/test`, `Cross/train`, `Cross/test1`..`Cross/testN`.
   */
  splits?: readonly string[];
}

/** One file of a synthetic dataset. */
export interface PlannedFile {
  /** Split folder relative to the dataset root, e.g. `Cross/test1`. */
  split: string;
  /** File path relative to the dataset root, `/`-separated. */
  path: string;
  subject: string;
  taskType: TaskType;
  chunk: number;
  /** Name of the one dataset inside the file: `<taskType>_<subject>`. */
  datasetName: string;
}

/** A resolved dataset: its layout, the selected splits and their files. */
export interface DatasetPlan {
  preset: SynthPreset;
  layout: DatasetLayout;
  /** Selected split folders, in layout order. */
  splits: string[];
  files: PlannedFile[];
}

function checkCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`Cannot plan synthetic dataset: ${name} must be an integer >= 1, got ${value}`);
  }
}

function checkSubject(name: string, subject: string): void {
  if (typeof subject !== "string" || !/^\d+$/.test(subject)) {
    throw new RangeError(
      `Cannot plan synthetic dataset: ${name} must be digit strings, got ${JSON.stringify(subject)}`,
    );
  }
}

/**
 * Resolves the files of a synthetic dataset in the assignment's layout:
 * `Intra/train` and `Intra/test` (one subject), `Cross/train` (several
 * subjects) and one `Cross/testK` folder per unseen subject, each with every
 * task type; files `<taskType>_<subject>_<chunk>.h5`. Train chunks are
 * numbered from 1, test chunks continue after them (full preset: 9 and 10).
 *
 * @param options Preset, layout overrides, split selection.
 * @returns The layout and the planned files, in folder, subject, task, chunk order.
 * @throws {RangeError} for an unknown preset or split, a count or nTimes below 1,
 *   an sfreq below 100, a non-digit subject id, or a test subject that is also a train subject.
 *
 * @example
 * ```ts
 * import { planDataset } from "./plan_dataset.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const plan = planDataset({ preset: "full" });
 * assertEquals(plan.files.length, 128);
 * assertEquals(plan.files[0].path, "Intra/train/rest_105923_1.h5");
 * const test3 = planDataset({ splits: ["Cross/test3"] });
 * assertEquals(test3.files.map((f) => f.chunk), [9, 10, 9, 10, 9, 10, 9, 10]);
 * ```
 */
export function planDataset(options: PlanDatasetOptions = {}): DatasetPlan {
  const preset = options.preset ?? "full";
  if (!Object.hasOwn(SYNTH_PRESETS, preset)) {
    throw new RangeError(
      `Cannot plan synthetic dataset: preset must be one of ${Object.keys(SYNTH_PRESETS).join(", ")}, got ${
        JSON.stringify(preset)
      }`,
    );
  }
  const layout = resolveLayout(SYNTH_PRESETS[preset], options);
  checkLayout(layout);
  const groups = splitGroups(layout);
  const known = groups.map((g) => g.split);
  const wanted = options.splits ?? known;
  for (const split of wanted) {
    if (!known.includes(split)) {
      throw new RangeError(
        `Cannot plan synthetic dataset: split must be one of ${known.join(", ")}, got ${JSON.stringify(split)}`,
      );
    }
  }
  const files: PlannedFile[] = [];
  for (const { split, subjects, chunks } of groups) {
    if (!wanted.includes(split)) continue;
    for (const subject of subjects) {
      for (const taskType of TASK_TYPES) {
        for (const chunk of chunks) {
          const datasetName = `${taskType}_${subject}`;
          files.push({ split, path: `${split}/${datasetName}_${chunk}.h5`, subject, taskType, chunk, datasetName });
        }
      }
    }
  }
  return { preset, layout, splits: known.filter((s) => wanted.includes(s)), files };
}

/** The preset's layout with the options' overrides (subject lists copied). */
function resolveLayout(base: DatasetLayout, options: PlanDatasetOptions): DatasetLayout {
  const pick = <K extends keyof DatasetLayout>(key: K) => (options[key] ?? base[key]) as DatasetLayout[K];
  return {
    nTimes: pick("nTimes"),
    sfreq: pick("sfreq"),
    intraTrainChunks: pick("intraTrainChunks"),
    intraTestChunks: pick("intraTestChunks"),
    crossTrainChunks: pick("crossTrainChunks"),
    crossTestChunks: pick("crossTestChunks"),
    intraSubject: pick("intraSubject"),
    crossTrainSubjects: [...pick("crossTrainSubjects")],
    crossTestSubjects: [...pick("crossTestSubjects")],
  };
}

/** Throws a RangeError for a count or nTimes below 1, an sfreq below 100, a bad subject id or a seen test subject. */
function checkLayout(layout: DatasetLayout): void {
  checkCount("nTimes", layout.nTimes);
  if (!Number.isFinite(layout.sfreq) || layout.sfreq < 100) {
    throw new RangeError(`Cannot plan synthetic dataset: sfreq must be at least 100 Hz, got ${layout.sfreq}`);
  }
  checkCount("intraTrainChunks", layout.intraTrainChunks);
  checkCount("intraTestChunks", layout.intraTestChunks);
  checkCount("crossTrainChunks", layout.crossTrainChunks);
  checkCount("crossTestChunks", layout.crossTestChunks);
  checkSubject("intraSubject", layout.intraSubject);
  if (layout.crossTrainSubjects.length < 1 || layout.crossTestSubjects.length < 1) {
    throw new RangeError(
      `Cannot plan synthetic dataset: expected at least one cross train and one cross test subject, got ${layout.crossTrainSubjects.length} and ${layout.crossTestSubjects.length}`,
    );
  }
  for (const s of layout.crossTrainSubjects) checkSubject("crossTrainSubjects", s);
  for (const s of layout.crossTestSubjects) checkSubject("crossTestSubjects", s);
  const seen = layout.crossTestSubjects.filter((s) => layout.crossTrainSubjects.includes(s));
  if (seen.length > 0) {
    throw new RangeError(
      `Cannot plan synthetic dataset: cross test subjects must be unseen, got ${seen.join(", ")} in train too`,
    );
  }
}

/** Every split folder of a layout with its subjects and chunk numbers (test chunks continue after train chunks). */
function splitGroups(layout: DatasetLayout): Array<{ split: string; subjects: readonly string[]; chunks: number[] }> {
  const groups: Array<{ split: string; subjects: readonly string[]; chunks: number[] }> = [];
  const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
  groups.push({ split: "Intra/train", subjects: [layout.intraSubject], chunks: range(1, layout.intraTrainChunks) });
  groups.push({
    split: "Intra/test",
    subjects: [layout.intraSubject],
    chunks: range(layout.intraTrainChunks + 1, layout.intraTestChunks),
  });
  groups.push({ split: "Cross/train", subjects: layout.crossTrainSubjects, chunks: range(1, layout.crossTrainChunks) });
  layout.crossTestSubjects.forEach((subject, i) =>
    groups.push({
      split: `Cross/test${i + 1}`,
      subjects: [subject],
      chunks: range(layout.crossTrainChunks + 1, layout.crossTestChunks),
    })
  );
  return groups;
}
