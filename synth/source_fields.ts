/**
 * The signed sensor field of the generator's sources in one recording: what a
 * source adds to the 248 sensors per unit of its time course, at the subject's
 * own source geometry, the run's head position and the sensors' calibration
 * gains, exactly as `generateRecording` mixes it. Used to remove a group of
 * sources from recorded windows (source occlusion, `evaluation/source_occlusion.ts`).
 *
 * @module
 */
import { hashSeed, Random } from "../core/random.ts";
import { N_SENSORS, type TaskType } from "../core/types.ts";
import { dipolePattern, placeDipole } from "./_patterns.ts";
import { runHead } from "./_run_head.ts";
import { ANATOMY, randomDipole, type SourceName, subjectParams } from "./_subject.ts";

/** Which recording: the dataset's seed, the subject, the task type and the chunk. */
export interface RecordingId {
  /** Generator seed of the data. Default: 42. */
  seed?: number;
  /** Subject id (digits). */
  subject: string;
  /** Task type of the recording. */
  taskType: TaskType;
  /** Chunk number (from 1). */
  chunk: number;
}

/**
 * The field of each named source in one recording, peak 1 before the sensors' gains
 * (a dipole's two lobes keep their signs).
 *
 * @param names Source names, as in `CLASS_SOURCES` (e.g. `muL`).
 * @param recording The recording.
 * @returns One `Float64Array(248)` per name, in order.
 * @throws {RangeError} for an unknown source name.
 *
 * @example
 * ```ts
 * import { sourceFieldVectors } from "./source_fields.ts";
 * import { generateRecording } from "./generate_recording.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const [muL] = sourceFieldVectors(["muL"], { subject: "113922", taskType: "task_motor", chunk: 1 });
 * assertEquals(muL.length, 248);
 * assertEquals(Math.sign(Math.max(...muL)) * Math.sign(Math.min(...muL)), -1); // two lobes
 * ```
 */
export function sourceFieldVectors(names: readonly string[], recording: RecordingId): Float64Array[] {
  const { params, head } = geometry(recording);
  return names.map((name) => {
    if (!(name in ANATOMY)) {
      throw new RangeError(
        `Cannot compute a source field: unknown source "${name}"; expected one of ${Object.keys(ANATOMY).join(", ")}`,
      );
    }
    return withGains(dipolePattern(placeDipole(params.dipoles[name as SourceName], head)), params.sensorGain);
  });
}

/**
 * Fields of `count` dipoles at random places and depths (as the generator draws its
 * background sources: within 0.85 of the helmet's centre), seen in the same recording:
 * a control for {@linkcode sourceFieldVectors}. Seeded by the recording and `draw`.
 *
 * @param count Number of fields.
 * @param recording The recording (head position and sensor gains).
 * @param draw Index of the draw: the same index gives the same fields. Default: 0.
 * @returns `count` arrays of 248 values.
 *
 * @example
 * ```ts
 * import { randomFieldVectors } from "./source_fields.ts";
 * import { assertEquals, assertNotEquals } from "@std/assert";
 *
 * const id = { subject: "113922", taskType: "rest", chunk: 1 } as const;
 * assertEquals(randomFieldVectors(2, id, 0), randomFieldVectors(2, id, 0));
 * assertNotEquals(randomFieldVectors(2, id, 0), randomFieldVectors(2, id, 1));
 * ```
 */
export function randomFieldVectors(count: number, recording: RecordingId, draw = 0): Float64Array[] {
  const { params, head } = geometry(recording);
  const { seed = 42, subject, taskType, chunk } = recording;
  const random = new Random(hashSeed(seed, "occlusion", subject, taskType, chunk, draw, count));
  return Array.from(
    { length: count },
    () => withGains(dipolePattern(placeDipole(randomDipole(random, 0.85, 0.12, 0.3), head)), params.sensorGain),
  );
}

/** The subject's parameters and the run's head position. */
function geometry(recording: RecordingId) {
  const { seed = 42, subject, taskType, chunk } = recording;
  const params = subjectParams(seed, subject);
  const head = runHead(params.head, new Random(hashSeed(seed, "chunk", subject, taskType, chunk)));
  return { params, head };
}

function withGains(pattern: Float64Array, gains: Float64Array): Float64Array {
  for (let c = 0; c < N_SENSORS; c++) pattern[c] *= gains[c];
  return pattern;
}
