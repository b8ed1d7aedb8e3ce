import { assert, assertEquals, assertGreater, assertLess, assertNotEquals, assertThrows } from "@std/assert";
import { magnes3600Layout } from "../../core/layout.ts";
import { TASK_TYPES, type TaskType } from "../../core/types.ts";
import { generateRecording } from "../../synth/generate_recording.ts";

const SFREQ = 2034;
const SUBJECTS = ["105923", "113922", "164636", "162935", "707749", "725751"];

/** Sensor indices by region, in layout coordinates centred and scaled to about -1..1. */
function region(test: (u: number, v: number) => boolean): number[] {
  const { x, y } = magnes3600Layout();
  const xs = Array.from(x), ys = Array.from(y);
  const cx = (Math.min(...xs) + Math.max(...xs)) / 2, cy = (Math.min(...ys) + Math.max(...ys)) / 2;
  const scale = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)) / 2;
  return xs.map((_, i) => i).filter((i) => test((xs[i] - cx) / scale, (ys[i] - cy) / scale));
}

const POSTERIOR = region((_, v) => v < -0.55).filter((_, i) => i % 2 === 0);
const FRONTAL = region((u, v) => v > 0.35 && Math.abs(u) < 0.35);
const TEMPORAL = region((u, v) => Math.abs(u) > 0.6 && v > -0.35 && v < 0.15);

/** Summed power of DFT bins in [lowHz, highHz] over `channels` (Goertzel). */
function bandPower(data: Float64Array, nTimes: number, channels: number[], lowHz: number, highHz: number): number {
  let power = 0;
  for (const c of channels) {
    for (let k = Math.ceil((lowHz * nTimes) / SFREQ); k <= Math.floor((highHz * nTimes) / SFREQ); k++) {
      const coeff = 2 * Math.cos((2 * Math.PI * k) / nTimes);
      let s1 = 0, s2 = 0;
      for (let t = 0; t < nTimes; t++) {
        const s = data[c * nTimes + t] + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
      }
      power += s1 * s1 + s2 * s2 - coeff * s1 * s2;
    }
  }
  return power;
}

/** Geometric mean over subjects (and chunks) of power(a) / power(b) in a band and region. */
function meanRatio(
  a: TaskType,
  b: TaskType,
  channels: number[],
  lowHz: number,
  highHz: number,
  chunks: number[],
  nTimes = 8192,
): number {
  let logSum = 0, n = 0;
  for (const subject of SUBJECTS) {
    for (const chunk of chunks) {
      const x = generateRecording(a, subject, { chunk, nTimes });
      const y = generateRecording(b, subject, { chunk, nTimes });
      logSum += Math.log(bandPower(x, nTimes, channels, lowHz, highHz) / bandPower(y, nTimes, channels, lowHz, highHz));
      n++;
    }
  }
  return Math.exp(logSum / n);
}

function channelSd(data: Float64Array, nTimes: number): Float64Array {
  const sd = new Float64Array(data.length / nTimes);
  for (let c = 0; c < sd.length; c++) {
    let sum = 0, sumSquares = 0;
    for (let t = 0; t < nTimes; t++) {
      const v = data[c * nTimes + t];
      sum += v;
      sumSquares += v * v;
    }
    sd[c] = Math.sqrt(sumSquares / nTimes - (sum / nTimes) ** 2);
  }
  return sd;
}

