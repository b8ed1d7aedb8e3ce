/**
 * The WebAssembly SIMD kernel behind `resample`: the polyphase sums of
 * `PolyphaseResampler`, eight channels at a time in four `f64x2` registers,
 * assembled at load time from the short instruction lists below (no
 * toolchain, no binary file in the repository).
 *
 * Exactness: every lane computes its channel's sum as the JavaScript loop of
 * `resample.ts` does, `acc = acc + tap * x` in float64 over the same taps in
 * the same order (WebAssembly never fuses a multiply and an add), so every
 * output is bit-identical to `PolyphaseResampler`'s; the kernel only rounds it
 * to float32 on the way out, as `resample` always did.
 *
 * Input layout: channels in groups of 8, each group time-major (`[column, 8]`
 * float64), so one 16-byte load holds two channels of one sample.
 * `interleave` turns channel-major blocks into it with 16-byte shuffles.
 *
 * @module
 */

import {
  ADD,
  AND,
  BLOCK,
  brIf,
  bump,
  countedLoop,
  END,
  EQZ,
  f32Store,
  f64Load,
  f64Store,
  F64X2_ADD,
  F64X2_MUL,
  get,
  I32,
  i32,
  i32Load,
  IF,
  LOOP,
  moduleBytes,
  MUL,
  set,
  SHL,
  SHR_U,
  simd,
  SUB,
  tee,
  uleb,
  V128,
  V128_ZERO,
  v128Load,
  v128Store,
  vec,
} from "../core/_wasm_asm.ts";

// Instructions the other kernels do not use (https://webassembly.github.io/spec/core/binary/instructions.html).
const F32_DEMOTE_F64 = [0xb6];
const V128_LOAD64_SPLAT = simd(0x0a, 3, 0);
const f64x2ExtractLane = (lane: number) => simd(0x21, lane);
/** The low (`half` 0) or high (`half` 1) float64 of two vectors side by side. */
const pairOf = (half: number) =>
  simd(0x0d, ...Array.from({ length: 16 }, (_, i) => (i < 8 ? 8 * half + i : 16 + 8 * half + i - 8)));

/** Channels per group: four f64x2 accumulators. */
export const GROUP = 8;

/**
 * `convolve(x, groupStride, nGroups, table, nOut, taps, out, outStride)`: for
 * every group `g` and output `k`, with `(base, offset, length)` the `k`-th i32
 * triple at `table`, sums `taps[offset + j] * x[g][base + j][lane]` over
 * `j < length` per lane and stores the sum as float32 at
 * `out + (8 g + lane) * outStride + 4 k`. Pointers are byte offsets; group
 * `g` starts at `x + g * groupStride`; a column is 64 bytes.
 */
function convolveCode(): number[] {
  const [X, GROUP_STRIDE, N_GROUPS, TABLE, N_OUT, TAPS, OUT, OUT_STRIDE] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [G, K, XG, PX, PH, N, TP, PO] = [8, 9, 10, 11, 12, 13, 14, 15];
  const ACC = 16, H = 20; // v128 locals: four accumulators, the tap
  const lanes = [0, 1, 2, 3];
  const accumulate = (pair: number) => [
    ...get(ACC + pair),
    ...get(H),
    ...get(PX),
    ...v128Load(16 * pair),
    ...F64X2_MUL,
    ...F64X2_ADD,
    ...set(ACC + pair),
  ];
  const sum = [
    ...lanes.flatMap((pair) => [...V128_ZERO, ...set(ACC + pair)]),
    // px = xg + 64 base; ph = taps + 8 offset; n = length (0: skip)
    ...[...get(XG), ...get(TP), ...i32Load(0), ...i32(6), ...SHL, ...ADD, ...set(PX)],
    ...[...get(TAPS), ...get(TP), ...i32Load(4), ...i32(3), ...SHL, ...ADD, ...set(PH)],
    ...[...get(TP), ...i32Load(8), ...tee(N), ...EQZ, ...brIf(0)],
    ...LOOP,
    ...[...get(PH), ...V128_LOAD64_SPLAT, ...set(H)],
    ...lanes.flatMap(accumulate),
    ...bump(PX, i32(64)),
    ...bump(PH, i32(8)),
    ...[...get(N), ...i32(1), ...SUB, ...tee(N), ...brIf(0)],
    ...END,
  ];
  const store = (channel: number) => [
    ...get(PO),
    ...get(ACC + (channel >> 1)),
    ...f64x2ExtractLane(channel & 1),
    ...F32_DEMOTE_F64,
    ...f32Store(0),
    ...bump(PO, get(OUT_STRIDE)),
  ];
  const output = [
    ...BLOCK,
    ...sum,
    ...END,
    // po = out + 8 g * outStride + 4 k
    ...[...get(OUT), ...get(G), ...i32(3), ...SHL, ...get(OUT_STRIDE), ...MUL, ...ADD],
    ...[...get(K), ...i32(2), ...SHL, ...ADD, ...set(PO)],
    ...Array.from({ length: GROUP }, (_, c) => store(c)).flat(),
    ...bump(TP, i32(12)),
  ];
  const group = [
    ...[...get(X), ...get(G), ...get(GROUP_STRIDE), ...MUL, ...ADD, ...set(XG)],
    ...[...get(TABLE), ...set(TP)],
    ...countedLoop(K, get(N_OUT), 1, output),
  ];
  const locals = vec([[...uleb(8), I32], [...uleb(5), V128]]);
  return [...locals, ...countedLoop(G, get(N_GROUPS), 1, group), ...END];
}

