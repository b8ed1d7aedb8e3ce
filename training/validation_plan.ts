/**
 * The roles of a run's data, and which recordings choose its best epoch.
 *
 * Every split a run evaluates has one role:
 * - `train`: what the weights are fitted on;
 * - `validation`: what chooses anything (early stopping, the best epoch, the trials of a
 *   search); a folder used so is a validation split even when it is called `Cross/test1`;
 * - `test`: never used to choose anything; only test splits give headline numbers.
 *
 * Where validation comes from is the run's `validation` (the `--validation` flag):
 * - `"holdout"`: `holdoutChunks` recordings per subject and class of the training folders
 *   (a seeded choice) are held out of training and validate (the default of both tasks);
 * - `"loso"` or `"loso:SUBJECT"`: leave one training subject out: every recording of that
 *   subject (chosen by the seed, or named) validates, the others train. The final model is
 *   the best epoch of that run, trained without the left-out subject; it is not retrained
 *   on all subjects;
 * - `"fold:I/K"`: fold I (from 0) of K over the chunks of every subject and class of the
 *   training folders (training/chunk_folds.ts; `deno task cv-intra` runs all K and pools them);
 * - `"splits"`: the folders of `validationSplits` validate (e.g. `Cross/test1,Cross/test2`,
 *   the seed project's protocol, which leaves test3 as the only untouched test split).
 *
 * A `config.json` written before `validation` existed says it with `validationSplits` alone:
 * folders listed mean `"splits"`, none mean `"holdout"` (see {@linkcode validationOf}).
 *
 * @module
 */
import { hashSeed, Random } from "../core/random.ts";
import { splitKey } from "../core/_split_key.ts";
import type { Recording } from "../core/types.ts";
import { chunkFold, parseFold } from "./chunk_folds.ts";

/** What a split is used for: fitting, choosing, or only reporting. */
export type SplitRole = "train" | "validation" | "test";

/** The split key under which held-out chunks or a left-out subject are evaluated. */
export const VALIDATION_KEY = "validation";

/** Where a run's validation comes from, resolved (see the module doc). */
export type ValidationSpec =
  | { kind: "holdout"; chunks: number }
  | { kind: "loso"; subject?: string }
  | { kind: "fold"; fold: number; folds: number }
  | { kind: "splits"; splits: string[] };

/** The fields of a run configuration that say where validation comes from. */
export interface ValidationFields {
  /** Folders to train on. */
  trainSplits: readonly string[];
  /** `"holdout"`, `"loso"`, `"loso:SUBJECT"` or `"splits"`; absent in configs older than the field. */
  validation?: string;
  /** The folders of `"splits"`. */
  validationSplits: readonly string[];
  /** Recordings per subject and class held out by `"holdout"` (0: no validation at all). */
  holdoutChunks: number;
  /** Folders evaluated with the best model. */
  testSplits: readonly string[];
  /** Seed of the held-out choice and of the left-out subject. */
  seed: number;
}

/**
 * Parses the value of `--validation`: `holdout`, `loso`, `loso:SUBJECT` or a comma list of
 * folders, into the config fields it sets.
 *
 * @param text The flag's value.
 * @returns `validation`, and `validationSplits` (empty unless folders were listed).
 * @throws {RangeError} for an empty value or an empty subject.
 *
 * @example
 * ```ts
 * import { parseValidationFlag } from "./validation_plan.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(parseValidationFlag("loso:104"), { validation: "loso:104", validationSplits: [] });
 * assertEquals(parseValidationFlag("Cross/test1,Cross/test2"), {
 *   validation: "splits",
 *   validationSplits: ["Cross/test1", "Cross/test2"],
 * });
 * ```
 */
export function parseValidationFlag(text: string): { validation: string; validationSplits: string[] } {
  const value = text.trim();
  if (value === "holdout" || value === "loso") return { validation: value, validationSplits: [] };
  if (parseFold(value)) return { validation: value, validationSplits: [] };
  if (value.startsWith("loso:")) {
    if (value.slice(5).trim() === "") throw new RangeError(`--validation loso:SUBJECT needs a subject, got ${text}`);
    return { validation: `loso:${value.slice(5).trim()}`, validationSplits: [] };
  }
  const splits = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (splits.length === 0) {
    throw new RangeError(`--validation must be holdout, loso, loso:SUBJECT or a comma list of folders, got "${text}"`);
  }
  return { validation: "splits", validationSplits: splits };
}