function correlation(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n, mb = b.reduce((s, v) => s + v, 0) / n;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

Deno.test("generateRecording() gives identical arrays for the same seed, subject, task and chunk", () => {
  const a = generateRecording("task_story_math", "113922", { seed: 3, chunk: 4, nTimes: 1000 });
  const b = generateRecording("task_story_math", "113922", { seed: 3, chunk: 4, nTimes: 1000 });
  assertEquals(a.length, 248 * 1000);
  assertEquals(a, b);
});

Deno.test("generateRecording() differs between chunks, seeds, subjects and task types", () => {
  const base = { seed: 3, chunk: 4, nTimes: 1000 };
  const a = generateRecording("task_motor", "113922", base);
  assertNotEquals(a, generateRecording("task_motor", "113922", { ...base, chunk: 5 }));
  assertNotEquals(a, generateRecording("task_motor", "113922", { ...base, seed: 4 }));
  assertNotEquals(a, generateRecording("task_motor", "164636", base));
  assertNotEquals(a, generateRecording("rest", "113922", base));
});

Deno.test("generateRecording() writes finite values in a plausible Tesla range for every task", () => {
  for (const taskType of TASK_TYPES) {
    const nTimes = 4096;
    const data = generateRecording(taskType, "162935", { nTimes });
    assert(data.every(Number.isFinite), `${taskType}: non-finite value`);
    const sd = channelSd(data, nTimes);
    for (const value of sd) {
      assertGreater(value, 1e-14, `${taskType}: channel sd ${value}`);
      assertLess(value, 1e-11, `${taskType}: channel sd ${value}`);
    }
    const median = Array.from(sd).sort((p, q) => p - q)[124];
    assertGreater(median, 1e-13);
    assertLess(median, 2e-12);
  }
});

Deno.test("generateRecording() fills the given out array and returns it", () => {
  const out = new Float64Array(248 * 300).fill(Number.NaN);
  const result = generateRecording("rest", "105923", { nTimes: 300, out });
  assert(result === out);
  assertEquals(out, generateRecording("rest", "105923", { nTimes: 300 }));
});

Deno.test("generateRecording() rejects bad task types, subjects, counts and arrays", () => {
  assertThrows(() => generateRecording("sleep" as TaskType, "1"), RangeError, "taskType must be one of");
  assertThrows(() => generateRecording("rest", "sub-01"), RangeError, "subject must be digits");
  assertThrows(() => generateRecording("rest", 105923 as unknown as string), TypeError, "subject must be a string");
  assertThrows(() => generateRecording("rest", "1", { chunk: 0 }), RangeError, "chunk must be an integer >= 1, got 0");
  assertThrows(() => generateRecording("rest", "1", { nTimes: 2.5 }), RangeError, "nTimes must be an integer");
  assertThrows(
    () => generateRecording("rest", "1", { sfreq: 50 }),
    RangeError,
    "sfreq must be at least 100 Hz, got 50",
  );
  assertThrows(() => generateRecording("rest", "1", { seed: 0.5 }), RangeError, "seed must be an integer");
  assertThrows(
    () => generateRecording("rest", "1", { nTimes: 10, out: new Float64Array(10) }),
    TypeError,
    "out must be a Float64Array of length 2480",
  );
});

Deno.test("posterior alpha (8-12 Hz) is stronger at rest than during the motor task", () => {
  assertGreater(POSTERIOR.length, 10);
  const ratio = meanRatio("rest", "task_motor", POSTERIOR, 8, 12, [1, 2]);
  assertGreater(ratio, 1.3, `rest / motor posterior alpha power ${ratio}`);
});

Deno.test("working memory shows more frontal theta (4-8 Hz) and story/math more temporal theta than rest", () => {
  const frontal = meanRatio("task_working_memory", "rest", FRONTAL, 4, 8, [1], 4096);
  assertGreater(frontal, 1.3, `memory / rest frontal theta power ${frontal}`);
  const temporal = meanRatio("task_story_math", "rest", TEMPORAL, 4, 8, [1], 4096);
  assertGreater(temporal, 1.15, `math / rest temporal theta power ${temporal}`);
});

Deno.test("every recording carries 60 Hz line noise", () => {
  const nTimes = 4096;
  for (const subject of SUBJECTS) {
    const data = generateRecording("task_working_memory", subject, { nTimes });
    const line = bandPower(data, nTimes, [0, 50, 100, 150, 200], 59.5, 60.5);
    const beside = bandPower(data, nTimes, [0, 50, 100, 150, 200], 54.5, 55.5);
    assertGreater(line / beside, 5, `subject ${subject}: 60 Hz / 55 Hz power ${line / beside}`);
  }
});

Deno.test("chunks of one subject share a sensor power topography that other subjects do not", () => {
  const nTimes = 4096;
  const subjects = ["113922", "164636", "162935"];
  const logSd = (subject: string, chunk: number) =>
    channelSd(generateRecording("rest", subject, { chunk, nTimes }), nTimes).map(Math.log);
  const maps = subjects.map((s) => [logSd(s, 1), logSd(s, 2)]);
  const within = maps.map(([a, b]) => correlation(a, b));
  const across = [
    correlation(maps[0][0], maps[1][0]),
    correlation(maps[0][0], maps[2][0]),
    correlation(maps[1][0], maps[2][0]),
  ];
  assertGreater(Math.min(...within), Math.max(...across), `within ${within}, across ${across}`);
});