/**
 * `interleave(src, nGroups, n, dst, groupStride)`: copies channel-major
 * float64 rows `[8 nGroups, n]` at `src` to the grouped layout at `dst` (row
 * `c`, column `t` to `dst + (c >> 3) * groupStride + 64 t + 8 (c & 7)`), a
 * group's eight rows two columns at a time, so that every step writes two
 * whole 64-byte columns.
 */
function interleaveCode(): number[] {
  const [SRC, N_GROUPS, N, DST, GROUP_STRIDE] = [0, 1, 2, 3, 4];
  const [G, PD, K, ROW, HALF] = [5, 6, 7, 8, 9];
  const P = 10; // P..P+7: the read pointer of each row of the group
  const [A, B] = [18, 19]; // v128 locals
  const rows = [0, 1, 2, 3, 4, 5, 6, 7];
  const pair = (p: number) => [
    ...[...get(P + 2 * p), ...v128Load(0), ...set(A)],
    ...[...get(P + 2 * p + 1), ...v128Load(0), ...set(B)],
    ...[...get(PD), ...get(A), ...get(B), ...pairOf(0), ...v128Store(16 * p)],
    ...[...get(PD), ...get(A), ...get(B), ...pairOf(1), ...v128Store(64 + 16 * p)],
  ];
  const group = [
    // row pointers: src + (8 g + c) * row; pd = dst + g * groupStride
    ...rows.flatMap((c) => [
      ...[...get(SRC), ...get(G), ...i32(3), ...SHL, ...i32(c), ...ADD, ...get(ROW), ...MUL, ...ADD, ...set(P + c)],
    ]),
    ...[...get(DST), ...get(G), ...get(GROUP_STRIDE), ...MUL, ...ADD, ...set(PD)],
    ...countedLoop(K, get(HALF), 1, [
      ...[0, 1, 2, 3].flatMap(pair),
      ...rows.flatMap((c) => bump(P + c, i32(16))),
      ...bump(PD, i32(128)),
    ]),
    // an odd last column, one float64 at a time
    ...[...get(N), ...i32(1), ...AND, ...IF],
    ...rows.flatMap((c) => [...get(PD), ...get(P + c), ...f64Load(0), ...f64Store(8 * c)]),
    ...END,
  ];
  const locals = vec([[...uleb(13), I32], [...uleb(2), V128]]);
  const setup = [...get(N), ...i32(3), ...SHL, ...set(ROW), ...get(N), ...i32(1), ...SHR_U, ...set(HALF)];
  return [...locals, ...setup, ...countedLoop(G, get(N_GROUPS), 1, group), ...END];
}

/** The kernel module's bytes: imports `env.memory`, exports `convolve` and `interleave`. */
export function kernelBytes(): Uint8Array {
  return moduleBytes([
    { name: "convolve", nParams: 8, code: convolveCode() },
    { name: "interleave", nParams: 5, code: interleaveCode() },
  ]);
}

let compiled: WebAssembly.Module | undefined;

/** The compiled kernel module (compiled once per thread). */
function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(kernelBytes() as BufferSource);
  return compiled;
}

