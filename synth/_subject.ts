/**
 * Per-subject parameters of the synthetic generator: head placement,
 * individual source geometry, rhythm frequencies, amplitudes, artefacts and
 * sensor noise. Everything derives from `hashSeed(seed, "subject", subject)`.
 *
 * @module
 */
import { hashSeed, Random } from "../core/random.ts";
import { N_SENSORS } from "../core/types.ts";
import type { Dipole, HeadPlacement } from "./_patterns.ts";

/**
 * Nominal source geometry (normalized head coordinates, see `_patterns.ts`):
 * `v` -0.8 is the back of the helmet (occipital), +0.8 the front.
 */
export const ANATOMY = {
  /** Occipito-parietal alpha generators, left and right, and a medial parietal one. */
  alphaL: { u: -0.22, v: -0.58, angle: 1.3, halfSeparation: 0.15, width: 0.15 },
  alphaR: { u: 0.22, v: -0.58, angle: 1.85, halfSeparation: 0.15, width: 0.15 },
  alphaP: { u: 0.0, v: -0.38, angle: 0.0, halfSeparation: 0.22, width: 0.2 },
  /** Sensorimotor mu (hand area) and beta (slightly anterior), per hemisphere. */
  muL: { u: -0.42, v: 0.02, angle: 0.35, halfSeparation: 0.14, width: 0.14 },
  muR: { u: 0.42, v: 0.02, angle: -0.35 + Math.PI, halfSeparation: 0.14, width: 0.14 },
  betaL: { u: -0.38, v: 0.12, angle: 0.45, halfSeparation: 0.13, width: 0.13 },
  betaR: { u: 0.38, v: 0.12, angle: -0.45 + Math.PI, halfSeparation: 0.13, width: 0.13 },
  /** Movement-evoked fields: left/right hand area and the foot area near the vertex. */
  mefL: { u: -0.4, v: 0.05, angle: 0.3, halfSeparation: 0.13, width: 0.13 },
  mefR: { u: 0.4, v: 0.05, angle: Math.PI - 0.3, halfSeparation: 0.13, width: 0.13 },
  mefFoot: { u: 0.0, v: -0.02, angle: 0.0, halfSeparation: 0.17, width: 0.16 },
  /** Frontal-midline theta (deep, broad). */
  thetaFM: { u: 0.0, v: 0.42, angle: 0.0, halfSeparation: 0.26, width: 0.24 },
  /** Auditory cortex (superior temporal), left and right. */
  audL: { u: -0.72, v: -0.1, angle: 1.45, halfSeparation: 0.15, width: 0.15 },
  audR: { u: 0.72, v: -0.1, angle: 1.7, halfSeparation: 0.15, width: 0.15 },
  /** Visual: primary visual cortex, left/right fusiform, parietal (P300-like). */
  v1: { u: 0.0, v: -0.66, angle: 0.1, halfSeparation: 0.14, width: 0.14 },
  fusL: { u: -0.42, v: -0.52, angle: 1.0, halfSeparation: 0.15, width: 0.15 },
  fusR: { u: 0.42, v: -0.52, angle: 2.1, halfSeparation: 0.15, width: 0.15 },
  parietal: { u: 0.0, v: -0.28, angle: 1.57, halfSeparation: 0.24, width: 0.22 },
} as const satisfies Record<string, Dipole>;

/** Name of a task-related source. */
export type SourceName = keyof typeof ANATOMY;

/** Every task-related source name. */
export const SOURCE_NAMES = Object.keys(ANATOMY) as SourceName[];

/**
 * Median amplitude of each source at its strongest sensor, Tesla (before the
 * per-class, per-subject and per-chunk factors).
 */
export const SOURCE_AMPLITUDE: Readonly<Record<SourceName, number>> = {
  alphaL: 3.0e-13,
  alphaR: 3.0e-13,
  alphaP: 2.0e-13,
  muL: 1.5e-13,
  muR: 1.5e-13,
  betaL: 0.9e-13,
  betaR: 0.9e-13,
  mefL: 3.0e-13,
  mefR: 3.0e-13,
  mefFoot: 2.5e-13,
  thetaFM: 1.1e-13,
  audL: 1.3e-13,
  audR: 1.3e-13,
  v1: 3.0e-13,
  fusL: 2.0e-13,
  fusR: 2.0e-13,
  parietal: 1.6e-13,
};

/** A background (pink-noise) or idiosyncratic (rhythmic) source of one subject. */
export interface ExtraSource {
  dipole: Dipole;
  /** Tesla at the strongest sensor. */
  amplitude: number;
  /** Spectral exponent (background) or centre frequency in Hz (idiosyncratic). */
  exponent: number;
  freqHz: number;
  bandwidthHz: number;
}

