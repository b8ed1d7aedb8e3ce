/**
 * Receiving an uploaded file: the request body streamed to a file on disk,
 * chunk by chunk, as raw bytes or as the `file` field of a multipart form,
 * with a size limit and a deadline. The body is never held whole in memory.
 *
 * @module
 */
import { HttpError } from "./_http_error.ts";
import { multipartBoundary, MultipartFileReader } from "./_multipart.ts";

/** Options of {@linkcode receiveUpload}. */
export interface ReceiveUploadOptions {
  /** Largest request body accepted, in bytes; a larger one is refused with 413. Default: 256 MiB. */
  maxBytes?: number;
  /** Time (`Date.now()` milliseconds) by which the body must have arrived, else 408. Default: none. */
  deadline?: number;
}

/** What {@linkcode receiveUpload} received. */
export interface ReceivedUpload {
  /** The file name the client sent with a multipart field (its last path component), else `null`. */
  fileName: string | null;
  /** Bytes written to the file. */
  bytes: number;
  /** Bytes of the request body read (the file plus multipart framing). */
  bodyBytes: number;
}

/** Default of {@linkcode ReceiveUploadOptions.maxBytes}: 256 MiB, over three times one 70 MB recording. */
export const DEFAULT_MAX_UPLOAD_BYTES = 256 * 1024 * 1024;

/** Content types taken as the file's raw bytes. */
const RAW_TYPES = ["application/octet-stream", "application/x-hdf5", "application/x-hdf"];

/**
 * Writes the file of an upload request to `path` (created; it must not exist).
 * The body is the file itself (`Content-Type: application/octet-stream`, also
 * `application/x-hdf5`, or none) or a `multipart/form-data` form whose field
 * `file` holds it. Bytes go to disk as they arrive; memory holds one chunk.
 * On any error the partly written file is left for the caller to remove (it
 * owns the folder).
 *
 * @param request The HTTP request.
 * @param path Where to write the file.
 * @param options Size limit and deadline.
 * @returns The client's file name (multipart only) and the sizes.
 * @throws {HttpError} 400 for an empty body or a malformed form, 408 when the
 *   deadline passes, 413 when the body is larger than `maxBytes` (by its
 *   `Content-Length` before anything is read, or while reading), 415 for another
 *   content type.
 *
 * @example
 * ```ts
 * import { receiveUpload } from "./receive_upload.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * const form = new FormData();
 * form.append("file", new Blob([new Uint8Array([1, 2, 3])]), "rest_105923_1.h5");
 * const request = new Request("http://localhost/predict", { method: "POST", body: form });
 * const upload = await receiveUpload(request, `${dir}/upload.h5`);
 * assertEquals([upload.fileName, upload.bytes], ["rest_105923_1.h5", 3]);
 * assertEquals(await Deno.readFile(`${dir}/upload.h5`), new Uint8Array([1, 2, 3]));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function receiveUpload(
  request: Request,
  path: string,
  options: ReceiveUploadOptions = {},
): Promise<ReceivedUpload> {
  const { maxBytes = DEFAULT_MAX_UPLOAD_BYTES, deadline } = options;
  if (!(maxBytes > 0)) throw new RangeError(`Cannot receive an upload: maxBytes must be positive, got ${maxBytes}`);
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes, `declares ${declared} bytes`);
  const type = (request.headers.get("content-type") ?? "").toLowerCase();
  const multipart = type.startsWith("multipart/form-data");
  if (!multipart && type !== "" && !RAW_TYPES.some((raw) => type.startsWith(raw))) {
    throw new HttpError(
      415,
      `expected Content-Type application/octet-stream (the h5 file as the body) or multipart/form-data ` +
        `(the file in a field named "file"), got ${type}`,
    );
  }
  const boundary = multipart ? multipartBoundary(request.headers.get("content-type")!) : "";
  if (request.body === null) throw emptyBody();
  const file = await Deno.open(path, { write: true, createNew: true });
  try {
    let bytes = 0;
    const write = async (chunk: Uint8Array) => {
      for (let done = 0; done < chunk.length;) done += await file.write(chunk.subarray(done));
      bytes += chunk.length;
    };
    const form = multipart ? new MultipartFileReader(boundary, write) : undefined;
    const bodyBytes = await readBody(request.body, form ? (chunk) => form.push(chunk) : write, maxBytes, deadline);
    if (bodyBytes === 0) throw emptyBody();
    form?.finish();
    return { fileName: form?.filename ?? null, bytes, bodyBytes };
  } finally {
    file.close();
  }
}

function tooLarge(maxBytes: number, found: string): HttpError {
  return new HttpError(413, `expected an upload of at most ${maxBytes} bytes (--max-upload-mb), the request ${found}`);
}

function emptyBody(): HttpError {
  return new HttpError(400, "expected an h5 file as the request body, got an empty body");
}

const TIMED_OUT = Symbol("timed out");

/**
 * Reads `body` to its end, passing each chunk to `consume` (awaited) and
 * counting bytes; stops reading and cancels the body past `maxBytes` or the deadline.
 *
 * @returns The number of bytes read.
 */
async function readBody(
  body: ReadableStream<Uint8Array>,
  consume: (chunk: Uint8Array) => Promise<void>,
  maxBytes: number,
  deadline: number | undefined,
): Promise<number> {
  const reader = body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = deadline === undefined
    ? new Promise<never>(() => {})
    : new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), deadline - Date.now())));
  let total = 0;
  const read = () =>
    Promise.race([reader.read(), timeout]).catch((error) => {
      // The client went away (or the connection broke) mid-body.
      throw new HttpError(400, `the upload was interrupted after ${total} bytes: ${(error as Error).message}`);
    });
  try {
    while (true) {
      const next = await read();
      if (next === TIMED_OUT) {
        throw new HttpError(408, `the upload did not arrive in time: ${total} bytes received before the deadline`);
      }
      if (next.done) return total;
      total += next.value.length;
      if (total > maxBytes) throw tooLarge(maxBytes, `body is larger (over ${total} bytes read)`);
      await consume(next.value);
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
}
