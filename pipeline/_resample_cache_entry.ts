/**
 * The file format of a resample cache entry: a 48-byte header, then the samples
 * as float32, channel-major. The header carries what is needed to tell a whole,
 * intact entry from a truncated, overwritten or otherwise corrupt one, so that a
 * bad entry is rebuilt instead of read as data:
 *
 * | bytes  | content                                         |
 * |--------|-------------------------------------------------|
 * | 0-7    | magic `MEGFLOWR`                                |
 * | 8-11   | format version (uint32, {@linkcode ENTRY_FORMAT}) |
 * | 12-15  | channels (uint32)                               |
 * | 16-19  | samples per channel (uint32)                    |
 * | 20-23  | checksum of the payload (uint32, {@linkcode payloadChecksum}) |
 * | 24-31  | payload bytes (float64, `4 * channels * samples`) |
 * | 32-39  | sampling rate in Hz (float64)                   |
 * | 40-47  | first sample (float64)                          |
 *
 * All numbers little-endian. The header is a multiple of 16 bytes, so the
 * payload of a buffer read from disk is 4-byte aligned and viewed without a copy.
 *
 * @module
 */
import type { Block, Recording } from "../core/types.ts";

const MAGIC = [0x4d, 0x45, 0x47, 0x46, 0x4c, 0x4f, 0x57, 0x52]; // "MEGFLOWR"
/** Version of the entry layout; bump when it changes (older entries are then rebuilt). */
export const ENTRY_FORMAT = 2;
/** Bytes before the samples. */
export const ENTRY_HEADER_BYTES = 48;

/**
 * A fast 32-bit checksum of 32-bit words: four independent multiply-xor lanes
 * (each step `h = (h ^ w) * odd` is a bijection of both `h` and `w`, so any
 * change of a single word changes the result), then mixed with the length.
 *
 * @param words The payload as 32-bit words.
 * @returns An unsigned 32-bit checksum.
 */
export function payloadChecksum(words: Int32Array): number {
  let a = 0x9747b28c, b = 0x85ebca6b, c = 0xc2b2ae35, d = 0x27d4eb2f;
  const n = words.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    a = Math.imul(a ^ words[i], 0x9e3779b1);
    b = Math.imul(b ^ words[i + 1], 0x85ebca77);
    c = Math.imul(c ^ words[i + 2], 0xc2b2ae3d);
    d = Math.imul(d ^ words[i + 3], 0x27d4eb2f);
  }
  for (; i < n; i++) a = Math.imul(a ^ words[i], 0x165667b1);
  let h = Math.imul(a ^ (b >>> 15), 0x85ebca77) ^ Math.imul(c ^ (d >>> 13), 0xc2b2ae3d) ^ n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The bytes of an entry holding `blocks` put together in time.
 *
 * @param blocks Consecutive blocks of one recording (at least one), all with the same channels.
 * @returns Header and float32 samples.
 */
export function encodeEntry(blocks: readonly Block[]): Uint8Array {
  const nChans = blocks[0].nChans;
  const nTimes = blocks.reduce((n, b) => n + b.nTimes, 0);
  const payloadBytes = 4 * nChans * nTimes;
  const bytes = new Uint8Array(ENTRY_HEADER_BYTES + payloadBytes);
  const view = new DataView(bytes.buffer);
  const data = new Float32Array(bytes.buffer, ENTRY_HEADER_BYTES, nChans * nTimes);
  let offset = 0;
  for (const block of blocks) {
    for (let c = 0; c < nChans; c++) {
      data.set(block.data.subarray(c * block.nTimes, (c + 1) * block.nTimes), c * nTimes + offset);
    }
    offset += block.nTimes;
  }
  bytes.set(MAGIC, 0);
  view.setUint32(8, ENTRY_FORMAT, true);
  view.setUint32(12, nChans, true);
  view.setUint32(16, nTimes, true);
  view.setUint32(20, payloadChecksum(new Int32Array(bytes.buffer, ENTRY_HEADER_BYTES, nChans * nTimes)), true);
  view.setFloat64(24, payloadBytes, true);
  view.setFloat64(32, blocks[0].sfreq, true);
  view.setFloat64(40, blocks[0].startSample, true);
  return bytes;
}