/** Everything that stays fixed for one subject across task types and chunks. */
export interface SubjectParams {
  head: HeadPlacement;
  /** Individual geometry (before head placement). */
  dipoles: Record<SourceName, Dipole>;
  /** Individual amplitude factor per source (log-normal, median 1). */
  gains: Record<SourceName, number>;
  alphaHz: number;
  muHz: number;
  betaHz: number;
  thetaHz: number;
  /** Spontaneous temporal ("tau") rhythm. */
  tauHz: number;
  /** Syllable rate the auditory cortex follows during speech. */
  syllableHz: number;
  /** Latency shift of all evoked responses, seconds. */
  latencyShiftSeconds: number;
  /** Speed of the subject's responses (button presses), seconds. */
  reactionSeconds: number;
  background: ExtraSource[];
  idiosyncratic: ExtraSource[];
  heart: { dipole: Dipole; amplitude: number; rateHz: number };
  blink: { dipole: Dipole; amplitude: number; perMinute: number };
  line: { cos: number[]; sin: number[]; amplitude: number; harmonics: [number, number] };
  drift: { patterns: number[][]; amplitude: number };
  /** White sensor noise sd per channel, Tesla. */
  sensorNoise: Float64Array;
  /** Gain per channel (calibration error), around 1. */
  sensorGain: Float64Array;
  /** Mean background level factor. */
  backgroundLevel: number;
}

const cache = new Map<string, SubjectParams>();

