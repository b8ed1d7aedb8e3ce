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
import { SOURCE_AMPLITUDE, type SourceName, subjectParams } from "./_subject.ts";

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
  const what = "Cannot generate recording";
  check(
    (TASK_TYPES as readonly string[]).includes(taskType),
    () => new RangeError(`${what}: taskType must be one of ${TASK_TYPES.join(", ")}, got ${JSON.stringify(taskType)}`),
  );
  check(typeof subject === "string", () => new TypeError(`${what}: subject must be a string, got ${typeof subject}`));
  check(/^\d+$/.test(subject), () => new RangeError(`${what}: subject must be digits, got ${JSON.stringify(subject)}`));
  check(Number.isSafeInteger(seed), () => new RangeError(`${what}: seed must be an integer, got ${seed}`));
  check(
    Number.isSafeInteger(chunk) && chunk >= 1,
    () => new RangeError(`${what}: chunk must be an integer >= 1, got ${chunk}`),
  );
  check(
    Number.isSafeInteger(nTimes) && nTimes >= 1,
    () => new RangeError(`${what}: nTimes must be an integer >= 1, got ${nTimes}`),
  );
  check(
    Number.isFinite(sfreq) && sfreq >= 100,
    () => new RangeError(`${what}: sfreq must be at least 100 Hz, got ${sfreq}`),
  );
  const out = options.out ?? new Float64Array(N_SENSORS * nTimes);
  check(
    out instanceof Float64Array && out.length === N_SENSORS * nTimes,
    () =>
      new TypeError(
        `${what}: out must be a Float64Array of length ${N_SENSORS * nTimes} (248 x ${nTimes}), got ${
          out instanceof Float64Array ? `length ${out.length}` : (out as object)?.constructor?.name ?? String(out)
        }`,
      ),
  );

  const subjectP = subjectParams(seed, subject);
  const taskRandom = new Random(hashSeed(seed, "task", subject, taskType));
  const random = new Random(hashSeed(seed, "chunk", subject, taskType, chunk));
  let streamIndex = 0;
  const stream = () => new GaussianStream(hashSeed(seed, "noise", subject, taskType, chunk, streamIndex++));
  const logNormal = (sigma: number) => Math.exp(sigma * random.normal());
  const durationSeconds = nTimes / sfreq;
  const nyquistHz = sfreq / 2;

  // Head position: the subject's placement plus a small per-run movement.
  const head: HeadPlacement = {
    rotation: subjectP.head.rotation + 0.012 * random.normal(),
    scale: subjectP.head.scale,
    shiftU: subjectP.head.shiftU + 0.012 * random.normal(),
    shiftV: subjectP.head.shiftV + 0.012 * random.normal(),
  };
  const brainPattern = (dipole: Dipole) => dipolePattern(placeDipole(dipole, head));
  const mixer = new SourceMixer(N_SENSORS, nTimes, MAX_SOURCES);
  const scratch = new Float64Array(nTimes);
  const envelope = (cornerHz: number, sigma: number) =>
    logNormalEnvelope(new Float64Array(nTimes), cornerHz, sigma, sfreq, stream());

  // 1. Spatially correlated 1/f background (always present, same for all tasks).
  const backgroundLevel = subjectP.backgroundLevel * logNormal(0.12);
  for (const source of subjectP.background) {
    const course = mixer.add(brainPattern(source.dipole), source.amplitude * backgroundLevel * logNormal(0.15));
    pinkNoise(course, source.exponent, sfreq, stream());
  }

  // 2. Ongoing rhythms, modulated by task and by slow state fluctuations.
  const factors = RHYTHM_FACTORS[taskType];
  const taskGain = (sigma: number) => Math.exp(sigma * taskRandom.normal());
  const subjectTask = {
    alpha: taskGain(0.1),
    mu: taskGain(0.15),
    beta: taskGain(0.15),
    theta: taskGain(0.2),
  };
  const timeline: Timeline = taskTimeline(taskType, random, durationSeconds, subjectP.reactionSeconds);
  const amplitude = (name: SourceName) => SOURCE_AMPLITUDE[name] * subjectP.gains[name] * logNormal(0.15);
  const addRhythm = (name: SourceName, gain: number, freqHz: number, bandwidthHz: number, env?: Float64Array) => {
    if (freqHz >= 0.9 * nyquistHz || gain <= 0) return;
    const course = mixer.add(brainPattern(subjectP.dipoles[name]), amplitude(name) * gain);
    resonator(course, freqHz, bandwidthHz, sfreq, stream());
    if (env) multiplyInPlace(course, env);
  };

  // Posterior alpha: vigilance per chunk, shared slow waxing and waning;
  // suppressed after each working-memory stimulus.
  const vigilance = logNormal(0.25);
  const alphaEnv = envelope(0.25, 0.45);
  for (const onset of timeline.trials) addBump(alphaEnv, onset + 0.5, 0.3, -0.45, sfreq);
  for (let i = 0; i < nTimes; i++) alphaEnv[i] = Math.max(0.15, alphaEnv[i]);
  const alphaGain = factors.alpha * subjectTask.alpha * vigilance;
  const alphaHz = subjectP.alphaHz + 0.15 * random.normal();
  addRhythm("alphaL", alphaGain, alphaHz + 0.1, 1.5, alphaEnv);
  addRhythm("alphaR", alphaGain, alphaHz - 0.1, 1.5, alphaEnv);
  addRhythm("alphaP", alphaGain, alphaHz - 0.5, 1.8, alphaEnv);

  // Sensorimotor mu and beta: suppressed during movement blocks (strongly
  // over the contralateral hemisphere), beta rebound after each block.
  const hemisphereEnvelope = (left: boolean, beta: boolean) => {
    const env = envelope(beta ? 0.8 : 0.4, beta ? 0.7 : 0.5);
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
    for (let i = 0; i < nTimes; i++) env[i] = Math.max(0.1, env[i]);
    return env;
  };
  const muGain = factors.mu * subjectTask.mu, betaGain = factors.beta * subjectTask.beta;
  addRhythm("muL", muGain, subjectP.muHz, 2, hemisphereEnvelope(true, false));
  addRhythm("muR", muGain, subjectP.muHz + 0.2, 2, hemisphereEnvelope(false, false));
  addRhythm("betaL", betaGain, subjectP.betaHz, 4, hemisphereEnvelope(true, true));
  addRhythm("betaR", betaGain, subjectP.betaHz - 0.5, 4, hemisphereEnvelope(false, true));

  // Frontal-midline theta, rising after each working-memory stimulus.
  const thetaEnv = envelope(0.3, 0.4);
  for (const onset of timeline.trials) addBump(thetaEnv, onset + 0.45, 0.25, 0.7, sfreq);
  addRhythm("thetaFM", factors.theta * subjectTask.theta, subjectP.thetaHz, 1.5, thetaEnv);

  // Temporal cortex: a weak spontaneous rhythm; during speech a syllable-rate
  // (4-6 Hz) following response and auditory evoked fields.
  const latency = subjectP.latencyShiftSeconds;
  const auditoryKernel = renderKernel(shifted(WAVEFORMS.auditory, latency), sfreq);
  for (const name of ["audL", "audR"] as const) {
    const course = mixer.add(brainPattern(subjectP.dipoles[name]), amplitude(name));
    resonator(course, subjectP.tauHz + 0.3 * random.normal(), 2, sfreq, stream());
    multiplyInPlace(course, envelope(0.5, 0.5));
    for (let i = 0; i < nTimes; i++) course[i] *= 0.5 * factors.tau;
    if (timeline.speech.length > 0) {
      const speechEnv = new Float64Array(nTimes);
      for (const [start, end] of timeline.speech) addSmoothBox(speechEnv, start, end, 0.1, 1, sfreq);
      resonator(scratch, subjectP.syllableHz, 3, sfreq, stream());
      const speechGain = name === "audL" ? 1.3 : 1.1;
      for (let i = 0; i < nTimes; i++) course[i] += speechGain * speechEnv[i] * scratch[i];
      for (const event of timeline.auditory) {
        addKernel(course, auditoryKernel, event.timeSeconds + 0.008 * random.normal(), 2.2 * event.amplitude, sfreq);
      }
    }
  }

  // Evoked fields of movements/button presses and of visual stimuli.
  const addEvoked = (name: SourceName, kernel: Kernel, events: Array<{ timeSeconds: number; amplitude: number }>) => {
    if (events.length === 0) return;
    const course = mixer.add(brainPattern(subjectP.dipoles[name]), amplitude(name));
    for (const event of events) {
      const t = event.timeSeconds + 0.01 * random.normal();
      addKernel(course, kernel, t, event.amplitude * Math.exp(0.25 * random.normal()), sfreq);
    }
  };
  const movementKernel = renderKernel(shifted(WAVEFORMS.movement, latency), sfreq);
  addEvoked("mefR", movementKernel, timeline.movements.filter((m) => m.effector === 0));
  addEvoked("mefL", movementKernel, timeline.movements.filter((m) => m.effector === 1));
  addEvoked(
    "mefFoot",
    movementKernel,
    timeline.movements.filter((m) => m.effector >= 2).map((m) => ({
      timeSeconds: m.timeSeconds,
      amplitude: m.effector === 2 ? m.amplitude : -m.amplitude,
    })),
  );
  addEvoked("v1", renderKernel(shifted(WAVEFORMS.v1, latency), sfreq), timeline.visual);
  addEvoked("fusL", renderKernel(shifted(WAVEFORMS.fusiform, latency), sfreq), timeline.visual);
  addEvoked("fusR", renderKernel(shifted(WAVEFORMS.fusiform, latency), sfreq), timeline.visual);
  addEvoked(
    "parietal",
    renderKernel(shifted(WAVEFORMS.parietal, 2 * latency), sfreq),
    timeline.trials.map((t) => ({ timeSeconds: t, amplitude: 1 })),
  );

  // 3. The subject's own extra rhythmic sources (same in every task).
  for (const source of subjectP.idiosyncratic) {
    if (source.freqHz >= 0.9 * nyquistHz) continue;
    const course = mixer.add(brainPattern(source.dipole), source.amplitude * logNormal(0.2));
    resonator(course, source.freqHz, source.bandwidthHz, sfreq, stream());
    multiplyInPlace(course, envelope(0.4, 0.5));
  }

  // 4. Artefacts: heartbeat, eye blinks, power line, slow drifts.
  {
    const { heart } = subjectP;
    const course = mixer.add(dipolePattern(heart.dipole), heart.amplitude * logNormal(0.1));
    const kernel = renderKernel(WAVEFORMS.heartbeat, sfreq);
    const rateHz = heart.rateHz * logNormal(0.06);
    const breathPhase = random.uniform(0, 2 * Math.PI), breathHz = random.uniform(0.2, 0.3);
    let t = -random.uniform(0, 1 / rateHz);
    while (t < durationSeconds + 0.5) {
      addKernel(course, kernel, t, Math.exp(0.05 * random.normal()), sfreq);
      const rr = (1 / rateHz) *
        (1 + 0.04 * random.normal() + 0.05 * Math.sin(2 * Math.PI * breathHz * t + breathPhase));
      t += Math.max(0.35, rr);
    }
  }
  {
    const { blink } = subjectP;
    const ratePerSecond = (blink.perMinute / 60) * logNormal(0.3);
    const course = mixer.add(dipolePattern(blink.dipole), blink.amplitude);
    const kernel = renderKernel(WAVEFORMS.blink, sfreq);
    let t = -1 + Math.max(0.8, -Math.log(1 - random.next()) / ratePerSecond);
    let any = false;
    while (t < durationSeconds) {
      addKernel(course, kernel, t, Math.exp(0.25 * random.normal()), sfreq);
      any = true;
      t += Math.max(0.8, -Math.log(1 - random.next()) / ratePerSecond);
    }
    if (!any) mixer.dropLast();
  }
  {
    const { line } = subjectP;
    const lineAmplitude = line.amplitude * logNormal(0.2);
    const phase = random.uniform(0, 2 * Math.PI);
    const harmonicPhases = [random.uniform(0, 2 * Math.PI), random.uniform(0, 2 * Math.PI)];
    const wobble = logNormalEnvelope(scratch, 0.3, 0.08, sfreq, stream());
    const cosCourse = mixer.add(polynomialPattern(line.cos), lineAmplitude);
    const sinCourse = mixer.add(polynomialPattern(line.sin), lineAmplitude);
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
  {
    const { drift } = subjectP;
    for (const coefficients of drift.patterns) {
      const course = mixer.add(polynomialPattern(coefficients), drift.amplitude * logNormal(0.3));
      lowpassNoise(course, 0.03, sfreq, stream());
      const slope = 0.5 * random.normal();
      for (let i = 0; i < nTimes; i++) course[i] += slope * (i / nTimes - 0.5);
    }
  }

  // Forward model with per-channel calibration gains, then sensor noise and offsets.
  mixer.mixInto(out, subjectP.sensorGain);
  const noise = stream();
  const noiseLevel = logNormal(0.1);
  for (let c = 0; c < N_SENSORS; c++) {
    const base = c * nTimes;
    noise.fill(out, subjectP.sensorNoise[c] * noiseLevel, base, base + nTimes, true);
    const offset = 1.5e-13 * random.normal();
    for (let i = base; i < base + nTimes; i++) out[i] += offset;
  }
  return out;
}
