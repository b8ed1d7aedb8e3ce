/**
 * Reads a raw recording and resamples it, the way both `readResampled` (on the
 * stream's thread) and the `ResamplePool`'s workers do: the reader lends each block
 * to the resampler (which copies it) and does not scan the raw samples for NaN or
 * infinite values; the 16 times smaller resampled blocks are scanned instead.
 *
 * Every output of the resampler is a sum of `tap * x` over taps that together reach
 * every input sample (the last outputs through the zero padding of the flush), and a
 * NaN or infinite `x` makes its product, and so the sum, non-finite. So a recording
 * with a bad sample always makes a non-finite output block. The recording is then read
 * again with the check on, which fails with the same `DataFileError` as a checked read
 * (the file, channel row, channel name and sample). Should that read find nothing (finite
 * samples so large that their float32 outputs overflow), the block passes, as before.
 *
 * @module
 */
import { concat, concatMap, defer, ignoreElements, type Observable, of } from "rxjs";
import { resample } from "../operators/resample.ts";
import { readBlocks, type ReadBlocksOptions } from "../sources/read_blocks.ts";
import { type Block, RAW_SFREQ, type Recording } from "../core/types.ts";
import { firstNonFinite } from "../core/_first_non_finite.ts";

/**
 * The recording's blocks resampled to `toHz`, failing with the reader's `DataFileError`
 * for a NaN or infinite sample (see the module notes).
 */
export function readAndResample(
  recording: Recording,
  options: ReadBlocksOptions & { toHz: number },
): Observable<Block> {
  return defer(() => {
    let rescanned = false;
    const { toHz, gate: _gate, ...reading } = options;
    return readBlocks(recording, { ...options, borrow: true, checkFinite: false }).pipe(
      resample({ toHz, fromHz: options.sfreq ?? RAW_SFREQ }),
      concatMap((block) => {
        if (rescanned || firstNonFinite(block.data) < 0) return of(block);
        rescanned = true;
        const checked = readBlocks(recording, { ...reading, borrow: true, checkFinite: true });
        return concat(checked.pipe(ignoreElements()), of(block));
      }),
    );
  });
}