function logNormal(random: Random, sigma: number): number {
  return Math.exp(sigma * random.normal());
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** A dipole at a random place within `radius`, at a random depth (spread) between the two. */
export function randomDipole(random: Random, radius: number, depthLow: number, depthHigh: number): Dipole {
  const r = radius * Math.sqrt(random.next());
  const phi = random.uniform(0, 2 * Math.PI);
  const depth = random.uniform(depthLow, depthHigh);
  return {
    u: r * Math.cos(phi),
    v: 0.8 * r * Math.sin(phi),
    angle: random.uniform(0, 2 * Math.PI),
    halfSeparation: depth,
    width: 0.9 * depth,
  };
}

/** The parameters of `subject` under `seed` (memoized). */
export function subjectParams(seed: number, subject: string): SubjectParams {
  const key = `${seed}|${subject}`;
  const hit = cache.get(key);
  if (hit) return hit;
  // The draws below happen in this order; changing it changes every generated value.
  const random = new Random(hashSeed(seed, "subject", subject));
  const head = headPlacement(random);
  const { dipoles, gains } = individualSources(random);
  const alphaHz = clamp(10 + 0.9 * random.normal(), 8.2, 12.2);
  const background = backgroundSources(random);
  const idiosyncratic = idiosyncraticSources(random);
  const { sensorNoise, sensorGain } = sensorProperties(random);
  const params: SubjectParams = {
    head,
    dipoles,
    gains,
    alphaHz,
    ...rhythmsAndTiming(random, alphaHz),
    background,
    idiosyncratic,
    ...artefactSources(random),
    sensorNoise,
    sensorGain,
    backgroundLevel: logNormal(random, 0.2),
  };
  if (cache.size > 64) cache.clear();
  cache.set(key, params);
  return params;
}

/** Where the subject's head sits in the helmet. */
function headPlacement(random: Random): HeadPlacement {
  return {
    rotation: 0.14 * random.normal(),
    scale: clamp(1 + 0.05 * random.normal(), 0.9, 1.1),
    shiftU: 0.06 * random.normal(),
    shiftV: 0.08 * random.normal(),
  };
}

/** The subject's own geometry and amplitude gain of every task-related source (around {@linkcode ANATOMY}). */
function individualSources(
  random: Random,
): { dipoles: Record<SourceName, Dipole>; gains: Record<SourceName, number> } {
  const dipoles = {} as Record<SourceName, Dipole>;
  const gains = {} as Record<SourceName, number>;
  for (const name of SOURCE_NAMES) {
    const base = ANATOMY[name];
    dipoles[name] = {
      u: base.u + 0.04 * random.normal(),
      v: base.v + 0.04 * random.normal(),
      angle: base.angle + 0.5 * random.normal(),
      halfSeparation: base.halfSeparation * clamp(1 + 0.15 * random.normal(), 0.7, 1.3),
      width: base.width * clamp(1 + 0.15 * random.normal(), 0.7, 1.3),
    };
    gains[name] = logNormal(random, 0.35);
  }
  return { dipoles, gains };
}

/** Twenty pink-noise background sources at random places. */
function backgroundSources(random: Random): ExtraSource[] {
  const background: ExtraSource[] = [];
  for (let k = 0; k < 20; k++) {
    background.push({
      dipole: randomDipole(random, 0.95, 0.12, 0.4),
      amplitude: 1.3e-13 * logNormal(random, 0.3),
      exponent: random.uniform(1.0, 2.2),
      freqHz: 0,
      bandwidthHz: 0,
    });
  }
  return background;
}

/** Two to four rhythmic sources of the subject's own (3-35 Hz) at random places. */
function idiosyncraticSources(random: Random): ExtraSource[] {
  const idiosyncratic: ExtraSource[] = [];
  const nIdiosyncratic = 2 + random.int(3);
  for (let k = 0; k < nIdiosyncratic; k++) {
    idiosyncratic.push({
      dipole: randomDipole(random, 0.85, 0.12, 0.3),
      amplitude: random.uniform(0.6e-13, 1.4e-13),
      exponent: 0,
      freqHz: Math.exp(random.uniform(Math.log(3), Math.log(35))),
      bandwidthHz: random.uniform(1, 4),
    });
  }
  return idiosyncratic;
}

/** White noise level and calibration gain per channel, with one to three noisy channels. */
function sensorProperties(random: Random): { sensorNoise: Float64Array; sensorGain: Float64Array } {
  const sensorLevel = 8e-14 * logNormal(random, 0.3);
  const sensorNoise = new Float64Array(N_SENSORS);
  const sensorGain = new Float64Array(N_SENSORS);
  for (let c = 0; c < N_SENSORS; c++) {
    sensorNoise[c] = sensorLevel * logNormal(random, 0.25);
    sensorGain[c] = 1 + 0.03 * random.normal();
  }
  const nNoisy = 1 + random.int(3);
  for (let k = 0; k < nNoisy; k++) sensorNoise[random.int(N_SENSORS)] *= random.uniform(2, 4);
  return { sensorNoise, sensorGain };
}

/** The subject's rhythm frequencies (mu and tau follow alpha), evoked latency shift and reaction time. */
function rhythmsAndTiming(
  random: Random,
  alphaHz: number,
): Pick<
  SubjectParams,
  "muHz" | "betaHz" | "thetaHz" | "tauHz" | "syllableHz" | "latencyShiftSeconds" | "reactionSeconds"
> {
  return {
    muHz: clamp(alphaHz + 0.5 + 0.6 * random.normal(), 8.5, 13),
    betaHz: clamp(20 + 2 * random.normal(), 16, 26),
    thetaHz: clamp(6 + 0.5 * random.normal(), 4.8, 7.5),
    tauHz: clamp(alphaHz - 0.8 + 0.6 * random.normal(), 7.5, 11.5),
    syllableHz: clamp(5 + 0.5 * random.normal(), 4, 6.5),
    latencyShiftSeconds: 0.012 * random.normal(),
    reactionSeconds: clamp(0.75 + 0.12 * random.normal(), 0.5, 1.1),
  };
}

/** The subject's heart, eyes, power-line field patterns and slow drifts. */
function artefactSources(random: Random): Pick<SubjectParams, "heart" | "blink" | "line" | "drift"> {
  return {
    heart: {
      dipole: {
        u: random.uniform(-0.6, -0.1),
        v: random.uniform(-1.6, -1.2),
        angle: random.uniform(0, 2 * Math.PI),
        halfSeparation: 0.5,
        width: 0.55,
      },
      amplitude: 8e-13 * logNormal(random, 0.35),
      rateHz: random.uniform(55, 82) / 60,
    },
    blink: {
      dipole: {
        u: 0.05 * random.normal(),
        v: 1.05,
        angle: Math.PI / 2 + 0.1 * random.normal(),
        halfSeparation: 0.3,
        width: 0.3,
      },
      amplitude: 8e-13 * logNormal(random, 0.35),
      perMinute: random.uniform(6, 20),
    },
    line: {
      cos: [random.normal(), random.normal(), random.normal(), 0.5 * random.normal(), 0.5 * random.normal()],
      sin: [0.3 * random.normal(), random.normal(), random.normal(), 0.5 * random.normal(), 0.5 * random.normal()],
      amplitude: 2e-13 * logNormal(random, 0.5),
      harmonics: [random.uniform(0.15, 0.4), random.uniform(0.05, 0.15)],
    },
    drift: {
      patterns: [0, 1, 2].map(
        () => [random.normal(), random.normal(), random.normal(), random.normal(), random.normal()],
      ),
      amplitude: 3e-13 * logNormal(random, 0.4),
    },
  };
}
