/**
 * One synthetic MEG recording: brain sources, artefacts and sensor noise on
 * the Magnes 3600 WH layout, in Tesla. See `synth/README.md` for the model.
 *
 * @module
 */
import { hashSeed, Random } from "../core/random.ts";
import { N_SENSORS, RAW_SFREQ, TASK_TYPES, type TaskType } from "../core/types.ts";
import { taskTimeline, type Timeline } from "./_events.ts";
import { GaussianStream } from "./_gauss.ts";
import { runHead } from "./_run_head.ts";
import { SourceMixer } from "./_mix.ts";
import { type Dipole, dipolePattern, type HeadPlacement, placeDipole, polynomialPattern } from "./_patterns.ts";
import {
  addBump,
  addKernel,
  addSmoothBox,
  type Component,
  type Kernel,
  logNormalEnvelope,
  lowpassNoise,
  multiplyInPlace,
  pinkNoise,
  renderKernel,
  resonator,
} from "./_signals.ts";
import { SOURCE_AMPLITUDE, type SourceName, type SubjectParams, subjectParams } from "./_subject.ts";

/** Options of {@linkcode generateRecording}. */
export interface GenerateRecordingOptions {
  /** Dataset seed; with subject, task type and chunk it fixes every value. Default `42`. */
  seed?: number;
  /** Chunk number, 1 or more (different chunks are different stretches of the task). Default `1`. */
  chunk?: number;
  /** Samples per channel. Default `35624` (the length of the assignment files). */
  nTimes?: number;
  /** Sampling rate in Hz, at least 100. Default `2034` ({@linkcode RAW_SFREQ}). */
  sfreq?: number;
  /** Array to write into, length `248 * nTimes` (reused to spare allocations). Default: a new array. */
  out?: Float64Array;
}

/** Relative strength of the ongoing rhythms per task type (1 = the subject's resting level). */
const RHYTHM_FACTORS: Readonly<
  Record<TaskType, { alpha: number; mu: number; beta: number; theta: number; tau: number }>
> = {
  rest: { alpha: 1.0, mu: 1.0, beta: 1.0, theta: 0.3, tau: 1.0 },
  task_story_math: { alpha: 0.55, mu: 0.9, beta: 0.95, theta: 0.8, tau: 0.6 },
  task_working_memory: { alpha: 0.5, mu: 0.85, beta: 0.9, theta: 1.1, tau: 0.8 },
  task_motor: { alpha: 0.6, mu: 0.9, beta: 0.95, theta: 0.35, tau: 0.9 },
};

/** Evoked waveforms: [relative amplitude, latency s, sd s]. */
const WAVEFORMS = {
  auditory: [[0.25, 0.05, 0.012], [1, 0.1, 0.022], [-0.55, 0.19, 0.035]],
  v1: [[-0.5, 0.075, 0.012], [1, 0.105, 0.02], [-0.4, 0.15, 0.03]],
  fusiform: [[1, 0.17, 0.025], [-0.3, 0.25, 0.04]],
  parietal: [[1, 0.4, 0.1]],
  movement: [[-0.35, -0.1, 0.2], [1, 0.035, 0.016], [-0.6, 0.1, 0.03], [0.3, 0.25, 0.08]],
  heartbeat: [[0.1, -0.18, 0.025], [-0.12, -0.025, 0.008], [1, 0, 0.01], [-0.3, 0.025, 0.01], [0.3, 0.26, 0.05]],
  blink: [[1, 0.15, 0.06], [-0.15, 0.4, 0.1]],
} as const satisfies Record<string, readonly Component[]>;

const LINE_HZ = 60;
const MAX_SOURCES = 64;
const WHAT = "Cannot generate recording";

function shifted(components: readonly Component[], seconds: number): Component[] {
  return components.map(([a, latency, sd]) => [a, latency + seconds, sd] as const);
}

function check(condition: boolean, error: () => Error): void {
  if (!condition) throw error();
}