/** The exports of one kernel instance. */
interface Kernel {
  memory: WebAssembly.Memory;
  convolve(
    x: number,
    groupStride: number,
    nGroups: number,
    table: number,
    nOut: number,
    taps: number,
    out: number,
    outStride: number,
  ): void;
  interleave(src: number, nGroups: number, n: number, dst: number, groupStride: number): void;
}

function instantiateKernel(): Kernel {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const exports = new WebAssembly.Instance(kernelModule(), { env: { memory } }).exports;
  return { memory, ...(exports as unknown as Omit<Kernel, "memory">) };
}

/** What the kernel resampler needs of a filter (a `ResampleFilter`). */
export interface KernelFilter {
  /** Reduced upsampling factor. */
  readonly up: number;
  /** Reduced downsampling factor. */
  readonly down: number;
  /** Taps on each side of the centre tap. */
  readonly halfLength: number;
  /** The taps of each phase, reversed, one phase after another. */
  readonly phaseTaps: Float64Array;
  /** Offset of each phase in `phaseTaps`. */
  readonly phaseOffsets: Int32Array;
  /** Taps of each phase. */
  readonly phaseLengths: Int32Array;
  /** Largest phase length. */
  readonly maxPhaseLength: number;
}

const PAGE = 65536;
/** Idle resamplers kept per thread for reuse. */
const MAX_IDLE = 4;
/**
 * Input columns handled per step (staged, interleaved, convolved): a push of
 * any length goes through in steps of this many, so the working set of a step
 * (2 MB staged and 3.4 MB grouped for 248 channels) stays in the caches.
 */
const CHUNK = 1024;

/**
 * The streaming polyphase resampler of `resample` on the SIMD kernel: the
 * contract of `PolyphaseResampler` (push blocks of any length, flush at the
 * end), with float32 outputs equal bit for bit to `new Float32Array()` of
 * `PolyphaseResampler`'s float64 outputs.
 *
 * A push goes through in steps of 1024 columns: each is copied channel-major
 * into a staging area, interleaved into the grouped input, and every output
 * it completes is computed at once, so the input held stays at about 1024 +
 * 2 `maxPhaseLength` columns whatever the block size. Memory: one
 * WebAssembly memory, grown as needed and never shrunk: the taps (325 kB for
 * 2034 -> 125 Hz), the staging area and grouped input (5.4 MB for 248
 * channels), and the outputs of the largest push (250 kB for 4096-sample
 * blocks). `flush()` keeps the memory for the next signal, so one resampler
 * can serve many recordings one after another.
 */
export class KernelResampler {
  static #idle: KernelResampler[] = [];

  /**
   * A resampler at the start of a signal: an idle one of the same filter and
   * channel count when there is one (its memory already grown), else a new one.
   */
  static acquire(filter: KernelFilter, nChans: number): KernelResampler {
    const i = KernelResampler.#idle.findIndex((r) => r.filter === filter && r.nChans === nChans);
    return i >= 0 ? KernelResampler.#idle.splice(i, 1)[0] : new KernelResampler(filter, nChans);
  }

