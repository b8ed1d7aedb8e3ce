/**
 * Fuzz child process of `read_blocks_fuzz_test.ts`: writes small recordings (contiguous, and
 * chunked with shuffle + gzip, each with attributes), derives seeded random mutations of them
 * (bytes flipped, ranges zeroed or overwritten, truncations, attributes removed or garbled), and
 * reads each one as a run would (`validateRecordings`, then every block with `readBlocks`).
 *
 * `deno run -A tests/sources/_fuzz_h5.ts SEED COUNT DIR` prints one JSON line before each file
 * (`{"start":i,"mutation":...}`) and one after (`{"done":i,"outcome":"ok"|"DataFileError"|...}`),
 * then `{"summary":...}` with the open h5 files and emscripten streams left, and whether the
 * pristine files still read correctly. The parent watches the lines, so a hang or a crash of this
 * process is reported with the mutation that caused it.
 *
 * @module
 */
import h5wasm from "h5wasm/node";
import { lastValueFrom, toArray } from "rxjs";
import { Random } from "../../core/random.ts";
import { DataFileError } from "../../core/errors.ts";
import type { Recording } from "../../core/types.ts";
import { readBlocks } from "../../sources/read_blocks.ts";
import { validateRecordings } from "../../sources/validate_recordings.ts";
import { ResamplePool } from "../../pipeline/resample_pool.ts";
import { h5Module, openH5FileCount, recycledH5ModuleCount } from "../../sources/_h5.ts";

const N_TIMES = 96;

/** A mutation of a base file, described so that a failure can be reproduced. */
interface Mutation {
  base: number;
  kind: string;
  detail: string;
  bytes: Uint8Array;
}

async function writeBase(dir: string, chunked: boolean): Promise<{ path: string; data: Float64Array }> {
  await h5wasm.ready;
  const path = `${dir}/base_${chunked ? "chunked" : "contiguous"}/rest_1_1.h5`;
  await Deno.mkdir(`${dir}/base_${chunked ? "chunked" : "contiguous"}`, { recursive: true });
  const data = new Float64Array(248 * N_TIMES).map((_, i) => Math.sin(i * 0.37) * 1e-12);
  const file = new h5wasm.File(path, "w");
  const dataset = file.create_dataset({
    name: "rest_1",
    data,
    shape: [248, N_TIMES],
    dtype: "<d",
    ...(chunked ? { chunks: [62, 48], compression: "gzip", compression_opts: 4, shuffle: true } : {}),
  });
  dataset.create_attribute("units", "T");
  dataset.create_attribute("sfreq", 2034, null, "<d");
  file.create_attribute("description", "fuzz base recording ".repeat(4));
  file.close();
  return { path, data };
}

/** The same file without its attributes (rewritten through h5wasm). */
function withoutAttributes(path: string, to: string): Uint8Array {
  Deno.copyFileSync(path, to);
  const file = new h5wasm.File(to, "a");
  file.delete_attribute("description");
  const dataset = file.get("rest_1") as InstanceType<typeof h5wasm.Dataset>;
  dataset.delete_attribute("units");
  file.close();
  return Deno.readFileSync(to);
}

function indexOf(haystack: Uint8Array, needle: string): number {
  const bytes = new TextEncoder().encode(needle);
  outer: for (let i = 0; i + bytes.length <= haystack.length; i++) {
    for (let j = 0; j < bytes.length; j++) if (haystack[i + j] !== bytes[j]) continue outer;
    return i;
  }
  return -1;
}

function mutate(random: Random, base: number, original: Uint8Array, stripped: Uint8Array): Mutation {
  const bytes = original.slice();
  const n = bytes.length;
  // metadata lives in the first few kB of these files; half the edits aim there
  const at = () => (random.next() < 0.5 ? random.int(Math.min(n, 4096)) : random.int(n));
  const kind = ["flip", "flip", "zero", "overwrite", "truncate", "attribute", "attribute-removed"][random.int(7)];
  switch (kind) {
    case "flip": {
      const k = 1 + random.int(8);
      const where = Array.from({ length: k }, at);
      for (const i of where) bytes[i] ^= 1 << random.int(8);
      return { base, kind, detail: `bits at ${where.join(",")}`, bytes };
    }
    case "zero":
    case "overwrite": {
      const start = at();
      const length = 1 + random.int(64);
      for (let i = start; i < Math.min(n, start + length); i++) bytes[i] = kind === "zero" ? 0 : random.int(256);
      return { base, kind, detail: `${length} bytes at ${start}`, bytes };
    }
    case "truncate": {
      const length = random.next() < 0.5 ? random.int(Math.min(n, 4096)) : random.int(n);
      return { base, kind, detail: `to ${length} bytes`, bytes: bytes.slice(0, length) };
    }
    case "attribute": {
      const name = ["units", "sfreq", "description"][random.int(3)];
      const start = Math.max(0, indexOf(bytes, name) - random.int(48));
      const length = 1 + random.int(48);
      for (let i = start; i < Math.min(n, start + length); i++) bytes[i] = random.int(256);
      return { base, kind, detail: `${length} bytes garbled at ${start} near attribute ${name}`, bytes };
    }
    default: {
      const copy = stripped.slice();
      const i = random.int(copy.length);
      if (random.next() < 0.5) copy[i] ^= 1 << random.int(8);
      return { base, kind, detail: `attributes removed, bit flipped at ${i}`, bytes: copy };
    }
  }
}