/**
 * Generates one synthetic recording of `subject` performing `taskType`,
 * channel-major `[248, nTimes]` in Tesla (float64), as stored in one
 * assignment h5 file. Pure: the values depend only on (seed, subject,
 * taskType, chunk, nTimes, sfreq), so any file can be regenerated alone.
 *
 * @param taskType One of `rest`, `task_motor`, `task_story_math`, `task_working_memory`.
 * @param subject Subject id, digits (e.g. `"105923"`).
 * @param options Seed, chunk, length, sampling rate, output array.
 * @returns The samples, `out` when given; sample `t` of channel `c` at `c * nTimes + t`.
 * @throws {RangeError} for an unknown task type, a non-digit subject id, a seed
 *   or chunk that is not an integer (chunk < 1), nTimes < 1 or sfreq < 100.
 * @throws {TypeError} when `subject` is not a string or `out` has the wrong type or length.
 *
 * @example
 * ```ts
 * import { generateRecording } from "./generate_recording.ts";
 * import { assertEquals, assertNotEquals } from "@std/assert";
 *
 * const a = generateRecording("rest", "105923", { seed: 1, chunk: 1, nTimes: 512 });
 * const b = generateRecording("rest", "105923", { seed: 1, chunk: 1, nTimes: 512 });
 * const c = generateRecording("rest", "105923", { seed: 1, chunk: 2, nTimes: 512 });
 * assertEquals(a.length, 248 * 512);
 * assertEquals(a, b);
 * assertNotEquals(a, c);
 * ```
 */
export function generateRecording(
  taskType: TaskType,
  subject: string,
  options: GenerateRecordingOptions = {},
): Float64Array {
  const { seed = 42, chunk = 1, nTimes = 35624, sfreq = RAW_SFREQ } = options;
  const spec: RecordingSpec = { taskType, subject, seed, chunk, nTimes, sfreq };
  checkSpec(spec);
  const out = options.out ?? new Float64Array(N_SENSORS * nTimes);
  checkOut(out, nTimes);

  const rec = startRecording(spec);
  // 1. Spatially correlated 1/f background (always present, same for all tasks).
  addBackground(rec);
  // 2. Ongoing rhythms, modulated by task and by slow state fluctuations, and evoked fields.
  const factors = RHYTHM_FACTORS[taskType];
  const subjectTask = subjectTaskGains(new Random(hashSeed(seed, "task", subject, taskType)));
  const timeline: Timeline = taskTimeline(taskType, rec.random, rec.durationSeconds, rec.subject.reactionSeconds);
  addAlpha(rec, timeline, factors.alpha * subjectTask.alpha);
  addSensorimotor(rec, timeline, factors.mu * subjectTask.mu, factors.beta * subjectTask.beta);
  addTheta(rec, timeline, factors.theta * subjectTask.theta);
  addTemporal(rec, timeline, factors.tau);
  addEvokedFields(rec, timeline);
  // 3. The subject's own extra rhythmic sources (same in every task).
  addIdiosyncratic(rec);
  // 4. Artefacts: heartbeat, eye blinks, power line, slow drifts.
  addHeartbeat(rec);
  addBlinks(rec);
  addLineNoise(rec);
  addDrifts(rec);
  // Forward model with per-channel calibration gains, then sensor noise and offsets.
  rec.mixer.mixInto(out, rec.subject.sensorGain);
  addSensorNoise(rec, out);
  return out;
}

/** What fixes every value of a recording. */
interface RecordingSpec {
  /** The task the subject performs. */
  taskType: TaskType;
  /** Subject id, digits. */
  subject: string;
  /** Dataset seed. */
  seed: number;
  /** Chunk number, 1 or more. */
  chunk: number;
  /** Samples per channel. */
  nTimes: number;
  /** Sampling rate, Hz. */
  sfreq: number;
}

