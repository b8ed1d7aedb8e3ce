/**
 * Bounded, seeded shuffling of windows straight into batches, the buffer held
 * in one block of memory: `shuffle` then `batch` with fewer, longer-lived
 * allocations.
 *
 * @module
 */
import { defer, Observable, type OperatorFunction } from "rxjs";
import { Random } from "../core/random.ts";
import { checkOptions } from "../core/check_options.ts";
import type { Batch, Window } from "../core/types.ts";
import { OPERATOR_OPTIONS } from "./_option_rules.ts";
import { checkWindow } from "./_window_shape.ts";

/** Options of {@linkcode shuffleIntoBatches}. */
export interface ShuffleIntoBatchesOptions {
  /** Windows held by the shuffle buffer (positive integer), as `shuffle`'s `bufferSize`. Default: 1024. */
  bufferSize?: number;
  /** Seed of the random order (an integer), as `shuffle`'s. Default: 0. */
  seed?: number;
  /** Drop the last batch when it has fewer than `batchSize` windows, as `batch`'s. Default: false. */
  dropRemainder?: boolean;
  /**
   * Free each window's samples (`ArrayBuffer.transfer(0)`) as soon as they are copied into the
   * buffer, for a stream whose windows nothing else holds (a window whose array shares its
   * buffer with others is left alone). Default: false (the windows are left as they are).
   */
  release?: boolean;
}

/**
 * Shuffles windows with a bounded buffer and stacks them into batches: the same
 * batches, bit for bit and in the same order, as
 * `shuffle({ bufferSize, seed })` followed by `batch(batchSize, { dropRemainder })`
 * (the same random draws pick the same windows), but the buffer is one
 * Float32Array of `bufferSize` window-sized slots, allocated at the first window
 * and reused in place. Each window's samples are copied once into a free slot
 * (the window itself can then be freed, see `release`) and once out of it into
 * its batch. A long stream then allocates no long-lived per-window memory: its
 * peak memory stays that of a full buffer, however many windows pass. Memory:
 * `bufferSize` x one window (256 [248, 250] float32 windows are 63.5 MB), the
 * slots' pages touched only as they are first filled. Windows must all have the
 * shape of the first one. State lives per subscription; a source error is
 * forwarded at once and the buffer dropped.
 *
 * @param batchSize Windows per batch (positive integer).
 * @param options Buffer size, seed, `dropRemainder`, `release`.
 * @returns An operator from windows to batches.
 * @throws {RangeError} at once when `batchSize` or `bufferSize` is not a positive integer or
 *   `seed` not an integer.
 * @throws {TypeError} as an error notification, at the first window whose shape differs from the
 *   first window's or whose data does not fill its shape (the message names both shapes).
 *
 * @example
 * ```ts
 * import { lastValueFrom, range, map, toArray } from "rxjs";
 * import { batch } from "./batch.ts";
 * import { shuffle } from "./shuffle.ts";
 * import { shuffleIntoBatches } from "./shuffle_into_batches.ts";
 * import type { Recording, Window } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const recording = { path: "rest_1_1.h5" } as Recording;
 * const windows = range(0, 10).pipe(
 *   map((i): Window => ({ recording, startSample: i, sfreq: 125, shape: [1, 2], data: Float32Array.of(i, -i), label: 0 })),
 * );
 * const fused = await lastValueFrom(windows.pipe(shuffleIntoBatches(4, { bufferSize: 5, seed: 3 }), toArray()));
 * const twoSteps = await lastValueFrom(windows.pipe(shuffle({ bufferSize: 5, seed: 3 }), batch(4), toArray()));
 * assertEquals(fused, twoSteps);
 * assertEquals(fused.map((b) => b.shape), [[4, 1, 2], [4, 1, 2], [2, 1, 2]]);
 * ```
 */
export function shuffleIntoBatches(
  batchSize: number,
  options: ShuffleIntoBatchesOptions = {},
): OperatorFunction<Window, Batch> {
  checkOptions("shuffleIntoBatches", options, OPERATOR_OPTIONS.shuffleIntoBatches);
  const { bufferSize = 1024, seed = 0, dropRemainder = false, release = false } = options;
  for (const [name, value] of [["batchSize", batchSize], ["bufferSize", bufferSize]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`Cannot shuffle into batches: ${name} must be a positive integer, got ${value}`);
    }
  }
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`Cannot shuffle into batches: seed must be an integer, got ${seed}`);
  }
  return (source: Observable<Window>) =>
    defer(() => {
      const pool: BatchPool = { free: [], open: true };
      const slots = new SlotBuffer(bufferSize, batchSize, new Random(seed), release, pool);
      return new Observable<Batch>((subscriber) => {
        const subscription = source.subscribe({
          next: (window) => {
            try {
              const full = slots.push(window);
              if (full) subscriber.next(full);
            } catch (error) {
              subscriber.error(error);
            }
          },
          error: (error) => subscriber.error(error),
          complete: () => {
            for (const out of slots.drain(dropRemainder)) {
              if (subscriber.closed) return;
              subscriber.next(out);
            }
            subscriber.complete();
          },
        });
        return () => {
          subscription.unsubscribe();
          slots.drop();
          pool.open = false; // batches handed back from now on are freed
          for (const xs of pool.free.splice(0)) (xs.buffer as ArrayBuffer).transfer(0);
        };
      });
    });
}

