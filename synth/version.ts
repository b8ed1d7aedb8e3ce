/**
 * Identity of the synthetic data generator, written into every file it makes
 * and into the name of the default dataset folder. Bump `SYNTH_VERSION`
 * whenever the generated values change, so stale caches are not reused.
 *
 * @module
 */

/** Name of the generator, stored in each synthetic file's root attributes. */
export const SYNTH_GENERATOR = "megflow-synth";

/** Version of the signal model; part of every default dataset folder name. */
export const SYNTH_VERSION = 1;