/** Throws for a bad task type, subject id, seed, chunk, length or sampling rate. */
function checkSpec(spec: RecordingSpec): void {
  const { taskType, subject, seed, chunk, nTimes, sfreq } = spec;
  check(
    (TASK_TYPES as readonly string[]).includes(taskType),
    () => new RangeError(`${WHAT}: taskType must be one of ${TASK_TYPES.join(", ")}, got ${JSON.stringify(taskType)}`),
  );
  check(typeof subject === "string", () => new TypeError(`${WHAT}: subject must be a string, got ${typeof subject}`));
  check(/^\d+$/.test(subject), () => new RangeError(`${WHAT}: subject must be digits, got ${JSON.stringify(subject)}`));
  check(Number.isSafeInteger(seed), () => new RangeError(`${WHAT}: seed must be an integer, got ${seed}`));
  check(
    Number.isSafeInteger(chunk) && chunk >= 1,
    () => new RangeError(`${WHAT}: chunk must be an integer >= 1, got ${chunk}`),
  );
  check(
    Number.isSafeInteger(nTimes) && nTimes >= 1,
    () => new RangeError(`${WHAT}: nTimes must be an integer >= 1, got ${nTimes}`),
  );
  check(
    Number.isFinite(sfreq) && sfreq >= 100,
    () => new RangeError(`${WHAT}: sfreq must be at least 100 Hz, got ${sfreq}`),
  );
}

/** Throws unless `out` is a Float64Array of `248 * nTimes` samples. */
function checkOut(out: Float64Array, nTimes: number): void {
  check(
    out instanceof Float64Array && out.length === N_SENSORS * nTimes,
    () =>
      new TypeError(
        `${WHAT}: out must be a Float64Array of length ${N_SENSORS * nTimes} (248 x ${nTimes}), got ${
          out instanceof Float64Array ? `length ${out.length}` : (out as object)?.constructor?.name ?? String(out)
        }`,
      ),
  );
}

/** What every part of one recording shares: its size, its random numbers, the head and the source mixer. */
interface RecordingContext {
  /** Samples per channel. */
  nTimes: number;
  /** Sampling rate, Hz. */
  sfreq: number;
  /** Half the sampling rate, Hz. */
  nyquistHz: number;
  /** Length of the recording, seconds. */
  durationSeconds: number;
  /** The subject's fixed parameters. */
  subject: SubjectParams;
  /** The chunk's random numbers (events, amplitudes, phases), drawn in a fixed order. */
  random: Random;
  /** A new Gaussian noise stream, the next of the chunk's numbered streams. */
  stream: () => GaussianStream;
  /** The head position of this run. */
  head: HeadPlacement;
  /** Every source's pattern and time course, mixed into the sensors at the end. */
  mixer: SourceMixer;
  /** A reusable series of `nTimes` samples. */
  scratch: Float64Array;
}

/**
 * The context of one chunk: its random numbers, noise streams and head
 * position (the subject's placement plus a small per-run movement).
 */
function startRecording(spec: RecordingSpec): RecordingContext {
  const { taskType, subject, seed, chunk, nTimes, sfreq } = spec;
  const subjectP = subjectParams(seed, subject);
  const random = new Random(hashSeed(seed, "chunk", subject, taskType, chunk));
  let streamIndex = 0;
  const head: HeadPlacement = runHead(subjectP.head, random);
  return {
    nTimes,
    sfreq,
    nyquistHz: sfreq / 2,
    durationSeconds: nTimes / sfreq,
    subject: subjectP,
    random,
    stream: () => new GaussianStream(hashSeed(seed, "noise", subject, taskType, chunk, streamIndex++)),
    head,
    mixer: new SourceMixer(N_SENSORS, nTimes, MAX_SOURCES),
    scratch: new Float64Array(nTimes),
  };
}

/** A log-normal factor of median 1: `exp(sigma * z)` with the chunk's next normal number. */
function logNormal(rec: RecordingContext, sigma: number): number {
  return Math.exp(sigma * rec.random.normal());
}

