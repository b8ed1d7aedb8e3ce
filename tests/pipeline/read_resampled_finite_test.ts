import { assertEquals, assertInstanceOf, assertStringIncludes } from "@std/assert";
import { lastValueFrom, toArray } from "rxjs";
import { DataFileError } from "../../core/errors.ts";
import { readResampled } from "../../pipeline/read_resampled.ts";
import { ResamplePool } from "../../pipeline/resample_pool.ts";
import { readBlocks } from "../../sources/read_blocks.ts";
import type { Recording } from "../../core/types.ts";
import { writeRecording } from "../_recordings.ts";

async function failure(run: () => Promise<unknown>): Promise<DataFileError> {
  let error: unknown;
  await run().catch((e) => (error = e));
  assertInstanceOf(error, DataFileError);
  return error;
}

/** The error of a read that checks every raw sample (readBlocks' default). */
function checkedReadError(recording: Recording, blockSamples: number): Promise<DataFileError> {
  return failure(() => lastValueFrom(readBlocks(recording, { blockSamples }).pipe(toArray())));
}

// The resampling readers scan only the resampled outputs; a bad raw sample anywhere, the last one included (it
// reaches an output only through the flush's zero padding), must still fail with the checked read's message.
const BAD: [channel: number, sample: number, value: number][] = [
  [0, 0, NaN],
  [247, 1023, NaN], // the last sample of the first block
  [3, 2999, NaN], // the recording's last sample
  [100, 2000, Infinity],
  [5, 1500, -Infinity],
];

Deno.test("readResampled() names the channel and sample of a non-finite raw sample, with and without workers", async () => {
  const dir = await Deno.makeTempDir();
  const pool = new ResamplePool({ workers: 1 });
  try {
    for (const [i, [channel, sample, value]] of BAD.entries()) {
      const recording = await writeRecording(
        `${dir}/data`,
        "rest",
        "1",
        i + 1,
        3000,
        (c, t) => (c === channel && t === sample ? value : 1e-12),
      );
      const expected = await checkedReadError(recording, 1024);
      assertStringIncludes(expected.message, `channel row ${channel} (A${channel + 1}), sample ${sample}`);
      for (const options of [{ blockSamples: 1024 }, { blockSamples: 1024, pool }]) {
        const error = await failure(() => lastValueFrom(readResampled(recording, options).pipe(toArray())));
        assertEquals([error.path, error.message], [recording.path, expected.message]);
      }
    }
  } finally {
    pool.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readResampled() passes finite raw samples whose float32 outputs overflow, as a checked read does", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recording = await writeRecording(`${dir}/data`, "rest", "1", 1, 3000, (c, t) => (c === 2 ? 1e300 : t));
    const blocks = await lastValueFrom(readResampled(recording, { blockSamples: 1024 }).pipe(toArray()));
    const row2 = blocks.flatMap((b) => [...b.data.subarray(2 * b.nTimes, 3 * b.nTimes)]);
    assertEquals(row2.some((x) => x === Infinity), true);
    assertEquals(blocks.reduce((n, b) => n + b.nTimes, 0), Math.ceil((3000 * 125) / 2034));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
