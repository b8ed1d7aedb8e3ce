/**
 * Worker body of `warmResampleCache`: resamples the recordings it is sent
 * into the cache and reports each one.
 *
 * @module
 */
import { lastValueFrom } from "rxjs";
import { readResampled, type ReadResampledOptions } from "./read_resampled.ts";
import type { Recording } from "../core/types.ts";

/** A job: one recording and how to read it. */
export interface WarmJob {
  /** The recording. */
  recording: Recording;
  /** Reading and cache options (cacheDir required). */
  options: ReadResampledOptions;
}

/**
 * The worker's global scope, typed here rather than with a `deno.worker` lib reference, which JSR
 * refuses in a published module (it would change the globals of every importer).
 */
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<WarmJob>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = async (event: MessageEvent<WarmJob>) => {
  const { recording, options } = event.data;
  try {
    await lastValueFrom(readResampled(recording, options), { defaultValue: undefined });
    scope.postMessage({ ok: true, path: recording.path });
  } catch (error) {
    scope.postMessage({
      ok: false,
      path: recording.path,
      message: error instanceof Error ? error.message : String(error),
    });
  }
};