/** A slowly waxing and waning positive envelope of median 1, from the next noise stream. */
function envelope(rec: RecordingContext, cornerHz: number, sigma: number): Float64Array {
  return logNormalEnvelope(new Float64Array(rec.nTimes), cornerHz, sigma, rec.sfreq, rec.stream());
}

/** The sensor pattern of a brain dipole under this run's head position. */
function brainPattern(rec: RecordingContext, dipole: Dipole): Float64Array {
  return dipolePattern(placeDipole(dipole, rec.head));
}

/** The amplitude of a task-related source: nominal, times the subject's gain, times a per-chunk factor. */
function sourceAmplitude(rec: RecordingContext, name: SourceName): number {
  return SOURCE_AMPLITUDE[name] * rec.subject.gains[name] * logNormal(rec, 0.15);
}

/** The subject's own strength of each rhythm in this task type (fixed per subject and task). */
function subjectTaskGains(taskRandom: Random): { alpha: number; mu: number; beta: number; theta: number } {
  const taskGain = (sigma: number) => Math.exp(sigma * taskRandom.normal());
  return { alpha: taskGain(0.1), mu: taskGain(0.15), beta: taskGain(0.15), theta: taskGain(0.2) };
}

/** Adds the subject's pink-noise background sources, scaled by a per-chunk level. */
function addBackground(rec: RecordingContext): void {
  const backgroundLevel = rec.subject.backgroundLevel * logNormal(rec, 0.12);
  for (const source of rec.subject.background) {
    const course = rec.mixer.add(
      brainPattern(rec, source.dipole),
      source.amplitude * backgroundLevel * logNormal(rec, 0.15),
    );
    pinkNoise(course, source.exponent, rec.sfreq, rec.stream());
  }
}

/**
 * Adds a rhythm (a resonator) at source `name`, optionally modulated by
 * `env`; none at or near Nyquist, or with no gain.
 */
function addRhythm(
  rec: RecordingContext,
  name: SourceName,
  gain: number,
  freqHz: number,
  bandwidthHz: number,
  env?: Float64Array,
): void {
  if (freqHz >= 0.9 * rec.nyquistHz || gain <= 0) return;
  const course = rec.mixer.add(brainPattern(rec, rec.subject.dipoles[name]), sourceAmplitude(rec, name) * gain);
  resonator(course, freqHz, bandwidthHz, rec.sfreq, rec.stream());
  if (env) multiplyInPlace(course, env);
}

/**
 * Adds posterior alpha: vigilance per chunk, shared slow waxing and waning;
 * suppressed after each working-memory stimulus.
 */
function addAlpha(rec: RecordingContext, timeline: Timeline, gain: number): void {
  const { sfreq } = rec;
  const vigilance = logNormal(rec, 0.25);
  const alphaEnv = envelope(rec, 0.25, 0.45);
  for (const onset of timeline.trials) addBump(alphaEnv, onset + 0.5, 0.3, -0.45, sfreq);
  for (let i = 0; i < rec.nTimes; i++) alphaEnv[i] = Math.max(0.15, alphaEnv[i]);
  const alphaGain = gain * vigilance;
  const alphaHz = rec.subject.alphaHz + 0.15 * rec.random.normal();
  addRhythm(rec, "alphaL", alphaGain, alphaHz + 0.1, 1.5, alphaEnv);
  addRhythm(rec, "alphaR", alphaGain, alphaHz - 0.1, 1.5, alphaEnv);
  addRhythm(rec, "alphaP", alphaGain, alphaHz - 0.5, 1.8, alphaEnv);
}

/**
 * Adds sensorimotor mu and beta: suppressed during movement blocks (strongly
 * over the contralateral hemisphere), beta rebound after each block.
 */