/**
 * Throws unless `value` is a `validation` a config can hold: `"holdout"`, `"loso"`,
 * `"loso:SUBJECT"` or `"splits"`.
 *
 * @param value The value.
 * @throws {RangeError} naming the value and the allowed ones.
 *
 * @example
 * ```ts
 * import { checkValidationValue } from "./validation_plan.ts";
 * import { assertThrows } from "@std/assert";
 *
 * checkValidationValue("loso:104");
 * assertThrows(() => checkValidationValue("Cross/test1"), RangeError, "splits");
 * ```
 */
export function checkValidationValue(value: string): void {
  if (value === "holdout" || value === "loso" || value === "splits" || /^loso:.+/.test(value)) return;
  if (parseFold(value)) return;
  throw new RangeError(
    `validation must be holdout, loso, loso:SUBJECT or splits (folders in validationSplits), got ${value}`,
  );
}

/**
 * The validation of a configuration, resolved; old configs without `validation` included.
 *
 * @param config The run's validation fields.
 * @returns The resolved validation.
 * @throws {RangeError} for an unknown `validation`, `"splits"` without folders, or folders
 *   listed beside `"holdout"` or `"loso"` (which would be ignored).
 *
 * @example
 * ```ts
 * import { validationOf } from "./validation_plan.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const base = { trainSplits: ["Cross/train"], testSplits: [], holdoutChunks: 1, seed: 1 };
 * assertEquals(validationOf({ ...base, validation: "holdout", validationSplits: [] }), { kind: "holdout", chunks: 1 });
 * // A config.json written before the field: folders listed mean "splits".
 * assertEquals(validationOf({ ...base, validationSplits: ["Cross/test1"] }), { kind: "splits", splits: ["Cross/test1"] });
 * ```
 */
export function validationOf(config: ValidationFields): ValidationSpec {
  const folders = [...(config.validationSplits ?? [])];
  const validation = config.validation ?? (folders.length > 0 ? "splits" : "holdout");
  if (validation === "splits") {
    if (folders.length === 0) throw new RangeError(`validation "splits" needs folders in validationSplits, got none`);
    return { kind: "splits", splits: folders };
  }
  if (folders.length > 0) {
    throw new RangeError(
      `validation "${validation}" takes no validationSplits, got ${folders.join(", ")} ` +
        `(to validate on folders, set validation to "splits")`,
    );
  }
  if (validation === "holdout") return { kind: "holdout", chunks: config.holdoutChunks };
  if (validation === "loso") return { kind: "loso" };
  const fold = parseFold(validation);
  if (fold) return { kind: "fold", ...fold };
  if (validation.startsWith("loso:") && validation.length > 5) return { kind: "loso", subject: validation.slice(5) };
  throw new RangeError(`validation must be holdout, loso, loso:SUBJECT or splits, got ${validation}`);
}

/**
 * One line for a reader: where validation comes from, e.g. `held-out chunks of the training
 * subjects (1 per subject and class)`.
 *
 * @param config The run's validation fields.
 * @returns The description.
 *
 * @example
 * ```ts
 * import { describeValidation } from "./validation_plan.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const base = { trainSplits: ["Cross/train"], testSplits: [], holdoutChunks: 1, seed: 1 };
 * assertEquals(describeValidation({ ...base, validation: "loso:104", validationSplits: [] }), "leave-one-subject-out: training subject 104");
 * ```
 */
export function describeValidation(config: ValidationFields): string {
  const spec = validationOf(config);
  switch (spec.kind) {
    case "holdout":
      return spec.chunks > 0
        ? `held-out chunks of the training subjects (${spec.chunks} per subject and class)`
        : "none (no early stopping)";
    case "loso":
      return `leave-one-subject-out: training subject ${spec.subject ?? "chosen by the seed"}`;
    case "fold":
      return `fold ${spec.fold} of ${spec.folds} over the chunks of the training subjects (chunk_folds.ts)`;
    case "splits":
      return `the folders ${spec.splits.join(", ")}`;
  }
}

/**
 * Why `chunks` recordings per subject and class cannot be held out of `group` (one subject and
 * class), and which option to change: a dataset with one chunk per class (the small synthetic
 * preset) leaves none to train on.
 */