/**
 * The shuffle buffer as window-sized slots in chunks of `batchSize` slots (slot `s` is row
 * `s % batchSize` of chunk `floor(s / batchSize)`; a chunk is allocated when its first slot is
 * filled), and the batch being filled.
 */
class SlotBuffer {
  /** Windows (their samples in the slots) by slot; the first `#filled` slots are in use. */
  readonly #windows: Window[] = [];
  #chunks: Float32Array[] = [];
  #filled = 0;
  #shape: number[] | undefined;
  #size = 0;
  #batch: Window[] = [];
  #xs: Float32Array | undefined;

  constructor(
    readonly capacity: number,
    readonly batchSize: number,
    readonly random: Random,
    readonly release: boolean,
    readonly pool: BatchPool,
  ) {}

  /** Takes `window` into the buffer; returns a batch when the window it displaced completed one. */
  push(window: Window): Batch | undefined {
    this.#size = checkWindow(window, this.#shape ??= [...window.shape], "shuffle into batches");
    if (this.#filled < this.capacity) {
      this.#store(this.#filled++, window);
      return undefined;
    }
    const slot = this.random.int(this.capacity);
    const full = this.#take(slot);
    this.#store(slot, window);
    return full;
  }

  /**
   * The buffered windows in random order, as batches (the last one smaller unless dropped).
   * Once the batch being filled is complete, the rest are moved in place into the order they
   * leave in, so that each further full batch is a chunk of the buffer itself, handed over
   * without a copy: draining allocates nothing beside the buffer.
   */
  *drain(dropRemainder: boolean): Generator<Batch> {
    const order = this.random.shuffle(Array.from({ length: this.#filled }, (_, i) => i));
    let k = 0;
    while (this.#batch.length > 0 && k < order.length) {
      const full = this.#take(order[k++]);
      if (full) yield full;
    }
    if (this.#batch.length > 0) {
      if (!dropRemainder) yield this.#stack(this.#batch.length);
      return this.drop();
    }
    const rest = order.slice(k);
    this.#arrange(rest);
    const B = this.batchSize;
    for (let b = 0; (b + 1) * B <= rest.length; b++) {
      const xs = this.#chunks[b];
      this.#chunks[b] = new Float32Array(0); // handed over with its batch
      pools.set(xs.buffer as ArrayBuffer, this.pool);
      yield this.#batchOf(xs, this.#windows.slice(b * B, (b + 1) * B));
    }
    const left = rest.length % B, first = rest.length - left;
    if (left > 0 && !dropRemainder) {
      const xs = this.#chunks[first / B].slice(0, left * this.#size);
      yield this.#batchOf(xs, this.#windows.slice(first, first + left));
    }
    this.drop();
  }

  /** Forgets the buffer (it is freed with this object). */
  drop(): void {
    this.#windows.length = 0;
    this.#chunks = [];
    this.#filled = 0;
    this.#batch = [];
    this.#xs = undefined;
  }

  /** A batch-sized array: one handed back by `releaseBatch` if there is one, else a new one. */
  #newBatchArray(): Float32Array {
    const length = this.batchSize * this.#size;
    const reused = this.pool.free.pop();
    if (reused?.length === length) return reused;
    const xs = new Float32Array(length);
    pools.set(xs.buffer, this.pool);
    return xs;
  }

  /** The samples of `slot`. */
  #slot(slot: number): Float32Array {
    const b = Math.floor(slot / this.batchSize), row = slot % this.batchSize;
    this.#chunks[b] ??= new Float32Array(Math.min(this.batchSize, this.capacity - b * this.batchSize) * this.#size);
    return this.#chunks[b].subarray(row * this.#size, (row + 1) * this.#size);
  }

  #store(slot: number, window: Window): void {
    this.#slot(slot).set(window.data);
    this.#windows[slot] = window;
    if (this.release) releaseSamples(window.data);
  }