function addSensorimotor(rec: RecordingContext, timeline: Timeline, muGain: number, betaGain: number): void {
  const { subject } = rec;
  addRhythm(rec, "muL", muGain, subject.muHz, 2, hemisphereEnvelope(rec, timeline, true, false));
  addRhythm(rec, "muR", muGain, subject.muHz + 0.2, 2, hemisphereEnvelope(rec, timeline, false, false));
  addRhythm(rec, "betaL", betaGain, subject.betaHz, 4, hemisphereEnvelope(rec, timeline, true, true));
  addRhythm(rec, "betaR", betaGain, subject.betaHz - 0.5, 4, hemisphereEnvelope(rec, timeline, false, true));
}

/** The envelope of the mu (or beta) rhythm of one hemisphere: movement blocks suppress it, beta rebounds. */
function hemisphereEnvelope(rec: RecordingContext, timeline: Timeline, left: boolean, beta: boolean): Float64Array {
  const { sfreq } = rec;
  const env = envelope(rec, beta ? 0.8 : 0.4, beta ? 0.7 : 0.5);
  for (const block of timeline.motorBlocks) {
    const contralateral = (block.effector === 0 && !left) || (block.effector === 1 && left);
    const depth = block.effector >= 2 ? 0.4 : contralateral ? 0.7 : 0.35;
    addSmoothBox(env, block.startSeconds, block.endSeconds, 0.6, -depth, sfreq);
    if (beta) addBump(env, block.endSeconds + 0.8, 0.4, contralateral ? 1.0 : 0.5, sfreq);
  }
  if (beta) {
    for (const m of timeline.movements) {
      const contralateral = (m.effector === 0 && !left) || (m.effector === 1 && left) || m.effector >= 2;
      const scale = contralateral ? 1 : 0.5;
      addBump(env, m.timeSeconds, 0.2, -0.3 * scale * m.amplitude, sfreq);
      addBump(env, m.timeSeconds + 0.7, 0.25, 0.25 * scale * m.amplitude, sfreq);
    }
  }
  for (let i = 0; i < rec.nTimes; i++) env[i] = Math.max(0.1, env[i]);
  return env;
}

/** Adds frontal-midline theta, rising after each working-memory stimulus. */
function addTheta(rec: RecordingContext, timeline: Timeline, gain: number): void {
  const thetaEnv = envelope(rec, 0.3, 0.4);
  for (const onset of timeline.trials) addBump(thetaEnv, onset + 0.45, 0.25, 0.7, rec.sfreq);
  addRhythm(rec, "thetaFM", gain, rec.subject.thetaHz, 1.5, thetaEnv);
}

/**
 * Adds the temporal cortex: a weak spontaneous rhythm; during speech a
 * syllable-rate (4-6 Hz) following response and auditory evoked fields.
 */
function addTemporal(rec: RecordingContext, timeline: Timeline, tauFactor: number): void {
  const { nTimes, sfreq, subject, random, scratch } = rec;
  const auditoryKernel = renderKernel(shifted(WAVEFORMS.auditory, subject.latencyShiftSeconds), sfreq);
  for (const name of ["audL", "audR"] as const) {
    const course = rec.mixer.add(brainPattern(rec, subject.dipoles[name]), sourceAmplitude(rec, name));
    resonator(course, subject.tauHz + 0.3 * random.normal(), 2, sfreq, rec.stream());
    multiplyInPlace(course, envelope(rec, 0.5, 0.5));
    for (let i = 0; i < nTimes; i++) course[i] *= 0.5 * tauFactor;
    if (timeline.speech.length > 0) {
      const speechEnv = new Float64Array(nTimes);
      for (const [start, end] of timeline.speech) addSmoothBox(speechEnv, start, end, 0.1, 1, sfreq);
      resonator(scratch, subject.syllableHz, 3, sfreq, rec.stream());
      const speechGain = name === "audL" ? 1.3 : 1.1;
      for (let i = 0; i < nTimes; i++) course[i] += speechGain * speechEnv[i] * scratch[i];
      for (const event of timeline.auditory) {
        addKernel(course, auditoryKernel, event.timeSeconds + 0.008 * random.normal(), 2.2 * event.amplitude, sfreq);
      }
    }
  }
}

