/**
 * Reading and resampling on other cores, inside the stream: a pool of Deno
 * Workers, each reading one raw recording at a time (h5wasm hyperslabs) and
 * resampling it (the WebAssembly kernel of `resample`), so that the thread
 * that trains or evaluates receives only resampled float32 blocks.
 *
 * @module
 */
import { Observable } from "rxjs";
import { DataFileError } from "../core/errors.ts";
import type { PullGate } from "../core/pull_gate.ts";
import type { Block, Recording } from "../core/types.ts";
import type { FromWorker, OpenMessage, SerialisedError, ToWorker } from "./_resample_worker.ts";

/** Options of {@linkcode ResamplePool}. */
export interface ResamplePoolOptions {
  /** Workers, each reading one recording at a time (started when first needed). Default: `navigator.hardwareConcurrency`. */
  workers?: number;
  /**
   * Resampled blocks a worker may produce ahead of the consumer, per recording, so that it
   * does not wait for a message round trip between blocks. Each is about 250 kB (248 channels,
   * 4096 raw samples at 2034 -> 125 Hz). Default: 2.
   */
  prefetch?: number;
  /** The worker script. Default: megflow's (`_resample_worker.ts`); tests substitute their own. */
  workerUrl?: URL;
}

/** Options of {@linkcode ResamplePool.read}: what `readResampled` takes, without the cache. */
export interface ResamplePoolReadOptions {
  /** Target rate in Hz (integer). Default: 125. */
  toHz?: number;
  /** Rate of the raw file in Hz (integer). Default: 2034. */
  sfreq?: number;
  /**
   * Raw samples per hyperslab read. Default: 8192 (64 kB rows of float64: fewer plain reads
   * for a contiguous dataset, 4096 costs about 6 % more in all; for another one HDF5 reads them
   * straight into the buffer, where with 4096 it reads them through its 64 kB sieve buffer,
   * about 10 % slower in all). Each worker's h5wasm heap holds one such block (16 MB for 248 channels).
   */
  blockSamples?: number;
  /** Read only the first samples of the recording. Default: all. */
  maxSamples?: number;
  /** Rows every file must have. Default: 248. */
  expectedChannels?: number;
  /** The sink's gate: a worker is granted each block only once `gate.ready()` resolves. Default: none. */
  gate?: Pick<PullGate, "ready">;
}

/** One worker and the job it runs. */
interface Slot {
  worker: Worker;
  /** Receives the messages of the current job (while its subscriber listens). */
  listener?: (message: FromWorker) => void;
  /** Id of the job the worker runs, until its `end`, `error` or `cancelled` arrives. */
  jobId?: number;
}