function holdOutMessage(chunks: number, group: readonly Recording[]): string {
  const { subject, label, split } = group[0];
  return `Cannot hold out ${chunks} recording${chunks === 1 ? "" : "s"} per subject and class for validation: ` +
    `${split}, subject ${subject}, ${label} has ${group.length}, which leaves none to train on. ` +
    `Set holdoutChunks to ${
      Math.max(0, group.length - 1)
    } (0: no validation, the last epoch is kept) or give validationSplits, ` +
    `in a --config file (e.g. {"holdoutChunks": 0}), or use --validation loso (several training subjects), ` +
    `or data with more chunks per class (deno task synth --intra-train-chunks 2)`;
}

/**
 * Splits training recordings into train and hold-out validation: for every
 * subject and class, `chunks` recordings (seeded choice) go to validation.
 *
 * @param recordings Training recordings.
 * @param chunks Recordings per subject and class to hold out.
 * @param seed Seed of the choice.
 * @returns The two lists.
 * @throws {RangeError} when a subject and class has no more than `chunks` recordings.
 */
export function holdOut(
  recordings: readonly Recording[],
  chunks: number,
  seed: number,
): { train: Recording[]; validation: Recording[] } {
  const groups = new Map<string, Recording[]>();
  for (const recording of recordings) {
    const key = `${recording.subject}/${recording.label}`;
    groups.set(key, [...(groups.get(key) ?? []), recording]);
  }
  const random = new Random(hashSeed(seed, "holdout"));
  const validation = new Set<Recording>();
  for (const group of groups.values()) {
    if (group.length <= chunks) throw new RangeError(holdOutMessage(chunks, group));
    for (const recording of random.shuffle([...group]).slice(0, chunks)) validation.add(recording);
  }
  return {
    train: recordings.filter((r) => !validation.has(r)),
    validation: recordings.filter((r) => validation.has(r)),
  };
}

/**
 * Leaves one training subject out: its recordings validate, the others' train.
 *
 * @param recordings Training recordings.
 * @param seed Seed of the choice among the subjects (sorted) when `subject` is not given.
 * @param subject The subject to leave out.
 * @returns The two lists and the subject left out.
 * @throws {RangeError} with fewer than two training subjects, or for a subject not among them.
 *
 * @example
 * ```ts
 * import { leaveSubjectOut } from "./validation_plan.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const r = (subject: string) => ({ subject }) as never;
 * const { train, validation, subject } = leaveSubjectOut([r("1"), r("2"), r("1")], 0, "2");
 * assertEquals([train.length, validation.length, subject], [2, 1, "2"]);
 * ```
 */
export function leaveSubjectOut(
  recordings: readonly Recording[],
  seed: number,
  subject?: string,
): { train: Recording[]; validation: Recording[]; subject: string } {
  const subjects = [...new Set(recordings.map((r) => r.subject))].sort();
  if (subjects.length < 2) {
    throw new RangeError(
      `Cannot leave one subject out: the training folders hold ${subjects.length} subject(s) (${
        subjects.join(", ")
      }); use --validation holdout`,
    );
  }
  if (subject !== undefined && !subjects.includes(subject)) {
    throw new RangeError(`Cannot leave subject ${subject} out: the training subjects are ${subjects.join(", ")}`);
  }
  const left = subject ?? subjects[new Random(hashSeed(seed, "loso")).int(subjects.length)];
  return {
    train: recordings.filter((r) => r.subject !== left),
    validation: recordings.filter((r) => r.subject === left),
    subject: left,
  };
}

/** Which recordings train and validate a run, and the role of every split key it evaluates. */
export interface SplitPlan {
  /** Recordings the weights are fitted on. */
  train: Recording[];
  /** Recordings that choose the best epoch (empty: no validation). */
  validation: Recording[];
  /**
   * Split keys the validation is evaluated under after training, with their recordings:
   * `validation` for held-out chunks or a left-out subject, a folder's key (`test1`) for a folder.
   */
  validationParts: Array<[string, Recording[]]>;
  /** Test split keys with their recordings (folders of `testSplits` that do not validate). */
  testParts: Array<[string, Recording[]]>;
  /** Role of every key: `train`, the validation keys, the test keys. */
  roles: Record<string, SplitRole>;
  /** The subject left out by `loso`. */
  leftOutSubject?: string;
}

/**
 * The folders a run reads: training, validation (`"splits"` only) and test folders, once each.
 *
 * @param config The run's validation fields.
 * @returns The folders, in that order.
 *
 * @example
 * ```ts
 * import { foldersOf } from "./validation_plan.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const config = { trainSplits: ["Cross/train"], validation: "holdout", validationSplits: [], holdoutChunks: 1,
 *   testSplits: ["Cross/test1"], seed: 1 };
 * assertEquals(foldersOf(config), ["Cross/train", "Cross/test1"]);
 * ```
 */
