import h5wasm from "h5wasm/node";
import { lastValueFrom, type Observable, take, tap, toArray } from "rxjs";
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertInstanceOf,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { openH5FileCount } from "../../sources/_h5.ts";
import { catalog, recordingsOf } from "../../sources/catalog.ts";
import { DataFileError } from "../../core/errors.ts";
import { parseRecordingFileName } from "../../sources/parse_recording_file_name.ts";
import { PullGate } from "../../core/pull_gate.ts";
import { readBlocks } from "../../sources/read_blocks.ts";
import type { Block, Recording } from "../../core/types.ts";

const FIXTURES = decodeURIComponent(new URL("../fixtures/h5py/", import.meta.url).pathname);
const CONTIGUOUS = `${FIXTURES}valid/Cross/test1/rest_162935_9.h5`; // 248 x 300 float64
const GZIP = `${FIXTURES}valid/Cross/test1/task_motor_162935_3.h5`; // same values, chunks (62, 128), gzip
const FLOAT32 = `${FIXTURES}valid/Intra/train/task_story_math_105923_1.h5`; // 248 x 300 float32
const USERBLOCK = `${FIXTURES}valid/Intra/train/task_working_memory_105923_2.h5`; // 248 x 40, 512-byte user block
const BIG_ENDIAN = `${FIXTURES}valid/Intra/test/rest_105923_3.h5`; // 248 x 40 >f8

/** The fixtures' formula (tests/fixtures/make_h5_fixtures.py). */
function expected(channel: number, sample: number): number {
  return Math.sin(channel * 0.1 + sample * 0.01) * 1e-12;
}

function recordingOf(path: string): Recording {
  return { path, split: "test", ...parseRecordingFileName(path) };
}

function readAll(path: string, options: Parameters<typeof readBlocks>[1] = {}): Promise<Block[]> {
  return lastValueFrom(readBlocks(recordingOf(path), options).pipe(toArray()));
}

/** Blocks emitted before the Observable ended, and its error if it failed. */
function collect(source: Observable<Block>): Promise<{ blocks: Block[]; error?: unknown }> {
  return new Promise((resolve) => {
    const blocks: Block[] = [];
    source.subscribe({
      next: (block) => blocks.push(block),
      error: (error) => resolve({ blocks, error }),
      complete: () => resolve({ blocks }),
    });
  });
}

async function readError(path: string, options: Parameters<typeof readBlocks>[1] = {}): Promise<DataFileError> {
  const { error } = await collect(readBlocks(recordingOf(path), options));
  assertInstanceOf(error, DataFileError);
  assertEquals(error.path, path);
  assertStringIncludes(error.message, path);
  return error;
}

