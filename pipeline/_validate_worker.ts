/**
 * Worker body of `validateRunInputs`: checks the files it is sent with `validateRecordings` and
 * replies once, so that h5wasm (about 50 MB resident) is loaded in a thread that ends with the
 * check, not in the thread that trains (whose reading happens in the resample pool's workers).
 *
 * @module
 */
import type { Recording } from "../core/types.ts";
import type { ValidatedRecording } from "../sources/validate_recordings.ts";

/** The request: recordings and the rows their files must have. */
export interface ValidateRequest {
  /** The recordings. */
  recordings: Recording[];
  /** Rows every file must have. */
  expectedChannels: number;
}

/** The reply: the validated recordings, or the error as it crosses the thread boundary. */
export type ValidateReply =
  | { ok: true; validated: ValidatedRecording[] }
  | { ok: false; name: string; message: string; path?: string; reason?: string };

/** The worker's global scope (typed here: JSR refuses a `deno.worker` lib reference). */
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ValidateRequest>) => void) | null;
  postMessage(message: ValidateReply): void;
};

scope.onmessage = async (event: MessageEvent<ValidateRequest>) => {
  const { recordings, expectedChannels } = event.data;
  try {
    const { validateRecordings } = await import("../sources/validate_recordings.ts");
    scope.postMessage({ ok: true, validated: await validateRecordings(recordings, { expectedChannels }) });
  } catch (error) {
    const { path, reason } = error as Error & { path?: unknown; reason?: unknown };
    scope.postMessage({
      ok: false,
      name: error instanceof Error ? error.name : "Error",
      message: error instanceof Error ? error.message : String(error),
      ...(typeof path === "string" && typeof reason === "string" ? { path, reason } : {}),
    });
  }
};