  /** Returns a flushed resampler for {@linkcode KernelResampler.acquire} to hand out again (at most 4 are kept). */
  release(): void {
    const idle = KernelResampler.#idle;
    if (this.#samplesIn === 0 && !idle.includes(this)) idle.push(this);
    if (idle.length > MAX_IDLE) idle.shift();
  }

  /** The filter in use. */
  readonly filter: KernelFilter;
  /** Number of channels of every block. */
  readonly nChans: number;
  readonly #nGroups: number;
  readonly #kernel: Kernel;
  #f64 = new Float64Array(0);
  #f32 = new Float32Array(0);
  #i32 = new Int32Array(0);
  #tableAt = 0; // byte offsets of the regions: taps at 0, then table, stage, input, output
  #stageAt = 0;
  #inputAt = 0;
  #outputAt = 0;
  #capacity = 0; // input columns per group
  #outCapacity = 0; // outputs per channel in the output region
  #bufferStart = 0;
  #bufferLength = 0;
  #samplesIn = 0;
  #samplesOut = 0;

  /**
   * @param filter The filter (from `designResampleFilter`).
   * @param nChans Channels of every block (positive integer, checked by the caller).
   */
  constructor(filter: KernelFilter, nChans: number) {
    this.filter = filter;
    this.nChans = nChans;
    this.#nGroups = Math.ceil(nChans / GROUP);
    this.#kernel = instantiateKernel();
    const { up, down, maxPhaseLength } = filter;
    this.#layout(CHUNK + 2 * maxPhaseLength + Math.ceil(down / up) + 2, 0, Math.ceil((CHUNK * up) / down) + 2);
    this.#f64.set(filter.phaseTaps, 0);
    this.#reset();
  }

  /** Input samples per channel pushed since the start (or the last flush). */
  get samplesIn(): number {
    return this.#samplesIn;
  }

  /** Output samples per channel returned since the start (or the last flush). */
  get samplesOut(): number {
    return this.#samplesOut;
  }

  /**
   * Appends a block and returns the output samples that became computable.
   *
   * @param data Channel-major `[nChans, nTimes]` samples (not modified, not kept).
   * @returns Channel-major `[nChans, nReady]` float32 outputs.
   */
  push(data: Float32Array | Float64Array): Float32Array {
    const nNew = data.length / this.nChans;
    const first = this.#samplesOut;
    const nTotal = this.#readyAfter(this.#samplesIn + nNew) - first;
    this.#reserve(this.#bufferLength + Math.min(nNew, CHUNK), nTotal);
    for (let t0 = 0; t0 < nNew; t0 += CHUNK) {
      const t1 = Math.min(nNew, t0 + CHUNK);
      this.#reserve(this.#bufferLength + t1 - t0, nTotal);
      this.#stage(data, nNew, t0, t1);
      this.#samplesIn += t1 - t0;
      this.#compute(this.#readyAfter(this.#samplesIn), first, nTotal);
    }
    return this.#outputs(nTotal);
  }

  /**
   * Ends the signal: returns the remaining outputs (zero padding after the
   * last input sample) and resets for a new signal.
   *
   * @returns Channel-major `[nChans, nRest]` float32 outputs.
   */
  flush(): Float32Array {
    const { up, down } = this.filter;
    const first = this.#samplesOut;
    const nOut = Math.max(first, Math.ceil((this.#samplesIn * up) / down));
    const nZeros = nOut > first ? this.#lastInputIndex(nOut - 1) + 1 - this.#samplesIn : 0;
    this.#reserve(this.#bufferLength + Math.max(0, nZeros), nOut - first);
    if (nZeros > 0) {
      this.#zeroColumns(this.#bufferLength, nZeros);
      this.#bufferLength += nZeros;
    }
    this.#compute(nOut, first, nOut - first);
    const out = this.#outputs(nOut - first);
    this.#reset();
    return out;
  }

  /** Outputs computable once `samplesIn` input samples have arrived (never fewer than already out). */
  #readyAfter(samplesIn: number): number {
    const { up, down, halfLength } = this.filter;
    return Math.max(this.#samplesOut, Math.floor((samplesIn * up - 1 - halfLength) / down) + 1);
  }

  /** Copies columns `[t0, t1)` of a channel-major block to the stage, then interleaves them into the input. */
  #stage(data: Float32Array | Float64Array, nTimes: number, t0: number, t1: number): void {
    const n = t1 - t0;
    const stage = this.#stageAt / 8;
    for (let c = 0; c < this.nChans; c++) {
      this.#f64.set(data.subarray(c * nTimes + t0, c * nTimes + t1), stage + c * n);
    }
    // rows of the last group beyond nChans: zeros (their outputs are dropped)
    this.#f64.fill(0, stage + this.nChans * n, stage + this.#nGroups * GROUP * n);
    const dst = this.#inputAt + this.#bufferLength * GROUP * 8;
    this.#kernel.interleave(this.#stageAt, this.#nGroups, n, dst, this.#capacity * GROUP * 8);
    this.#bufferLength += n;
  }

  #lastInputIndex(m: number): number {
    return Math.floor((m * this.filter.down + this.filter.halfLength) / this.filter.up);
  }

  #reset(): void {
    const pad = this.filter.maxPhaseLength;
    this.#zeroColumns(0, pad);
    this.#bufferStart = -pad;
    this.#bufferLength = pad;
    this.#samplesIn = 0;
    this.#samplesOut = 0;
  }

  #zeroColumns(from: number, count: number): void {
    const groupStride = this.#capacity * GROUP;
    for (let g = 0; g < this.#nGroups; g++) {
      const start = this.#inputAt / 8 + g * groupStride + from * GROUP;
      this.#f64.fill(0, start, start + count * GROUP);
    }
  }

