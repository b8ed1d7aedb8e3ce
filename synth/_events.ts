/**
 * Event timelines of the four HCP-like task types, in seconds from the start
 * of a chunk (events before 0 are kept when their responses reach into it).
 *
 * @module
 */
import type { Random } from "../core/random.ts";
import type { TaskType } from "../core/types.ts";

/** A transient event with a relative amplitude. */
export interface TimedEvent {
  timeSeconds: number;
  amplitude: number;
}

/** Effector of a movement: 0 left hand, 1 right hand, 2 left foot, 3 right foot. */
export type Effector = 0 | 1 | 2 | 3;

/** A movement (or button press). */
export interface Movement extends TimedEvent {
  effector: Effector;
}

/** A block of repeated movements with one effector. */
export interface MotorBlock {
  startSeconds: number;
  endSeconds: number;
  effector: Effector;
}

/** What happens during one chunk of a task. */
export interface Timeline {
  /** Auditory evoked responses (phrase onsets strong, syllables weak). */
  auditory: TimedEvent[];
  /** Periods of heard speech, [start, end] seconds. */
  speech: Array<[number, number]>;
  /** Visual stimulus onsets and offsets. */
  visual: TimedEvent[];
  /** Movements and button presses. */
  movements: Movement[];
  /** Motor task blocks (event-related desynchronization). */
  motorBlocks: MotorBlock[];
  /** Working-memory trial onsets (alpha suppression, theta increase). */
  trials: number[];
}

function jitter(random: Random, sigma: number): number {
  return Math.exp(sigma * random.normal());
}

function motorTimeline(random: Random, durationSeconds: number, timeline: Timeline): void {
  // HCP motor task: 12 s blocks of paced movements of one effector (left/right
  // hand or foot), each announced by a visual cue, separated by short pauses.
  let t = -random.uniform(0, 12);
  while (t < durationSeconds) {
    if (random.next() < 0.2) t += random.uniform(2, 5); // fixation
    const effector = random.int(4) as Effector;
    const start = t, end = t + 12;
    timeline.motorBlocks.push({ startSeconds: start, endSeconds: end, effector });
    timeline.visual.push({ timeSeconds: start, amplitude: 0.6 * jitter(random, 0.3) });
    let m = start + random.uniform(0.6, 1.2);
    while (m < end) {
      timeline.movements.push({ timeSeconds: m, amplitude: jitter(random, 0.3), effector });
      m += random.uniform(1.0, 1.6);
    }
    t = end + random.uniform(0.5, 1.5);
  }
}

function storyMathTimeline(random: Random, durationSeconds: number, reactionSeconds: number, timeline: Timeline): void {
  // Spoken stories and arithmetic problems: phrases with syllable-rate
  // auditory responses, short pauses, now and then an answer (button press).
  let t = -random.uniform(0, 4);
  while (t < durationSeconds) {
    const phraseEnd = t + random.uniform(0.8, 2.6);
    timeline.speech.push([t, phraseEnd]);
    timeline.auditory.push({ timeSeconds: t, amplitude: jitter(random, 0.3) });
    let s = t + random.uniform(0.15, 0.3);
    while (s < phraseEnd) {
      timeline.auditory.push({ timeSeconds: s, amplitude: 0.35 * jitter(random, 0.4) });
      s += random.uniform(0.14, 0.32);
    }
    t = phraseEnd + random.uniform(0.15, 0.6);
    if (random.next() < 0.12) {
      const press = t + reactionSeconds + random.uniform(0.3, 1.2);
      timeline.movements.push({
        timeSeconds: press,
        amplitude: 0.5 * jitter(random, 0.3),
        effector: random.next() < 0.5 ? 1 : 0,
      });
      t = press + random.uniform(1.0, 2.5);
    }
  }
}

function workingMemoryTimeline(
  random: Random,
  durationSeconds: number,
  reactionSeconds: number,
  timeline: Timeline,
): void {
  // N-back with pictures: a 2.5 s block cue, then 10 trials of 2 s stimulus +
  // 0.5 s fixation, a right-hand button press on (almost) every trial.
  let t = -random.uniform(0, 27.5);
  while (t < durationSeconds) {
    timeline.visual.push({ timeSeconds: t, amplitude: 0.8 * jitter(random, 0.3) });
    for (let k = 0; k < 10; k++) {
      const onset = t + 2.5 + 2.5 * k;
      timeline.trials.push(onset);
      timeline.visual.push({ timeSeconds: onset, amplitude: jitter(random, 0.3) });
      timeline.visual.push({ timeSeconds: onset + 2, amplitude: 0.35 * jitter(random, 0.3) });
      if (random.next() < 0.9) {
        const press = onset + reactionSeconds + 0.12 * random.normal();
        timeline.movements.push({ timeSeconds: press, amplitude: 0.5 * jitter(random, 0.3), effector: 1 });
      }
    }
    t += 27.5;
    if (random.next() < 0.35) t += random.uniform(2, 6); // fixation block (shortened)
  }
}

/** The events of one chunk of `taskType` lasting `durationSeconds`. */
export function taskTimeline(
  taskType: TaskType,
  random: Random,
  durationSeconds: number,
  reactionSeconds: number,
): Timeline {
  const timeline: Timeline = { auditory: [], speech: [], visual: [], movements: [], motorBlocks: [], trials: [] };
  if (taskType === "task_motor") motorTimeline(random, durationSeconds, timeline);
  else if (taskType === "task_story_math") storyMathTimeline(random, durationSeconds, reactionSeconds, timeline);
  else if (taskType === "task_working_memory") {
    workingMemoryTimeline(random, durationSeconds, reactionSeconds, timeline);
  }
  return timeline;
}