/** File descriptors open in this process (h5wasm's emscripten file system uses real ones), -1 without /proc. */
function openDescriptors(): number {
  try {
    return [...Deno.readDirSync("/proc/self/fd")].length;
  } catch {
    return -1;
  }
}

/** Streams open in the emscripten file system of the module that reads now. */
async function openStreams(): Promise<number> {
  const module = await h5Module();
  return (module.FS as unknown as { streams: unknown[] }).streams.filter(Boolean).length;
}

async function readAll(recording: Recording): Promise<Float64Array> {
  await validateRecordings([recording]);
  const blocks = await lastValueFrom(readBlocks(recording, { blockSamples: 40 }).pipe(toArray()));
  const out = new Float64Array(248 * N_TIMES);
  for (const block of blocks) {
    for (let c = 0; c < 248; c++) {
      out.set(block.data.subarray(c * block.nTimes, (c + 1) * block.nTimes), c * N_TIMES + block.startSample);
    }
  }
  return out;
}

const print = (value: unknown) => console.log(JSON.stringify(value));

/** "ok", or the name of the error (with a DataFileError, whether it names the file). */
async function outcomeOf(read: Promise<unknown>): Promise<string> {
  try {
    await read;
    return "ok";
  } catch (error) {
    return error instanceof DataFileError ? "DataFileError" : `${(error as Error)?.name}: ${(error as Error)?.message}`;
  }
}

async function main([seedText, countText, dir]: string[]): Promise<void> {
  const random = new Random(Number(seedText));
  const bases = [await writeBase(dir, false), await writeBase(dir, true)];
  const originals = bases.map((b) => Deno.readFileSync(b.path));
  const stripped = bases.map((b, i) => withoutAttributes(b.path, `${dir}/stripped_${i}.h5`));
  const recordingAt = (path: string): Recording => ({
    path,
    split: ".",
    taskType: "rest",
    label: "rest",
    subject: "1",
    chunk: 1,
    datasetName: "rest_1",
  });
  await readAll(recordingAt(bases[0].path)); // load h5wasm before counting its streams
  const streamsBefore = await openStreams();
  const descriptorsBefore = openDescriptors();
  await Deno.mkdir(`${dir}/mutants`);
  const pool = new ResamplePool({ workers: 1 });
  for (let i = 0; i < Number(countText); i++) {
    const base = random.int(bases.length);
    const mutation = mutate(random, base, originals[base], stripped[base]);
    const path = `${dir}/mutants/${i}/rest_1_1.h5`;
    await Deno.mkdir(`${dir}/mutants/${i}`);
    await Deno.writeFile(path, mutation.bytes);
    print({ start: i, base, kind: mutation.kind, detail: mutation.detail });
    let outcome: string;
    let message = "";
    try {
      const data = await readAll(recordingAt(path));
      // a read that succeeds gives finite samples (a flipped data bit may change values, never into NaN)
      outcome = data.every(Number.isFinite) ? "ok" : "non-finite samples returned";
    } catch (error) {
      outcome = error instanceof DataFileError ? "DataFileError" : `${(error as Error)?.name ?? typeof error}`;
      message = error instanceof Error ? error.message.slice(0, 300) : String(error);
      if (error instanceof DataFileError && !error.message.startsWith(`${path}: `)) outcome = "unnamed DataFileError";
    }
    // every tenth file also through a resample worker: its errors cross the thread boundary
    const pooled = i % 10 === 0
      ? await outcomeOf(lastValueFrom(pool.read(recordingAt(path)).pipe(toArray())))
      : undefined;
    print({ done: i, outcome, message, ...(pooled ? { pooled } : {}) });
    await Deno.remove(`${dir}/mutants/${i}`, { recursive: true });
  }
  pool.close();
  const pristine = await Promise.all(bases.map((b) => readAll(recordingAt(b.path))));
  print({
    summary: {
      openH5Files: openH5FileCount(),
      streamsBefore,
      streamsAfter: await openStreams(),
      descriptorsBefore,
      descriptorsAfter: openDescriptors(),
      recycledModules: recycledH5ModuleCount(),
      pristineReadCorrectly: pristine.every((data, i) => data.every((v, j) => v === bases[i].data[j])),
    },
  });
}

if (import.meta.main) await main(Deno.args);
