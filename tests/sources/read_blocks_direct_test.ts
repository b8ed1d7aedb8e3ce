import h5wasm from "h5wasm/node";
import { lastValueFrom, toArray } from "rxjs";
import { assert, assertEquals, assertInstanceOf, assertStringIncludes } from "@std/assert";
import { h5Module, openH5FileCount, openRecordingFile } from "../../sources/_h5.ts";
import { openDirect } from "../../sources/_direct_read.ts";
import { parseRecordingFileName } from "../../sources/parse_recording_file_name.ts";
import { readBlocks, type ReadBlocksOptions } from "../../sources/read_blocks.ts";
import { DataFileError } from "../../core/errors.ts";
import type { Block, Recording } from "../../core/types.ts";

const FIXTURES = decodeURIComponent(new URL("../fixtures/h5py/", import.meta.url).pathname);
const CONTIGUOUS = `${FIXTURES}valid/Cross/test1/rest_162935_9.h5`; // h5py, 248 x 300 float64
const GZIP = `${FIXTURES}valid/Cross/test1/task_motor_162935_3.h5`; // chunks (62, 128), gzip
const FLOAT32 = `${FIXTURES}valid/Intra/train/task_story_math_105923_1.h5`; // 248 x 300 float32
const USERBLOCK = `${FIXTURES}valid/Intra/train/task_working_memory_105923_2.h5`; // 512-byte user block
const BIG_ENDIAN = `${FIXTURES}valid/Intra/test/rest_105923_3.h5`; // >f8

function recordingOf(path: string): Recording {
  return { path, split: "test", ...parseRecordingFileName(path) };
}

/** The byte offset plain reads would use, or undefined when the file is left to HDF5. */
async function directOffset(path: string): Promise<number | undefined> {
  const module = await h5Module();
  const open = openRecordingFile(module, path, { datasetName: null, expectedChannels: 248 });
  try {
    const direct = openDirect(module, open);
    direct?.handle.close();
    return direct?.offset;
  } finally {
    open.file.close();
  }
}

function bytesOf(blocks: Block[]): Uint8Array[] {
  return blocks.map((b) => new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength));
}

async function assertSameAsHdf5(path: string, options: ReadBlocksOptions): Promise<void> {
  const read = (direct: boolean) =>
    lastValueFrom(readBlocks(recordingOf(path), { ...options, direct }).pipe(toArray()));
  const [plain, hdf5] = [await read(true), await read(false)];
  assertEquals(plain.map((b) => [b.startSample, b.nTimes]), hdf5.map((b) => [b.startSample, b.nTimes]));
  assertEquals(bytesOf(plain), bytesOf(hdf5), `${path} ${JSON.stringify(options)}`);
}

/** A 248 x nTimes float64 file written by h5wasm, values i, with `setup` run on the file first. */
async function writeFile(
  path: string,
  nTimes: number,
  setup: (file: InstanceType<typeof h5wasm.File>) => void,
  chunks?: number[],
) {
  await h5wasm.ready;
  const file = new h5wasm.File(path, "w");
  try {
    setup(file);
    const data = new Float64Array(248 * nTimes).map((_, i) => i);
    file.create_dataset({ name: "rest_1", data, shape: [248, nTimes], dtype: "<d", ...(chunks ? { chunks } : {}) });
  } finally {
    file.close();
  }
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "megflow_read_direct_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("openDirect() finds the byte offset of the samples of contiguous h5py and h5wasm files", async () => {
  for (const path of [CONTIGUOUS, FLOAT32, USERBLOCK]) {
    const offset = await directOffset(path);
    assert(offset !== undefined, path);
    // the fixtures' first sample is sin(0) * 1e-12 = 0 and the second sin(0.01) * 1e-12
    using file = await Deno.open(path);
    const bytes = new Uint8Array(16);
    await file.seek(offset, Deno.SeekMode.Start);
    await file.read(bytes);
    const second = path === FLOAT32 ? new Float32Array(bytes.buffer)[1] : new Float64Array(bytes.buffer)[1];
    assertEquals(second, path === FLOAT32 ? Math.fround(Math.sin(0.01) * 1e-12) : Math.sin(0.01) * 1e-12);
  }
  assert((await directOffset(USERBLOCK))! >= 512);
  await withDir(async (dir) => {
    await writeFile(`${dir}/rest_1_1.h5`, 40, () => {});
    assertEquals(await directOffset(`${dir}/rest_1_1.h5`), 2048); // h5wasm puts the samples at 2048
  });
  assertEquals(openH5FileCount(), 0);
});