/**
 * A pool of resampling workers. {@linkcode ResamplePool.read} gives the
 * resampled blocks of one recording, computed by one worker, in order; they
 * equal those of `readBlocks(recording, { blockSamples }).pipe(resample())` bit
 * for bit (and whatever the block size, their samples put together are the same).
 * Workers start when first needed and run one recording each at a time; a
 * read waits for a free worker. Backpressure: a worker produces a block only
 * when granted, and the pool grants one (at most `prefetch` ahead) only after
 * `gate.ready()`, as `readBlocks` reads a hyperslab only after it. Call
 * {@linkcode ResamplePool.close} to terminate the workers.
 *
 * @example
 * ```ts
 * import { lastValueFrom, toArray } from "rxjs";
 * import h5wasm from "h5wasm/node";
 * import { ResamplePool } from "./resample_pool.ts";
 * import type { Recording } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await h5wasm.ready;
 * const file = new h5wasm.File(`${dir}/rest_1_1.h5`, "w");
 * file.create_dataset({ name: "rest_1", data: new Float64Array(248 * 4068), shape: [248, 4068], dtype: "<d" });
 * file.close();
 * const recording: Recording = {
 *   path: `${dir}/rest_1_1.h5`, split: ".", taskType: "rest", label: "rest", subject: "1", chunk: 1, datasetName: "rest_1",
 * };
 * const pool = new ResamplePool({ workers: 1 });
 * try {
 *   const blocks = await lastValueFrom(pool.read(recording, { toHz: 125 }).pipe(toArray()));
 *   assertEquals(blocks.reduce((n, b) => n + b.nTimes, 0), 250); // 2 s at 125 Hz
 * } finally {
 *   pool.close();
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class ResamplePool {
  static #live = 0;

  /** Workers of all pools of this thread started and not yet terminated (for tests and leak checks). */
  static get liveWorkers(): number {
    return ResamplePool.#live;
  }

  /** Most workers run at once. */
  readonly size: number;
  /** Blocks granted ahead per recording. */
  readonly prefetch: number;
  readonly #workerUrl: URL;
  readonly #slots = new Set<Slot>();
  #idle: Slot[] = [];
  #waiting: { resolve: (slot: Slot) => void; reject: (error: Error) => void }[] = [];
  #nextId = 1;
  #closed = false;
  #started = 0;

  /**
   * @param options Workers, prefetch.
   * @throws {RangeError} when `workers` or `prefetch` is not a positive integer.
   */
  constructor(options: ResamplePoolOptions = {}) {
    this.size = options.workers ?? Math.max(1, navigator.hardwareConcurrency ?? 1);
    this.prefetch = options.prefetch ?? 2;
    for (const [name, value] of [["workers", this.size], ["prefetch", this.prefetch]] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`Cannot create ResamplePool: ${name} must be a positive integer, got ${value}`);
      }
    }
    this.#workerUrl = options.workerUrl ?? new URL("./_resample_worker.ts", import.meta.url);
  }

  /** Workers started so far (they start when first needed; a crashed one is replaced). */
  get started(): number {
    return this.#started;
  }

  /** Workers running now. */
  get running(): number {
    return this.#slots.size;
  }

  /**
   * The resampled blocks of `recording`, read and resampled by one worker.
   *
   * @param recording The recording.
   * @param options Rates, reading options and the sink's gate.
   * @returns A cold Observable: each subscription reads the recording anew; unsubscribing
   *   stops the worker's reading (it closes the file) and frees it for the next recording.
   * @throws {DataFileError} (as an error notification) for a bad file, as `readBlocks`; an
   *   `Error` when the worker fails or the pool is closed.
   */
  read(recording: Recording, options: ResamplePoolReadOptions = {}): Observable<Block> {
    const { gate, toHz = 125, sfreq, blockSamples, maxSamples, expectedChannels } = options;
    return new Observable<Block>((subscriber) => {
      const id = this.#nextId++;
      let slot: Slot | undefined;
      let granted = 0;
      let received = 0;
      let pumping = false;
      let ended = false;
      const pump = async () => {
        if (pumping) return;
        pumping = true;
        while (!ended && granted - received < this.prefetch) {
          if (gate) await gate.ready();
          if (ended || subscriber.closed) break;
          granted++;
          this.#post(slot!, { type: "pull", id, n: 1 });
        }
        pumping = false;
      };
      const listener = (message: FromWorker) => {
        if (message.type === "block") {
          received++;
          const { startSample, sfreq, nChans, nTimes, data } = message;
          subscriber.next({ recording, startSample, sfreq, nChans, nTimes, data });
          pump();
          return;
        }
        ended = true;
        if (message.type === "end") subscriber.complete();
        else subscriber.error(deserialise(message.type === "error" ? message.error : crashed(message)));
      };
      this.#acquire().then((acquired) => {
        slot = acquired;
        if (subscriber.closed) return this.#release(acquired);
        acquired.listener = listener;
        acquired.jobId = id;
        const open: OpenMessage = {
          type: "open",
          id,
          recording,
          toHz,
          sfreq,
          blockSamples,
          maxSamples,
          expectedChannels,
        };
        this.#post(acquired, open);
        pump();
      }, (error) => subscriber.error(error));
      return () => {
        if (slot === undefined || slot.listener !== listener) return;
        slot.listener = undefined; // the worker's reply to the cancel frees it
        if (!ended) this.#post(slot, { type: "cancel", id });
        ended = true;
      };
    });
  }

  /** Terminates every worker; reads still running fail, reads waiting for a worker too. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(new Error("Cannot read: the ResamplePool is closed"));
    for (const slot of this.#slots) {
      slot.worker.terminate();
      ResamplePool.#live--;
      slot.listener?.({ type: "error", id: slot.jobId!, error: poolClosed() });
    }
    this.#slots.clear();
    this.#idle = [];
  }

  #post(slot: Slot, message: ToWorker): void {
    if (this.#slots.has(slot)) slot.worker.postMessage(message);
  }

  #acquire(): Promise<Slot> {
    if (this.#closed) return Promise.reject(new Error("Cannot read: the ResamplePool is closed"));
    const idle = this.#idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.#slots.size < this.size) return Promise.resolve(this.#start());
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  #release(slot: Slot): void {
    slot.listener = undefined;
    slot.jobId = undefined;
    if (!this.#slots.has(slot)) return;
    const waiter = this.#waiting.shift();
    if (waiter) waiter.resolve(slot);
    else this.#idle.push(slot);
  }

  #start(): Slot {
    const worker = new Worker(this.#workerUrl, { type: "module" });
    const slot: Slot = { worker };
    this.#started++;
    ResamplePool.#live++;
    this.#slots.add(slot);
    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const message = event.data;
      if (message.id !== slot.jobId) return; // a reply to a job given up before
      const listener = slot.listener;
      if (message.type !== "block") this.#release(slot);
      listener?.(message);
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#crash(slot, `${event.message}`);
    };
    worker.onmessageerror = () => this.#crash(slot, "a message could not be read");
    return slot;
  }

  /** A worker failed: it is terminated (a new one starts when needed) and its job fails. */
  #crash(slot: Slot, message: string): void {
    if (!this.#slots.delete(slot)) return;
    slot.worker.terminate();
    ResamplePool.#live--;
    this.#idle = this.#idle.filter((s) => s !== slot);
    const listener = slot.listener;
    slot.listener = undefined;
    listener?.({
      type: "error",
      id: slot.jobId!,
      error: { name: "Error", message: `resample worker failed: ${message}` },
    });
    // a read waiting for a worker gets a new one
    const waiter = this.#waiting.shift();
    if (waiter && !this.#closed) waiter.resolve(this.#start());
  }
}

function poolClosed(): SerialisedError {
  return { name: "Error", message: "Cannot read: the ResamplePool was closed while reading" };
}

function crashed(message: { type: string }): SerialisedError {
  return { name: "Error", message: `resample worker: unexpected ${message.type}` };
}

function deserialise(error: SerialisedError): Error {
  if (error.name === "DataFileError" && error.path !== undefined && error.reason !== undefined) {
    return new DataFileError(error.path, error.reason);
  }
  const Type = error.name === "RangeError" ? RangeError : error.name === "TypeError" ? TypeError : Error;
  const result = new Type(error.message);
  if (Type === Error && error.name !== "Error") result.name = error.name;
  return result;
}
