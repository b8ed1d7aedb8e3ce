/**
 * The head position of one recording (run): the subject's placement plus a
 * small per-run movement, the first draws of the chunk's random numbers.
 *
 * @module
 */
import type { Random } from "../core/random.ts";
import type { HeadPlacement } from "./_patterns.ts";

/** The run's head placement: three normal draws of `random` (rotation, left-right, back-front shift). */
export function runHead(subjectHead: HeadPlacement, random: Random): HeadPlacement {
  return {
    rotation: subjectHead.rotation + 0.012 * random.normal(),
    scale: subjectHead.scale,
    shiftU: subjectHead.shiftU + 0.012 * random.normal(),
    shiftV: subjectHead.shiftV + 0.012 * random.normal(),
  };
}
