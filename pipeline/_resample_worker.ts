/**
 * Worker body of {@linkcode ResamplePool}: reads one recording at a time with
 * `readBlocks` and resamples it with `resample` (the WebAssembly kernel), so
 * the raw float64 samples never leave this thread; only the resampled float32
 * blocks travel back, their buffers transferred, not copied.
 *
 * Protocol (every message carries the job `id`):
 * - in: `open` (recording and reading options), `pull` (`n` more blocks may be
 *   produced: the pool grants them as its gate lets it), `cancel`.
 * - out: `block` (one resampled block), then exactly one of `end`, `error`
 *   (a serialised error) or `cancelled`.
 *
 * @module
 */
import type { Subscription } from "rxjs";
import { RAW_SFREQ } from "../core/types.ts";
import type { Recording } from "../core/types.ts";

/**
 * The worker's global scope, typed here rather than with a `deno.worker` lib reference, which JSR
 * refuses in a published module (it would change the globals of every importer).
 */
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: unknown, transfer: Transferable[]): void;
};

// h5wasm (whose wasm compiles in the background) starts loading before rxjs and the rest, not
// after them: a worker is ready about 40 % sooner.
const modules = Promise.all([
  import("h5wasm/node").then((h5wasm) => h5wasm.default.ready),
  import("./_read_and_resample.ts"),
]);

/** How the pool asks for a recording. */
export interface OpenMessage {
  /** Message kind. */
  type: "open";
  /** Job id, echoed in every reply. */
  id: number;
  /** The recording. */
  recording: Recording;
  /** Target rate in Hz. */
  toHz: number;
  /** Rate of the raw file in Hz. */
  sfreq?: number;
  /** Raw samples per hyperslab read. */
  blockSamples?: number;
  /** Read only the first samples. */
  maxSamples?: number;
  /** Rows every file must have. */
  expectedChannels?: number;
}

/** Messages to the worker. */
export type ToWorker = OpenMessage | { type: "pull"; id: number; n: number } | { type: "cancel"; id: number };

/** An error as it crosses the thread boundary. */
export interface SerialisedError {
  /** `Error.name`: DataFileError, RangeError, TypeError, ... */
  name: string;
  /** `Error.message`. */
  message: string;
  /** The file, for a DataFileError. */
  path?: string;
  /** What is wrong with the file, for a DataFileError. */
  reason?: string;
}

/** Messages from the worker. */
export type FromWorker =
  | {
    type: "block";
    id: number;
    startSample: number;
    sfreq: number;
    nChans: number;
    nTimes: number;
    data: Float32Array;
  }
  | { type: "end"; id: number }
  | { type: "error"; id: number; error: SerialisedError }
  | { type: "cancelled"; id: number };

interface Job {
  id: number;
  granted: number;
  emitted: number;
  wake?: () => void;
  subscription?: Subscription;
}

let job: Job | undefined;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

function serialise(error: unknown): SerialisedError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const { path, reason } = error as Error & { path?: unknown; reason?: unknown };
  return {
    name: error.name,
    message: error.message,
    ...(typeof path === "string" && typeof reason === "string" ? { path, reason } : {}),
  };
}

async function open(message: OpenMessage): Promise<void> {
  const [, { readAndResample }] = await modules;
  const current: Job = { id: message.id, granted: 0, emitted: 0 };
  job = current;
  // readBlocks awaits this before every hyperslab read: read only while the pool has granted a block
  const gate = {
    ready: () =>
      current.emitted < current.granted ? Promise.resolve() : new Promise<void>((resolve) => (current.wake = resolve)),
  };
  const finish = (reply: FromWorker) => {
    if (job === current) job = undefined;
    post(reply);
  };
  try {
    // 8192 samples: 64 kB rows, read with plain file reads for a contiguous dataset (1024-4096 cost
    // 6-12 % more in all: more reads) and by HDF5 straight into the buffer otherwise (shorter ones go
    // through its 64 kB sieve buffer, read twice as many bytes and cost about 10 % more in all)
    const { recording, toHz, sfreq = RAW_SFREQ, blockSamples = 8192, maxSamples, expectedChannels } = message;
    current.subscription = readAndResample(recording, { gate, sfreq, blockSamples, maxSamples, expectedChannels, toHz })
      .subscribe({
        next: (block) => {
          current.emitted++;
          const data = block.data as Float32Array;
          const { startSample, nChans, nTimes } = block;
          post({ type: "block", id: current.id, startSample, sfreq: block.sfreq, nChans, nTimes, data }, [
            data.buffer as ArrayBuffer,
          ]);
        },
        error: (error) => finish({ type: "error", id: current.id, error: serialise(error) }),
        complete: () => finish({ type: "end", id: current.id }),
      });
  } catch (error) {
    finish({ type: "error", id: current.id, error: serialise(error) });
  }
}

function handle(message: ToWorker): Promise<void> | void {
  if (message.type === "open") return open(message);
  if (job === undefined || job.id !== message.id) return; // a job that has already ended
  if (message.type === "pull") {
    job.granted += message.n;
    if (job.wake && job.emitted < job.granted) {
      const wake = job.wake;
      job.wake = undefined;
      wake();
    }
  } else if (message.type === "cancel") {
    const cancelled = job;
    job = undefined;
    cancelled.subscription?.unsubscribe(); // closes the file
    post({ type: "cancelled", id: cancelled.id });
  }
}

// Messages are handled one after another, the first once the modules have loaded.
let handled: Promise<unknown> = modules;
scope.onmessage = (event: MessageEvent<ToWorker>) => {
  handled = handled.then(() => handle(event.data));
};
