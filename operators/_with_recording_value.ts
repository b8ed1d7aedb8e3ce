/**
 * Shared plumbing of the operators that transform each block with a value
 * computed once per recording (`euclideanAlign`'s matrix, `subjectZscore`'s
 * moments).
 *
 * @module
 */
import { concatMap, defer, from, map, type Observable, type OperatorFunction } from "rxjs";
import type { Block, Recording } from "../core/types.ts";

/**
 * Maps every block with a value of its recording: `valueOf` is asked once per
 * recording path (per subscription) and may answer with a promise; blocks wait,
 * in order, while it is computed. Errors of `valueOf` or `project` fail the stream.
 *
 * @param valueOf The value of a recording.
 * @param project The block made of a block and its recording's value.
 * @returns An operator from blocks to blocks.
 *
 * @example
 * ```ts
 * import { lastValueFrom, of, toArray } from "rxjs";
 * import { withRecordingValue } from "./_with_recording_value.ts";
 * import type { Block, Recording } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const block = (path: string): Block =>
 *   ({ recording: { path } as Recording, startSample: 0, sfreq: 1, nChans: 1, nTimes: 1, data: Float64Array.of(1) });
 * const asked: string[] = [];
 * const scaled = withRecordingValue((r) => {
 *   asked.push(r.path);
 *   return Promise.resolve(r.path === "a" ? 2 : 3);
 * }, (b, k): Block => ({ ...b, data: b.data.map((x) => x * k) }));
 * const out = await lastValueFrom(of(block("a"), block("a"), block("b")).pipe(scaled, toArray()));
 * assertEquals(out.map((b) => b.data[0]), [2, 2, 3]);
 * assertEquals(asked, ["a", "b"]);
 * ```
 */
export function withRecordingValue<T>(
  valueOf: (recording: Recording) => T | Promise<T>,
  project: (block: Block, value: T) => Block,
): OperatorFunction<Block, Block> {
  return (source: Observable<Block>) =>
    defer(() => {
      const values = new Map<string, Promise<T>>();
      const valueFor = (recording: Recording): Promise<T> => {
        let value = values.get(recording.path);
        if (value === undefined) {
          value = Promise.resolve().then(() => valueOf(recording));
          values.set(recording.path, value);
        }
        return value;
      };
      return source.pipe(concatMap((block) => from(valueFor(block.recording)).pipe(map((v) => project(block, v)))));
    });
}
