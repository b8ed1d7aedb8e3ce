/**
 * Worker body of `warmResampleCache`: resamples the recordings it is sent
 * into the cache and reports each one.
 *
 * @module
 */
/// <reference lib="deno.worker" />
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

self.onmessage = async (event: MessageEvent<WarmJob>) => {
  const { recording, options } = event.data;
  try {
    await lastValueFrom(readResampled(recording, options), { defaultValue: undefined });
    self.postMessage({ ok: true, path: recording.path });
  } catch (error) {
    self.postMessage({
      ok: false,
      path: recording.path,
      message: error instanceof Error ? error.message : String(error),
    });
  }
};
