/**
 * The 2-D sensor layout of the 4D Magnes 3600 WH (248 magnetometers).
 *
 * The table `assets/magnes3600wh_layout.tsv` comes from MNE-Python's
 * `magnesWH3600` layout (BSD-3-Clause, Copyright MNE-Python Developers); see
 * `assets/README.md`. Row order equals the row order of every h5 matrix.
 *
 * @module
 */

/** Planar sensor positions, nose up, seen from above. */
export interface SensorLayout {
  /** Channel names (`A1`..`A248`), in matrix row order. */
  channels: string[];
  /** x coordinate of each sensor (arbitrary planar units, left negative). */
  x: Float64Array;
  /** y coordinate of each sensor (arbitrary planar units, front positive). */
  y: Float64Array;
}

/**
 * Parses a layout table with the columns `channel`, `x`, `y` (tab separated).
 *
 * @param text The TSV text, header first.
 * @returns The layout.
 * @throws {TypeError} when a column is missing, a cell is empty or a coordinate is not a number
 *   (naming the line, counted from 1 with blank lines, and the column).
 *
 * @example
 * ```ts
 * import { parseSensorLayout } from "./layout.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const layout = parseSensorLayout("channel\tx\ty\nA1\t-1.5\t2\nA2\t0\t-3\n");
 * assertEquals(layout.channels, ["A1", "A2"]);
 * assertEquals(Array.from(layout.y), [2, -3]);
 * ```
 */
export function parseSensorLayout(text: string): SensorLayout {
  // Line numbers count every line of the text, blank ones included.
  const lines = text.split(/\r?\n/).map((line, i) => ({ line, number: i + 1 })).filter(({ line }) => line.trim());
  const header = (lines.shift()?.line ?? "").split("\t");
  const [ci, xi, yi] = ["channel", "x", "y"].map((name) => header.indexOf(name));
  if (ci < 0 || xi < 0 || yi < 0) {
    throw new TypeError(`Cannot parse sensor layout: expected columns channel, x, y, got ${header.join(", ")}`);
  }
  const channels: string[] = [];
  const x = new Float64Array(lines.length);
  const y = new Float64Array(lines.length);
  lines.forEach(({ line, number }, i) => {
    const cells = line.split("\t");
    const cell = (column: number): string => {
      const value = cells[column]?.trim() ?? "";
      if (value === "") {
        throw new TypeError(
          `Cannot parse sensor layout: line ${number}, column ${column + 1} (${header[column]}) is empty: ${line}`,
        );
      }
      return value;
    };
    channels.push(cell(ci));
    for (const [column, out] of [[xi, x], [yi, y]] as const) {
      out[i] = Number(cell(column));
      if (!Number.isFinite(out[i])) {
        throw new TypeError(
          `Cannot parse sensor layout: line ${number}, column ${column + 1} (${header[column]}) is not a number: ${
            cells[column]
          }`,
        );
      }
    }
  });
  return { channels, x, y };
}

let magnesLayout: SensorLayout | undefined;

/**
 * The Magnes 3600 WH layout shipped with megflow (248 sensors), read once.
 *
 * @returns The layout; callers must not modify its arrays.
 *
 * @example
 * ```ts
 * import { magnes3600Layout } from "./layout.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const layout = magnes3600Layout();
 * assertEquals(layout.channels.length, 248);
 * assertEquals(layout.channels[0], "A1");
 * ```
 */
export function magnes3600Layout(): SensorLayout {
  magnesLayout ??= parseSensorLayout(
    Deno.readTextFileSync(new URL("../assets/magnes3600wh_layout.tsv", import.meta.url)),
  );
  return magnesLayout;
}