/** The header fields of an entry. */
export interface EntryHeader {
  nChans: number;
  nTimes: number;
  checksum: number;
  sfreq: number;
  startSample: number;
}

/**
 * The header of an entry of `fileBytes` bytes whose first bytes are `head`, when
 * it is an entry of this format whose length matches; `undefined` otherwise.
 *
 * @param head At least the first {@linkcode ENTRY_HEADER_BYTES} bytes of the file.
 * @param fileBytes Size of the whole file.
 */
export function readEntryHeader(head: Uint8Array, fileBytes: number): EntryHeader | undefined {
  if (head.length < ENTRY_HEADER_BYTES || !MAGIC.every((byte, i) => head[i] === byte)) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, ENTRY_HEADER_BYTES);
  if (view.getUint32(8, true) !== ENTRY_FORMAT) return undefined;
  const nChans = view.getUint32(12, true);
  const nTimes = view.getUint32(16, true);
  const payloadBytes = view.getFloat64(24, true);
  if (nChans === 0 || nTimes === 0 || payloadBytes !== 4 * nChans * nTimes) return undefined;
  if (fileBytes !== ENTRY_HEADER_BYTES + payloadBytes) return undefined;
  const sfreq = view.getFloat64(32, true);
  const startSample = view.getFloat64(40, true);
  if (!(sfreq > 0) || !Number.isFinite(sfreq) || !Number.isInteger(startSample)) return undefined;
  return { nChans, nTimes, checksum: view.getUint32(20, true), sfreq, startSample };
}

/**
 * The one block an entry holds, or `undefined` when the bytes are not a whole,
 * intact entry (wrong magic or version, length other than the header says,
 * checksum mismatch).
 *
 * @param bytes The whole file.
 * @param recording The recording the block belongs to.
 */
export function decodeEntry(bytes: Uint8Array, recording: Recording): Block | undefined {
  const header = readEntryHeader(bytes, bytes.length);
  if (header === undefined) return undefined;
  const { nChans, nTimes } = header;
  // the samples as a view of the bytes read (no copy) when they are 4-byte aligned, as readFile gives them
  const offset = bytes.byteOffset + ENTRY_HEADER_BYTES;
  const buffer = offset % 4 === 0 ? bytes.buffer as ArrayBuffer : bytes.slice(ENTRY_HEADER_BYTES).buffer;
  const start = offset % 4 === 0 ? offset : 0;
  if (payloadChecksum(new Int32Array(buffer, start, nChans * nTimes)) !== header.checksum) return undefined;
  const data = new Float32Array(buffer, start, nChans * nTimes);
  return { recording, startSample: header.startSample, sfreq: header.sfreq, nChans, nTimes, data };
}

/**
 * Whether the file at `path` starts with a header of this format whose length
 * matches the file's size (a cheap check that reads 48 bytes: it finds missing,
 * truncated, overwritten and older-format entries, not flipped payload bits,
 * which {@linkcode decodeEntry} finds when the entry is read).
 *
 * @param path A cache entry.
 */
export async function hasWholeEntry(path: string): Promise<boolean> {
  try {
    using file = await Deno.open(path, { read: true });
    const size = (await file.stat()).size;
    const head = new Uint8Array(ENTRY_HEADER_BYTES);
    let filled = 0;
    while (filled < head.length) {
      const n = await file.read(head.subarray(filled));
      if (n === null) break;
      filled += n;
    }
    return readEntryHeader(head.subarray(0, filled), size) !== undefined;
  } catch {
    return false;
  }
}