  /** Copies the window of `slot` into the batch being filled; returns the batch once it is full. */
  #take(slot: number): Batch | undefined {
    const row = this.#batch.length;
    this.#xs ??= this.#newBatchArray();
    this.#xs.set(this.#slot(slot), row * this.#size);
    this.#batch.push(this.#windows[slot]);
    return this.#batch.length === this.batchSize ? this.#stack(this.batchSize) : undefined;
  }

  /** Moves the window of slot `slots[i]` into slot `i`, for every `i`, by swaps in place. */
  #arrange(slots: readonly number[]): void {
    const where = Array.from({ length: this.#filled }, (_, i) => i); // slot now holding slot i's window
    const held = [...where]; // the slot whose window slot j now holds
    const temp = new Float32Array(this.#size);
    for (let i = 0; i < slots.length; i++) {
      const from = where[slots[i]];
      if (from === i) continue;
      const a = this.#slot(i), b = this.#slot(from);
      temp.set(a);
      a.set(b);
      b.set(temp);
      [this.#windows[i], this.#windows[from]] = [this.#windows[from], this.#windows[i]];
      const displaced = held[i];
      held[i] = slots[i];
      held[from] = displaced;
      where[slots[i]] = i;
      where[displaced] = from;
    }
  }

  /** The batch being filled, with its first `n` rows (a smaller last batch gets an exact array). */
  #stack(n: number): Batch {
    const xs = n === this.batchSize ? this.#xs! : this.#xs!.slice(0, n * this.#size);
    const batch = this.#batchOf(xs, this.#batch);
    this.#batch = [];
    this.#xs = undefined;
    return batch;
  }

  #batchOf(xs: Float32Array, windows: readonly Window[]): Batch {
    return {
      xs,
      shape: [windows.length, ...this.#shape!],
      ys: Int32Array.from(windows, (w) => w.label),
      recordings: windows.map((w) => w.recording),
      startSamples: windows.map((w) => w.startSample),
    };
  }
}

/** Batch arrays handed back by `releaseBatch`, while their stream runs. */
interface BatchPool {
  free: Float32Array[];
  /** False once the subscription has ended: arrays handed back are then freed. */
  open: boolean;
}

/** Arrays handed back and kept for reuse per stream, at most (4 measured no better for the bench's peak). */
const POOL_SIZE = 2;

/** The pool of each batch array made by a running `shuffleIntoBatches` (by its buffer). */
const pools = new WeakMap<ArrayBuffer, BatchPool>();

/**
 * Hands a batch made by {@linkcode shuffleIntoBatches} back once the sink is done with it: its
 * `xs` is reused for a later batch of the same stream (or freed, when the stream has ended or
 * enough are kept), instead of waiting for the garbage collector, which lets dead batches pile
 * up (about 8 MB each at 32 x [248, 250]). The batch must not be used afterwards. Any other
 * batch (from `batch`, `mixup`, a smaller last batch) is left alone, so a sink may hand back
 * every batch it gets.
 *
 * @param batch A batch the sink has finished with.
 *
 * @example
 * ```ts
 * import { lastValueFrom, range, map, tap } from "rxjs";
 * import { releaseBatch, shuffleIntoBatches } from "./shuffle_into_batches.ts";
 * import type { Recording, Window } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const recording = { path: "rest_1_1.h5" } as Recording;
 * const arrays = new Set<ArrayBufferLike>();
 * await lastValueFrom(range(0, 40).pipe(
 *   map((i): Window => ({ recording, startSample: i, sfreq: 125, shape: [1, 2], data: Float32Array.of(i, i), label: 0 })),
 *   shuffleIntoBatches(4, { bufferSize: 8 }),
 *   tap((batch) => {
 *     arrays.add(batch.xs.buffer);
 *     releaseBatch(batch); // done with it: its array serves the next batch
 *   }),
 * ));
 * assertEquals(arrays.size, 3); // 10 batches: one reused array while streaming, the 2 drained from the buffer
 * ```
 */
export function releaseBatch(batch: Batch): void {
  const buffer = batch.xs.buffer;
  if (!(buffer instanceof ArrayBuffer) || buffer.detached || batch.xs.byteLength !== buffer.byteLength) return;
  const pool = pools.get(buffer);
  if (pool === undefined || pool.free.includes(batch.xs)) return;
  if (pool.open && pool.free.length < POOL_SIZE) {
    pool.free.push(batch.xs);
  } else {
    pools.delete(buffer);
    buffer.transfer(0);
  }
}

/** Frees an array's buffer when the array is all of it (nothing else can see it then). */
function releaseSamples(data: Float32Array): void {
  const buffer = data.buffer;
  if (
    buffer instanceof ArrayBuffer && !buffer.detached && data.byteOffset === 0 && data.byteLength === buffer.byteLength
  ) {
    buffer.transfer(0);
  }
}