  /** Grows the regions to hold `columns` input columns and `outputs` outputs per channel. */
  #reserve(columns: number, outputs: number): void {
    if (columns > this.#capacity || outputs > this.#outCapacity) {
      const capacity = columns > this.#capacity ? columns + this.filter.maxPhaseLength : this.#capacity;
      this.#layout(capacity, this.#bufferLength, Math.max(outputs, this.#outCapacity));
    }
  }

  /**
   * Places the regions for `capacity` input columns per group and `outCapacity`
   * outputs per channel, moving the first `keep` input columns and the outputs.
   */
  #layout(capacity: number, keep: number, outCapacity: number): void {
    const { up, down, phaseTaps } = this.filter;
    const rows = this.#nGroups * GROUP;
    const tableAt = align(8 * phaseTaps.length);
    const stageAt = align(tableAt + 12 * (Math.ceil((capacity * up) / down) + 2));
    const inputAt = align(stageAt + 8 * rows * CHUNK);
    const outputAt = align(inputAt + 8 * rows * capacity);
    const bytes = outputAt + 4 * rows * outCapacity;
    const memory = this.#kernel.memory;
    if (bytes > memory.buffer.byteLength) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
    const buffer = memory.buffer as ArrayBuffer;
    const f64 = new Float64Array(buffer);
    // the regions only move up: the outputs first, then the groups last first
    new Uint8Array(buffer).copyWithin(outputAt, this.#outputAt, this.#outputAt + 4 * rows * this.#outCapacity);
    for (let g = this.#nGroups - 1; g >= 0 && keep > 0; g--) {
      const from = this.#inputAt / 8 + g * this.#capacity * GROUP;
      f64.copyWithin(inputAt / 8 + g * capacity * GROUP, from, from + keep * GROUP);
    }
    this.#f64 = f64;
    this.#f32 = new Float32Array(buffer);
    this.#i32 = new Int32Array(buffer);
    [this.#tableAt, this.#stageAt, this.#inputAt, this.#outputAt] = [tableAt, stageAt, inputAt, outputAt];
    [this.#capacity, this.#outCapacity] = [capacity, outCapacity];
  }

  /**
   * Computes outputs `samplesOut .. mEnd - 1` into the output region, where
   * output `m` of a push whose first output is `first` sits at column
   * `m - first` of rows `nTotal` long; then drops the input no longer needed.
   */
  #compute(mEnd: number, first: number, nTotal: number): void {
    const mStart = this.#samplesOut;
    if (mEnd > mStart) {
      const { up, down, halfLength, phaseOffsets, phaseLengths } = this.filter;
      const i32 = this.#i32;
      let t = mStart * down + halfLength;
      for (let m = mStart, ti = this.#tableAt / 4; m < mEnd; m++, t += down, ti += 3) {
        const nMax = Math.floor(t / up);
        const p = t - nMax * up;
        const len = phaseLengths[p];
        i32[ti] = nMax - len + 1 - this.#bufferStart;
        i32[ti + 1] = phaseOffsets[p];
        i32[ti + 2] = len;
      }
      const out = this.#outputAt + 4 * (mStart - first);
      const groupStride = this.#capacity * GROUP * 8;
      this.#kernel.convolve(
        this.#inputAt,
        groupStride,
        this.#nGroups,
        this.#tableAt,
        mEnd - mStart,
        0,
        out,
        4 * nTotal,
      );
    }
    this.#samplesOut = mEnd;
    const keepFrom = this.#lastInputIndex(mEnd) - this.filter.maxPhaseLength + 1;
    const len = this.#bufferLength;
    const shift = Math.min(keepFrom - this.#bufferStart, len);
    if (shift > 0) {
      for (let g = 0; g < this.#nGroups; g++) {
        const at = this.#inputAt / 8 + g * this.#capacity * GROUP;
        this.#f64.copyWithin(at, at + shift * GROUP, at + len * GROUP);
      }
      this.#bufferStart += shift;
      this.#bufferLength -= shift;
    }
  }

  /** The outputs of this push or flush, channel-major `[nChans, nTotal]`, copied out. */
  #outputs(nTotal: number): Float32Array {
    return this.#f32.slice(this.#outputAt / 4, this.#outputAt / 4 + this.nChans * nTotal);
  }
}

function align(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}