Deno.test("openDirect() leaves chunked, compressed and big-endian datasets to HDF5", async () => {
  assertEquals(await directOffset(GZIP), undefined);
  assertEquals(await directOffset(BIG_ENDIAN), undefined);
  await withDir(async (dir) => {
    const path = `${dir}/rest_1_1.h5`;
    await writeFile(path, 40, () => {}, [62, 16]); // chunked, not compressed
    assertEquals(await directOffset(path), undefined);
    const blocks = await lastValueFrom(readBlocks(recordingOf(path), { blockSamples: 16 }).pipe(toArray()));
    assertEquals(blocks[2].data[247 * 8 + 7], 247 * 40 + 39); // last block, last row, last sample
  });
});

Deno.test("openDirect() uses a layout message only when HDF5 reads the same samples at its offset", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/rest_1_1.h5`;
    // a root attribute that looks like a contiguous layout message of the right size, at address 0, ahead of
    // the dataset's own: the superblock is not the samples, so the scan must go on to the real one
    await writeFile(path, 40, (file) => {
      const decoy = new Uint8Array(18);
      decoy.set([3, 1]);
      new DataView(decoy.buffer).setBigUint64(10, BigInt(248 * 40 * 8), true);
      file.create_attribute("decoy", decoy, [18], "<B");
    });
    const bytes = await Deno.readFile(path);
    const at = bytes.findIndex((b, i) => b === 3 && bytes[i + 1] === 1 && bytes[i + 2] === 0 && bytes[i + 3] === 0);
    assert(at >= 0 && at < 2048, "the decoy is in the file's metadata, before the samples");
    assertEquals(await directOffset(path), 2048);
    await assertSameAsHdf5(path, { blockSamples: 7 });
  });
});

Deno.test("readBlocks() with plain reads gives the bytes h5wasm gives, for any block size and sample limit", async () => {
  for (const path of [CONTIGUOUS, FLOAT32, USERBLOCK, GZIP, BIG_ENDIAN]) {
    for (const options of [{ blockSamples: 7 }, { blockSamples: 128, maxSamples: 200 }, { blockSamples: 4096 }]) {
      await assertSameAsHdf5(path, options);
      await assertSameAsHdf5(path, { ...options, float32: true });
    }
  }
  assertEquals(openH5FileCount(), 0);
});

Deno.test("readBlocks() with plain reads still names the channel and sample of a NaN", async () => {
  const path = `${FIXTURES}invalid/nan/rest_100307_6.h5`;
  assert(await directOffset(path) !== undefined);
  let error: unknown;
  await lastValueFrom(readBlocks(recordingOf(path), { blockSamples: 32 }).pipe(toArray())).catch((e) => (error = e));
  assertInstanceOf(error, DataFileError);
  assertStringIncludes(error.message, "found NaN at channel row 16 (A17), sample 50");
});

Deno.test("readBlocks() with checkFinite false emits NaN samples instead of failing", async () => {
  const path = `${FIXTURES}invalid/nan/rest_100307_6.h5`;
  const blocks = await lastValueFrom(
    readBlocks(recordingOf(path), { blockSamples: 32, checkFinite: false }).pipe(toArray()),
  );
  assertEquals(blocks[1].startSample, 32);
  assertEquals(blocks[1].data[16 * 32 + 18], NaN);
});