/** Adds the evoked fields of movements and button presses and of visual stimuli. */
function addEvokedFields(rec: RecordingContext, timeline: Timeline): void {
  const { sfreq } = rec;
  const latency = rec.subject.latencyShiftSeconds;
  const movementKernel = renderKernel(shifted(WAVEFORMS.movement, latency), sfreq);
  addEvoked(rec, "mefR", movementKernel, timeline.movements.filter((m) => m.effector === 0));
  addEvoked(rec, "mefL", movementKernel, timeline.movements.filter((m) => m.effector === 1));
  addEvoked(
    rec,
    "mefFoot",
    movementKernel,
    timeline.movements.filter((m) => m.effector >= 2).map((m) => ({
      timeSeconds: m.timeSeconds,
      amplitude: m.effector === 2 ? m.amplitude : -m.amplitude,
    })),
  );
  addEvoked(rec, "v1", renderKernel(shifted(WAVEFORMS.v1, latency), sfreq), timeline.visual);
  addEvoked(rec, "fusL", renderKernel(shifted(WAVEFORMS.fusiform, latency), sfreq), timeline.visual);
  addEvoked(rec, "fusR", renderKernel(shifted(WAVEFORMS.fusiform, latency), sfreq), timeline.visual);
  addEvoked(
    rec,
    "parietal",
    renderKernel(shifted(WAVEFORMS.parietal, 2 * latency), sfreq),
    timeline.trials.map((t) => ({ timeSeconds: t, amplitude: 1 })),
  );
}

/** Adds source `name` with `kernel` at each event (jittered in time and amplitude); nothing without events. */
function addEvoked(
  rec: RecordingContext,
  name: SourceName,
  kernel: Kernel,
  events: Array<{ timeSeconds: number; amplitude: number }>,
): void {
  if (events.length === 0) return;
  const { random } = rec;
  const course = rec.mixer.add(brainPattern(rec, rec.subject.dipoles[name]), sourceAmplitude(rec, name));
  for (const event of events) {
    const t = event.timeSeconds + 0.01 * random.normal();
    addKernel(course, kernel, t, event.amplitude * Math.exp(0.25 * random.normal()), rec.sfreq);
  }
}

/** Adds the subject's own extra rhythmic sources (same in every task), none at or near Nyquist. */
function addIdiosyncratic(rec: RecordingContext): void {
  for (const source of rec.subject.idiosyncratic) {
    if (source.freqHz >= 0.9 * rec.nyquistHz) continue;
    const course = rec.mixer.add(brainPattern(rec, source.dipole), source.amplitude * logNormal(rec, 0.2));
    resonator(course, source.freqHz, source.bandwidthHz, rec.sfreq, rec.stream());
    multiplyInPlace(course, envelope(rec, 0.4, 0.5));
  }
}

/** Adds the heartbeat: one beat after another, the interval varying with breathing. */
function addHeartbeat(rec: RecordingContext): void {
  const { heart } = rec.subject;
  const { random, sfreq } = rec;
  const course = rec.mixer.add(dipolePattern(heart.dipole), heart.amplitude * logNormal(rec, 0.1));
  const kernel = renderKernel(WAVEFORMS.heartbeat, sfreq);
  const rateHz = heart.rateHz * logNormal(rec, 0.06);
  const breathPhase = random.uniform(0, 2 * Math.PI), breathHz = random.uniform(0.2, 0.3);
  let t = -random.uniform(0, 1 / rateHz);
  while (t < rec.durationSeconds + 0.5) {
    addKernel(course, kernel, t, Math.exp(0.05 * random.normal()), sfreq);
    const rr = (1 / rateHz) *
      (1 + 0.04 * random.normal() + 0.05 * Math.sin(2 * Math.PI * breathHz * t + breathPhase));
    t += Math.max(0.35, rr);
  }
}