async function ticks(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

function assertBlockValues(block: Block, tolerance: number, round: (x: number) => number = (x) => x) {
  for (let c = 0; c < block.nChans; c++) {
    for (let t = 0; t < block.nTimes; t++) {
      const value = block.data[c * block.nTimes + t];
      const want = round(expected(c, block.startSample + t));
      if (Math.abs(value - want) > tolerance) {
        assertAlmostEquals(value, want, tolerance, `channel ${c}, sample ${block.startSample + t}`);
      }
    }
  }
}

Deno.test("readBlocks() emits blocks that cover every sample once, in order, with the file's values", async () => {
  const recording = recordingOf(CONTIGUOUS);
  const blocks = await lastValueFrom(readBlocks(recording, { blockSamples: 128 }).pipe(toArray()));
  assertEquals(blocks.map((b) => [b.startSample, b.nTimes]), [[0, 128], [128, 128], [256, 44]]);
  for (const block of blocks) {
    assertEquals(block.recording, recording);
    assertEquals(block.nChans, 248);
    assertEquals(block.sfreq, 2034);
    assertInstanceOf(block.data, Float64Array);
    assertEquals(block.data.length, 248 * block.nTimes);
    assertBlockValues(block, 1e-26);
  }
  assertEquals(blocks[0].data[0], 0);
  assertEquals(openH5FileCount(), 0);
});

Deno.test("readBlocks() reads a whole recording as one block when blockSamples exceeds its length", async () => {
  const blocks = await readAll(CONTIGUOUS);
  assertEquals(blocks.map((b) => [b.startSample, b.nTimes]), [[0, 300]]);
  assertBlockValues(blocks[0], 1e-26);
});

Deno.test("readBlocks() reads gzip-compressed chunked files exactly as contiguous ones", async () => {
  for (const blockSamples of [100, 128, 7]) {
    const plain = await readAll(CONTIGUOUS, { blockSamples });
    const gzip = await readAll(GZIP, { blockSamples });
    assertEquals(gzip.map((b) => b.startSample), plain.map((b) => b.startSample));
    gzip.forEach((block, i) => assertEquals(block.data, plain[i].data));
  }
});

Deno.test("readBlocks() accepts float32 files and keeps their precision", async () => {
  const blocks = await readAll(FLOAT32, { blockSamples: 256 });
  assertEquals(blocks.map((b) => b.nTimes), [256, 44]);
  for (const block of blocks) {
    assertInstanceOf(block.data, Float32Array);
    assertBlockValues(block, 0, Math.fround);
  }
});

Deno.test("readBlocks() converts float64 files to Float32Array when float32 is set", async () => {
  const [wide] = await readAll(CONTIGUOUS);
  const [narrow] = await readAll(CONTIGUOUS, { float32: true });
  assertInstanceOf(narrow.data, Float32Array);
  assertEquals(narrow.data, Float32Array.from(wide.data));
});

Deno.test("readBlocks() reads files with an HDF5 user block", async () => {
  const blocks = await readAll(USERBLOCK, { blockSamples: 16 });
  assertEquals(blocks.map((b) => [b.startSample, b.nTimes]), [[0, 16], [16, 16], [32, 8]]);
  blocks.forEach((block) => assertBlockValues(block, 1e-26));
});

Deno.test("readBlocks() reads big-endian float64 files as native numbers", async () => {
  const blocks = await readAll(BIG_ENDIAN, { blockSamples: 32 });
  assertEquals(blocks.map((b) => [b.startSample, b.nTimes]), [[0, 32], [32, 8]]);
  blocks.forEach((block) => assertBlockValues(block, 1e-26));
});

Deno.test("readBlocks() reads every recording that catalog() finds in the valid fixtures", async () => {
  const recordings = recordingsOf(await catalog(`${FIXTURES}valid`));
  const lengths: number[] = [];
  for (const recording of recordings) {
    const blocks = await lastValueFrom(readBlocks(recording, { blockSamples: 64 }).pipe(toArray()));
    lengths.push(blocks.reduce((sum, block) => sum + block.nTimes, 0));
    blocks.forEach((block) =>
      assertBlockValues(block, 1e-26, block.data instanceof Float32Array ? Math.fround : undefined)
    );
  }
  assertEquals(lengths, [300, 300, 40, 300, 40]);
});

Deno.test("readBlocks() reads only the first maxSamples samples", async () => {
  const blocks = await readAll(CONTIGUOUS, { blockSamples: 128, maxSamples: 150 });
  assertEquals(blocks.map((b) => [b.startSample, b.nTimes]), [[0, 128], [128, 22]]);
  blocks.forEach((block) => assertBlockValues(block, 1e-26));
  const all = await readAll(CONTIGUOUS, { maxSamples: 10_000 });
  assertEquals(all.map((b) => b.nTimes), [300]);
});

Deno.test("readBlocks() copies sfreq into every block", async () => {
  const blocks = await readAll(CONTIGUOUS, { blockSamples: 200, sfreq: 2034.51 });
  assertEquals(blocks.map((b) => b.sfreq), [2034.51, 2034.51]);
});

Deno.test("readBlocks() emits fresh arrays that later blocks do not overwrite", async () => {
  const blocks = await readAll(CONTIGUOUS, { blockSamples: 100 });
  assertEquals(blocks[0].data[1], expected(0, 1));
  assertEquals(blocks[1].data[1], expected(0, 101));
  assert(blocks[0].data.buffer !== blocks[1].data.buffer);
});

Deno.test("readBlocks() with borrow lends views of one buffer, each holding its block while next() runs", async () => {
  const seen: { buffer: ArrayBufferLike; first: number; last: number }[] = [];
  await lastValueFrom(
    readBlocks(recordingOf(CONTIGUOUS), { blockSamples: 128, borrow: true }).pipe(
      // what a synchronous consumer sees inside next()
      tap((block) => {
        assertBlockValues(block, 1e-26);
        seen.push({ buffer: block.data.buffer, first: block.data[0], last: block.data[block.data.length - 1] });
      }),
      toArray(),
    ),
  );
  assertEquals(seen.length, 3);
  assertEquals(seen.map((s) => s.first), [0, 128, 256].map((t) => expected(0, t)));
  assertEquals(seen[2].last, expected(247, 299));
  assert(seen.every((s) => s.buffer === seen[0].buffer), "one buffer, overwritten by each read");
});

Deno.test("readBlocks() is cold: every subscription reads the file anew", async () => {
  const source = readBlocks(recordingOf(CONTIGUOUS), { blockSamples: 128 });
  const [first, second] = await Promise.all([
    lastValueFrom(source.pipe(toArray())),
    lastValueFrom(source.pipe(toArray())),
  ]);
  assertEquals(first.length, 3);
  assertEquals(second.map((b) => b.data), first.map((b) => b.data));
  assert(first[0].data !== second[0].data);
});

const INVALID: [string, string[]][] = [
  ["invalid/int16/rest_100307_1.h5", ["expected float64 or float32", "found dtype int16"]],
  ["invalid/rows_247/rest_100307_2.h5", ["expected 248 rows", "found shape [247, 40]"]],
  ["invalid/transposed/rest_100307_3.h5", ["expected 248 rows", "found shape [40, 248]", "transposed"]],
  ["invalid/two_datasets/rest_100307_4.h5", [
    "expected exactly one dataset named rest_100307",
    "found 2: extra, rest_100307",
  ]],
  ["invalid/wrong_name/rest_100307_5.h5", [
    "expected one dataset named rest_100307",
    "found one named task_motor_100307",
  ]],
  ["invalid/nan/rest_100307_6.h5", ["expected finite samples", "found NaN", "channel row 16 (A17)", "sample 50"]],
  ["invalid/not_h5/rest_100307_7.h5", ["not an HDF5 file", "expected the signature", 'found "This is "']],
  ["invalid/no_dataset/rest_100307_8.h5", ["expected one dataset named rest_100307", "found no dataset"]],
  ["invalid/missing/rest_100307_9.h5", ["file does not exist"]],
  ["invalid/lzf/rest_100307_10.h5", ["compressed with lzf (filter id 32000)", "expected no compression or gzip"]],
];

Deno.test("readBlocks() rejects every invalid fixture with a DataFileError naming the file and the problem", async () => {
  for (const [file, fragments] of INVALID) {
    const error = await readError(`${FIXTURES}${file}`);
    for (const fragment of fragments) assertStringIncludes(error.message, fragment, `${file}: ${error.message}`);
  }
  assertEquals(openH5FileCount(), 0);
});

Deno.test("readBlocks() emits the blocks before a NaN and reports the NaN's absolute sample index", async () => {
  const path = `${FIXTURES}invalid/nan/rest_100307_6.h5`;
  const { blocks, error } = await collect(readBlocks(recordingOf(path), { blockSamples: 32 }));
  assertEquals(blocks.map((b) => b.startSample), [0]);
  assertInstanceOf(error, DataFileError);
  assertStringIncludes(error.message, "channel row 16 (A17), sample 50");
  assertEquals(openH5FileCount(), 0);
});

Deno.test("readBlocks() reports infinite values in files written by h5wasm", async () => {
  const dir = await Deno.makeTempDir({ prefix: "megflow_read_blocks_" });
  try {
    const path = `${dir}/task_motor_1_1.h5`;
    await h5wasm.ready;
    const data = new Float64Array(248 * 10);
    data[247 * 10 + 9] = -Infinity;
    const file = new h5wasm.File(path, "w");
    try {
      file.create_dataset({ name: "task_motor_1", data, shape: [248, 10], dtype: "<d" });
    } finally {
      file.close();
    }
    const error = await readError(path, { blockSamples: 4 });
    assertStringIncludes(error.message, "found -Infinity at channel row 247 (A248), sample 9");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readBlocks() rejects truncated files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "megflow_read_blocks_" });
  try {
    const original = await Deno.readFile(CONTIGUOUS);
    const cases: [number, string][] = [
      [
        original.length - 1000,
        `its HDF5 superblock says ${original.length} bytes, the file has ${original.length - 1000}`,
      ],
      [300_000, "truncated file"],
      [2000, "truncated file"],
      [40, "truncated file: it ends at byte 40, inside the HDF5 superblock"],
      [5, "not an HDF5 file"],
    ];
    for (const [length, fragment] of cases) {
      const path = `${dir}/rest_162935_9.h5`;
      await Deno.writeFile(path, original.subarray(0, length));
      const error = await readError(path);
      assertStringIncludes(error.message, fragment);
    }
    const gzip = await Deno.readFile(GZIP);
    const path = `${dir}/task_motor_162935_3.h5`;
    await Deno.writeFile(path, gzip.subarray(0, 60_000));
    assertStringIncludes((await readError(path)).message, "truncated file");
    await Deno.writeFile(path, new Uint8Array());
    assertStringIncludes((await readError(path)).message, "not an HDF5 file: the file is empty");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assertEquals(openH5FileCount(), 0);
});

Deno.test("readBlocks() rejects corrupt files with the HDF5 reason and can read valid files afterwards", async () => {
  const dir = await Deno.makeTempDir({ prefix: "megflow_read_blocks_" });
  try {
    // Overwritten object header of the contiguous file.
    const header = await Deno.readFile(CONTIGUOUS);
    header.fill(0xff, 800, 816);
    const headerPath = `${dir}/rest_162935_9.h5`;
    await Deno.writeFile(headerPath, header);
    const headerError = await readError(headerPath);
    assertStringIncludes(headerError.message, "HDF5 error: bad object header version number");

    // Overwritten bytes inside a compressed chunk: the read itself fails.
    const chunk = await Deno.readFile(GZIP);
    chunk.fill(0x55, 50_000, 50_064);
    const chunkPath = `${dir}/task_motor_162935_3.h5`;
    await Deno.writeFile(chunkPath, chunk);
    const { blocks, error } = await collect(readBlocks(recordingOf(chunkPath), { blockSamples: 100 }));
    assertInstanceOf(error, DataFileError);
    assertStringIncludes(error.message, `${chunkPath}: cannot read samples ${blocks.length * 100} to`);
    assertStringIncludes(error.message, "HDF5 error: filter returned failure during read");

    // Overwritten superblock version.
    const superblock = await Deno.readFile(CONTIGUOUS);
    superblock[8] = 7;
    await Deno.writeFile(headerPath, superblock);
    assertStringIncludes((await readError(headerPath)).message, "expected superblock version 0 to 3, found 7");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assertEquals(openH5FileCount(), 0);
  const [block] = await readAll(CONTIGUOUS);
  assertBlockValues(block, 1e-26);
});

Deno.test("readBlocks() rejects a folder passed as a file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "megflow_read_blocks_" });
  try {
    await Deno.mkdir(`${dir}/rest_1_1.h5`);
    const error = await readError(`${dir}/rest_1_1.h5`);
    assertStringIncludes(error.message, "expected an HDF5 file, found a folder");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readBlocks() reads no further block while the gate's pending count is at its mark", async () => {
  const gate = new PullGate(1);
  const blocks: Block[] = [];
  let completed = false;
  const subscription = readBlocks(recordingOf(CONTIGUOUS), { blockSamples: 64, gate }).subscribe({
    next: (block) => {
      gate.take();
      blocks.push(block);
    },
    complete: () => (completed = true),
  });
  try {
    await ticks();
    assertEquals(blocks.length, 1);
    assertEquals(openH5FileCount(), 1);
    gate.release();
    await ticks();
    assertEquals(blocks.map((b) => b.startSample), [0, 64]);
    gate.release();
    gate.release(); // releasing more than pending leaves the count at 0: one more block, then wait again
    await ticks();
    assertEquals(blocks.map((b) => b.startSample), [0, 64, 128]);
    for (let i = 0; i < 2; i++) {
      gate.release();
      await ticks();
    }
    assertEquals(blocks.map((b) => b.startSample), [0, 64, 128, 192, 256]);
    assert(completed);
    assertEquals(openH5FileCount(), 0);
  } finally {
    subscription.unsubscribe();
  }
});

Deno.test("readBlocks() closes the file when unsubscribed while waiting for the gate", async () => {
  const gate = new PullGate(1);
  let count = 0;
  const subscription = readBlocks(recordingOf(GZIP), { blockSamples: 64, gate }).subscribe(() => {
    gate.take();
    count++;
  });
  await ticks();
  assertEquals(count, 1);
  assertEquals(openH5FileCount(), 1);
  subscription.unsubscribe();
  assertEquals(openH5FileCount(), 0);
  gate.release();
  await ticks();
  assertEquals(count, 1);
  assertEquals(openH5FileCount(), 0);
});

Deno.test("readBlocks() closes the file when the consumer unsubscribes inside next()", async () => {
  let completedWithOpenFiles = -1;
  const blocks = await lastValueFrom(
    readBlocks(recordingOf(CONTIGUOUS), { blockSamples: 64 }).pipe(take(2), toArray()),
  ).finally(() => (completedWithOpenFiles = openH5FileCount()));
  assertEquals(blocks.map((b) => b.startSample), [0, 64]);
  assertEquals(completedWithOpenFiles, 0);
});

Deno.test("readBlocks() closes the file before it completes", async () => {
  const openAtComplete = await new Promise<number>((resolve, reject) => {
    readBlocks(recordingOf(CONTIGUOUS), { blockSamples: 64 }).subscribe({
      error: reject,
      complete: () => resolve(openH5FileCount()),
    });
  });
  assertEquals(openAtComplete, 0);
});

Deno.test("readBlocks() opens nothing when unsubscribed before the first read", async () => {
  let emitted = 0;
  readBlocks(recordingOf(CONTIGUOUS)).subscribe(() => emitted++).unsubscribe();
  await ticks();
  assertEquals(emitted, 0);
  assertEquals(openH5FileCount(), 0);
});

Deno.test("readBlocks() checks its arguments", () => {
  const recording = recordingOf(CONTIGUOUS);
  for (const blockSamples of [0, -1, 1.5, NaN]) {
    assertThrows(() => readBlocks(recording, { blockSamples }), RangeError, "blockSamples");
  }
  assertThrows(() => readBlocks(recording, { maxSamples: 0 }), RangeError, "maxSamples");
  assertThrows(() => readBlocks(recording, { expectedChannels: 0 }), RangeError, "expectedChannels");
  assertThrows(() => readBlocks(recording, { sfreq: 0 }), RangeError, "sfreq");
  assertThrows(() => readBlocks(recording, { gate: {} as PullGate }), TypeError, "gate");
  assertThrows(() => readBlocks({ path: 1 } as unknown as Recording), TypeError, "Recording");
});

Deno.test("readBlocks() checks the row count against expectedChannels", async () => {
  const error = await readError(`${FIXTURES}invalid/rows_247/rest_100307_2.h5`, { expectedChannels: 248 });
  assertStringIncludes(error.message, "expected 248 rows");
  const blocks = await readAll(`${FIXTURES}invalid/rows_247/rest_100307_2.h5`, { expectedChannels: 247 });
  assertEquals(blocks.map((b) => [b.nChans, b.nTimes]), [[247, 40]]);
  assertBlockValues(blocks[0], 1e-26);
});
