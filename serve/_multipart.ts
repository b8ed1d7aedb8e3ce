/**
 * A streaming `multipart/form-data` reader (RFC 7578) that passes the bytes of
 * one field, `file`, to a sink as they arrive and holds at most one part's
 * headers and a delimiter's length of bytes in memory.
 *
 * @module
 */
import { HttpError } from "./_http_error.ts";

const CR = 13;
const CRLF = Uint8Array.of(13, 10);
const HEADERS_END = Uint8Array.of(13, 10, 13, 10);
const DASH_DASH = Uint8Array.of(45, 45);

/** Largest header block of one part, in bytes. */
const MAX_HEADER_BYTES = 16 * 1024;

/** The boundary of a `multipart/form-data` content type, or an HTTP 400 when it has none. */
export function multipartBoundary(contentType: string): string {
  const match = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary || boundary.length > 70) {
    throw new HttpError(
      400,
      `expected a multipart/form-data content type with a boundary of 1 to 70 characters, got ${
        JSON.stringify(contentType)
      }`,
    );
  }
  return boundary;
}

/** Index of `needle` in `haystack` at or after `from`, or -1. */
function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0];
  const last = haystack.length - needle.length;
  for (let i = haystack.indexOf(first, from); i >= 0 && i <= last; i = haystack.indexOf(first, i + 1)) {
    let k = 1;
    while (k < needle.length && haystack[i + k] === needle[k]) k++;
    if (k === needle.length) return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** The `name` and `filename` parameters of a part's `Content-Disposition` header. */
function disposition(headers: string): { name?: string; filename?: string } {
  const line = headers.split("\r\n").find((l) => /^content-disposition\s*:/i.test(l));
  if (line === undefined) throw new HttpError(400, "expected a Content-Disposition header in every multipart part");
  const params: Record<string, string> = {};
  for (const match of line.matchAll(/;\s*([\w*.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g)) {
    // Only \" and \\ are unescaped: some clients send Windows paths with bare backslashes.
    params[match[1].toLowerCase()] = match[2] !== undefined ? match[2].replace(/\\(["\\])/g, "$1") : match[3];
  }
  let filename = params.filename;
  const extended = /^utf-8''(.*)$/i.exec(params["filename*"] ?? "");
  if (extended) {
    try {
      filename = decodeURIComponent(extended[1]);
    } catch {
      // keep the plain filename
    }
  }
  // Some clients send a whole path; only the last component is a file name.
  return { name: params.name, filename: filename?.split(/[\\/]/).pop() };
}

/**
 * Reads a multipart body pushed in chunks and writes the content of the field
 * `file` to `write`; other fields are skipped. The body is prefixed with CRLF so
 * that the first boundary looks like every other (`\r\n--boundary`).
 */
export class MultipartFileReader {
  #delimiter: Uint8Array;
  #write: (bytes: Uint8Array) => Promise<void>;
  #buffer: Uint8Array = CRLF;
  #state: "body" | "boundary" | "headers" | "done" = "body";
  #part: "preamble" | "file" | "other" = "preamble";
  #found = false;
  /** The `filename` of the `file` field, when its part had one. */
  filename: string | undefined;

  /**
   * @param boundary The boundary of the content type.
   * @param write Receives the bytes of the `file` field, in order; awaited before more are read.
   */
  constructor(boundary: string, write: (bytes: Uint8Array) => Promise<void>) {
    this.#delimiter = new TextEncoder().encode(`\r\n--${boundary}`);
    this.#write = write;
  }

  /** Consumes the next chunk of the body. */
  async push(chunk: Uint8Array): Promise<void> {
    if (this.#state === "done") return; // the epilogue is ignored
    this.#buffer = concat(this.#buffer, chunk);
    while (await this.#step());
  }

  /**
   * Checks that the body ended with its closing boundary and held a `file` field.
   *
   * @throws {HttpError} 400 otherwise.
   */
  finish(): void {
    if (this.#state !== "done") {
      throw new HttpError(400, "the multipart body ended before its closing boundary (truncated upload?)");
    }
    if (!this.#found) throw new HttpError(400, 'expected a multipart field named "file" holding the h5 file');
  }

  /** One step of the state machine; true when it made progress and may continue. */
  async #step(): Promise<boolean> {
    switch (this.#state) {
      case "body":
        return await this.#body();
      case "boundary":
        return this.#afterBoundary();
      case "headers":
        return this.#headers();
      case "done":
        return false;
    }
  }

  async #body(): Promise<boolean> {
    const at = indexOf(this.#buffer, this.#delimiter);
    if (at < 0) {
      // Keep what could be the start of a delimiter split across chunks.
      const keep = Math.min(this.#buffer.length, this.#delimiter.length - 1);
      const start = this.#buffer.indexOf(CR, this.#buffer.length - keep);
      const cut = start < 0 ? this.#buffer.length : start;
      await this.#emit(this.#buffer.subarray(0, cut));
      this.#buffer = this.#buffer.slice(cut);
      return false;
    }
    await this.#emit(this.#buffer.subarray(0, at));
    this.#buffer = this.#buffer.slice(at + this.#delimiter.length);
    this.#state = "boundary";
    return true;
  }

  #afterBoundary(): boolean {
    if (this.#buffer.length < 2) return false;
    if (this.#buffer[0] === DASH_DASH[0] && this.#buffer[1] === DASH_DASH[1]) {
      this.#state = "done";
      this.#buffer = new Uint8Array(0);
      return false;
    }
    const end = indexOf(this.#buffer, CRLF);
    if (end < 0) {
      if (this.#buffer.length > 256) throw new HttpError(400, "malformed multipart body: no line end after a boundary");
      return false;
    }
    // Transport padding (spaces, tabs) may follow a boundary.
    if (!this.#buffer.subarray(0, end).every((b) => b === 32 || b === 9)) {
      throw new HttpError(400, "malformed multipart body: unexpected bytes after a boundary");
    }
    this.#buffer = this.#buffer.slice(end + 2);
    this.#state = "headers";
    return true;
  }

  #headers(): boolean {
    const empty = this.#buffer[0] === CRLF[0] && this.#buffer[1] === CRLF[1];
    const end = empty ? 0 : indexOf(this.#buffer, HEADERS_END);
    if (end < 0) {
      if (this.#buffer.length > MAX_HEADER_BYTES) {
        throw new HttpError(400, `malformed multipart body: part headers longer than ${MAX_HEADER_BYTES} bytes`);
      }
      return false;
    }
    const { name, filename } = disposition(new TextDecoder().decode(this.#buffer.subarray(0, end)));
    this.#buffer = this.#buffer.slice(end + (empty ? 2 : 4));
    if (name === "file") {
      if (this.#found) throw new HttpError(400, 'expected one multipart field named "file", found several');
      this.#found = true;
      this.filename = filename;
      this.#part = "file";
    } else {
      this.#part = "other";
    }
    this.#state = "body";
    return true;
  }

  async #emit(bytes: Uint8Array): Promise<void> {
    if (this.#part === "file" && bytes.length > 0) await this.#write(bytes);
  }
}