export function foldersOf(config: ValidationFields): string[] {
  const spec = validationOf(config);
  return [...new Set([...config.trainSplits, ...(spec.kind === "splits" ? spec.splits : []), ...config.testSplits])];
}

/**
 * Plans which recordings train, validate and test a run (see the module doc).
 *
 * @param config The run's validation fields.
 * @param bySplit Recordings per folder (at least those of {@linkcode foldersOf}).
 * @returns The plan, with the role of every split key.
 * @throws {RangeError} when validation cannot be drawn from the training data.
 *
 * @example
 * ```ts
 * import { planSplits } from "./validation_plan.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const r = (split: string, subject: string, label: string, chunk: number) => ({ split, subject, label, chunk }) as never;
 * const bySplit = new Map([
 *   ["Cross/train", [r("Cross/train", "1", "rest", 1), r("Cross/train", "1", "rest", 2)]],
 *   ["Cross/test1", [r("Cross/test1", "9", "rest", 1)]],
 * ]);
 * const config = { trainSplits: ["Cross/train"], validation: "holdout", validationSplits: [], holdoutChunks: 1,
 *   testSplits: ["Cross/test1"], seed: 1 };
 * const plan = planSplits(config, bySplit);
 * assertEquals([plan.train.length, plan.validation.length], [1, 1]);
 * assertEquals(plan.roles, { train: "train", validation: "validation", test1: "test" });
 * ```
 */
export function planSplits(config: ValidationFields, bySplit: ReadonlyMap<string, readonly Recording[]>): SplitPlan {
  const spec = validationOf(config);
  const read = (split: string) => [...(bySplit.get(split) ?? [])];
  const all = config.trainSplits.flatMap(read);
  let train = all, validation: Recording[] = [], leftOutSubject: string | undefined;
  let validationParts: Array<[string, Recording[]]> = [];
  if (spec.kind === "splits") {
    validationParts = spec.splits.map((split) => [splitKey(split), read(split)]);
    validation = validationParts.flatMap(([, recordings]) => recordings);
  } else if (spec.kind === "loso") {
    ({ train, validation, subject: leftOutSubject } = leaveSubjectOut(all, config.seed, spec.subject));
    validationParts = [[VALIDATION_KEY, validation]];
  } else if (spec.kind === "fold") {
    ({ train, validation } = chunkFold(all, spec.fold, spec.folds));
    validationParts = [[VALIDATION_KEY, validation]];
  } else if (spec.chunks > 0) {
    ({ train, validation } = holdOut(all, spec.chunks, config.seed));
    validationParts = [[VALIDATION_KEY, validation]];
  }
  const validationKeys = new Set(validationParts.map(([key]) => key));
  const testParts = config.testSplits
    .map((split): [string, Recording[]] => [splitKey(split), read(split)])
    .filter(([key]) => !validationKeys.has(key));
  const roles: Record<string, SplitRole> = { train: "train" };
  for (const [key] of validationParts) roles[key] = "validation";
  for (const [key] of testParts) roles[key] = "test";
  return { train, validation, validationParts, testParts, roles, ...(leftOutSubject ? { leftOutSubject } : {}) };
}

/**
 * The role of a split key in a finished run: the role written in `results.json`, or, for
 * results written before roles existed, the role its configuration implies (a folder of
 * `validationSplits` validated; `train` trained; anything else was tested).
 *
 * @param key Split key in `results.splits`.
 * @param written The `role` the results hold for it, if any.
 * @param config The run's validation fields, if known.
 * @returns The role.
 *
 * @example
 * ```ts
 * import { roleOfSplit } from "./validation_plan.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const old = { validationSplits: ["Cross/test1", "Cross/test2"] };
 * assertEquals(["train", "test1", "test3"].map((k) => roleOfSplit(k, undefined, old)), ["train", "validation", "test"]);
 * assertEquals(roleOfSplit("test1", "test", old), "test");
 * ```
 */
export function roleOfSplit(
  key: string,
  written: SplitRole | undefined,
  config?: { validationSplits?: readonly string[] },
): SplitRole {
  if (written === "train" || written === "validation" || written === "test") return written;
  if (key === "train") return "train";
  if (key === VALIDATION_KEY) return "validation";
  if ((config?.validationSplits ?? []).some((split) => splitKey(split) === key || split === key)) return "validation";
  return "test";
}
