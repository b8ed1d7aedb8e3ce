/**
 * Does a saliency map sit where the sources are? Pearson correlations over the
 * sensors between each class's saliency map and the field of the sources the
 * data generator put in that class (`synth/class_sources.ts`), overall and per
 * frequency band, and between every class's map and every class's sources.
 *
 * @module
 */

/**
 * Pearson's correlation of two equally long series (0 when either is constant).
 *
 * @param a Values.
 * @param b Values, as many.
 * @returns r in [-1, 1].
 * @throws {RangeError} when the lengths differ or are below 2.
 *
 * @example
 * ```ts
 * import { pearson } from "./source_match.ts";
 * import { assertAlmostEquals } from "@std/assert";
 *
 * assertAlmostEquals(pearson([1, 2, 3], [2, 4, 7]), 0.9934, 1e-4);
 * ```
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n !== b.length || n < 2) {
    throw new RangeError(`Cannot correlate: expected two series of one length >= 2, got ${a.length} and ${b.length}`);
  }
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) [ma, mb] = [ma + a[i] / n, mb + b[i] / n];
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const [da, db] = [a[i] - ma, b[i] - mb];
    [sab, saa, sbb] = [sab + da * db, saa + da * da, sbb + db * db];
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/** What {@linkcode sourceMatch} finds. */
export interface SourceMatch {
  /**
   * Per class: `all` = r of the class's saliency map (all bands) with the field of all its
   * sources, and per band of its sources: r of the class's saliency in that band with the
   * field of its sources in that band (bands without a saliency map are left out).
   */
  own: Record<string, Record<string, number>>;
  /**
   * `cross[sourceClass][band][mapClass]`: r of every class's map (all bands, or the same band)
   * with one class's sources. A map that sits on its own class's sources, and not merely on
   * sources every class's map sits on, has `own` above the other classes' r in its column.
   */
  cross: Record<string, Record<string, Record<string, number>>>;
}

/**
 * Correlates saliency maps with source fields.
 *
 * @param perClass Saliency per class, one value per sensor (`saliency.json`'s `perClass`).
 * @param perBand Saliency per class and band (`saliency.json`'s `perBand`), or `{}`.
 * @param fields Source fields per class: `all` and per band (`classSourceFields`).
 * @returns The correlations.
 *
 * @example
 * ```ts
 * import { sourceMatch } from "./source_match.ts";
 * import { assertAlmostEquals } from "@std/assert";
 *
 * const fields = { a: { all: [1, 0, 0], alpha: [1, 0, 0] }, b: { all: [0, 0, 1] } };
 * const match = sourceMatch({ a: [3, 1, 1], b: [0, 0, 2] }, { a: { alpha: [2, 1, 0] } }, fields);
 * assertAlmostEquals(match.own.a.all, 1); // the map is brightest where a's source is
 * assertAlmostEquals(match.cross.b.all.a, -0.5); // and dark where b's is
 * assertAlmostEquals(match.cross.b.all.b, 1);
 * ```
 */
export function sourceMatch(
  perClass: Record<string, ArrayLike<number>>,
  perBand: Record<string, Record<string, ArrayLike<number>>>,
  fields: Record<string, Record<string, ArrayLike<number>>>,
): SourceMatch {
  const mapOf = (name: string, band: string) => (band === "all" ? perClass[name] : perBand[name]?.[band]);
  const cross: SourceMatch["cross"] = {};
  for (const [source, bands] of Object.entries(fields)) {
    cross[source] = {};
    for (const [band, field] of Object.entries(bands)) {
      const maps = Object.keys(perClass).filter((name) => mapOf(name, band) !== undefined);
      if (maps.length > 0) {
        cross[source][band] = Object.fromEntries(maps.map((m) => [m, pearson(mapOf(m, band)!, field)]));
      }
    }
  }
  const own: SourceMatch["own"] = {};
  for (const name of Object.keys(perClass).filter((n) => n in cross)) {
    own[name] = Object.fromEntries(
      Object.entries(cross[name]).filter(([, r]) => name in r).map(([band, r]) => [band, r[name]]),
    );
  }
  return { own, cross };
}