/** Adds eye blinks at random times (at least 0.8 s apart); no source when none falls in the recording. */
function addBlinks(rec: RecordingContext): void {
  const { blink } = rec.subject;
  const { random, sfreq } = rec;
  const ratePerSecond = (blink.perMinute / 60) * logNormal(rec, 0.3);
  const course = rec.mixer.add(dipolePattern(blink.dipole), blink.amplitude);
  const kernel = renderKernel(WAVEFORMS.blink, sfreq);
  let t = -1 + Math.max(0.8, -Math.log(1 - random.next()) / ratePerSecond);
  let any = false;
  while (t < rec.durationSeconds) {
    addKernel(course, kernel, t, Math.exp(0.25 * random.normal()), sfreq);
    any = true;
    t += Math.max(0.8, -Math.log(1 - random.next()) / ratePerSecond);
  }
  if (!any) rec.mixer.dropLast();
}

/** Adds power-line interference: 60 Hz and the harmonics below Nyquist, with a slowly wobbling amplitude. */
function addLineNoise(rec: RecordingContext): void {
  const { line } = rec.subject;
  const { random, sfreq, nTimes, nyquistHz } = rec;
  const lineAmplitude = line.amplitude * logNormal(rec, 0.2);
  const phase = random.uniform(0, 2 * Math.PI);
  const harmonicPhases = [random.uniform(0, 2 * Math.PI), random.uniform(0, 2 * Math.PI)];
  const wobble = logNormalEnvelope(rec.scratch, 0.3, 0.08, sfreq, rec.stream());
  const cosCourse = rec.mixer.add(polynomialPattern(line.cos), lineAmplitude);
  const sinCourse = rec.mixer.add(polynomialPattern(line.sin), lineAmplitude);
  const harmonics: Array<[number, number, number]> = [[1, 1, phase]];
  for (let h = 2; h <= 3; h++) {
    if (h * LINE_HZ < 0.9 * nyquistHz) harmonics.push([h, line.harmonics[h - 2], harmonicPhases[h - 2]]);
  }
  if (LINE_HZ < 0.9 * nyquistHz) {
    for (const [h, gain, ph] of harmonics) {
      const w = (2 * Math.PI * h * LINE_HZ) / sfreq;
      for (let i = 0; i < nTimes; i++) {
        cosCourse[i] += gain * wobble[i] * Math.cos(w * i + ph);
        sinCourse[i] += gain * wobble[i] * Math.sin(w * i + ph);
      }
    }
  }
}

/** Adds slow drifts: low-passed noise plus a linear trend on smooth field patterns. */
function addDrifts(rec: RecordingContext): void {
  const { drift } = rec.subject;
  const { nTimes } = rec;
  for (const coefficients of drift.patterns) {
    const course = rec.mixer.add(polynomialPattern(coefficients), drift.amplitude * logNormal(rec, 0.3));
    lowpassNoise(course, 0.03, rec.sfreq, rec.stream());
    const slope = 0.5 * rec.random.normal();
    for (let i = 0; i < nTimes; i++) course[i] += slope * (i / nTimes - 0.5);
  }
}

/** Adds white sensor noise (the subject's level per channel) and a constant offset per channel to `out`. */
function addSensorNoise(rec: RecordingContext, out: Float64Array): void {
  const { nTimes } = rec;
  const noise = rec.stream();
  const noiseLevel = logNormal(rec, 0.1);
  for (let c = 0; c < N_SENSORS; c++) {
    const base = c * nTimes;
    noise.fill(out, rec.subject.sensorNoise[c] * noiseLevel, base, base + nTimes, true);
    const offset = 1.5e-13 * rec.random.normal();
    for (let i = base; i < base + nTimes; i++) out[i] += offset;
  }
}
