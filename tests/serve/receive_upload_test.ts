import { assertEquals, assertRejects } from "@std/assert";
import { join } from "node:path";
import { HttpError } from "../../serve/_http_error.ts";
import { receiveUpload } from "../../serve/receive_upload.ts";

/** A stream of `bytes` cut into chunks of the given sizes (repeated). */
function chunked(bytes: Uint8Array, sizes: number[]): ReadableStream<Uint8Array> {
  let at = 0;
  let k = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      const size = sizes[k++ % sizes.length];
      controller.enqueue(bytes.slice(at, at += size));
    },
  });
}

function post(body: BodyInit | null, contentType?: string, headers: Record<string, string> = {}): Request {
  return new Request("http://localhost/predict", {
    method: "POST",
    body,
    headers: contentType ? { "content-type": contentType, ...headers } : headers,
  });
}

const BOUNDARY = "xYzZy42";

/** A multipart body with a text field and the file field; the file holds near-boundary byte runs. */
function multipartBody(file: Uint8Array, filename = "C:\\data\\rest_105923_1.h5"): Uint8Array {
  const parts = [
    `preamble\r\n--${BOUNDARY}\r\ncontent-disposition: form-data; name="note"\r\n\r\nhello\r\n`,
    `--${BOUNDARY}  \r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n`,
    `Content-Type: application/octet-stream\r\n\r\n`,
  ];
  const head = new TextEncoder().encode(parts.join(""));
  const tail = new TextEncoder().encode(`\r\n--${BOUNDARY}--\r\nepilogue`);
  const out = new Uint8Array(head.length + file.length + tail.length);
  out.set(head);
  out.set(file, head.length);
  out.set(tail, head.length + file.length);
  return out;
}

/** Bytes that look like the start of a delimiter without being one (a client picks a boundary absent from the file). */
const TRICKY = new TextEncoder().encode(`\r\n--${BOUNDARY.slice(0, 4)}\r\r\n-\r\n--${BOUNDARY.slice(0, -1)}X\x00\xff`);

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "megflow-upload-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("receiveUpload() writes a raw body to the file", async () => {
  await withDir(async (dir) => {
    const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31) % 256);
    const upload = await receiveUpload(post(chunked(bytes, [4096, 7]), "application/octet-stream"), join(dir, "a"));
    assertEquals(upload, { fileName: null, bytes: bytes.length, bodyBytes: bytes.length });
    assertEquals(await Deno.readFile(join(dir, "a")), bytes);
    // No content type is taken as raw bytes too.
    await receiveUpload(post(bytes.slice(0, 10)), join(dir, "b"));
    assertEquals(await Deno.readFile(join(dir, "b")), bytes.slice(0, 10));
  });
});

Deno.test("receiveUpload() extracts the file field of a multipart body whatever the chunking", async () => {
  await withDir(async (dir) => {
    const file = new Uint8Array([...TRICKY, ...Uint8Array.from({ length: 3000 }, (_, i) => i % 251), ...TRICKY]);
    const body = multipartBody(file);
    for (const [k, sizes] of [[1], [2, 3], [17], [BOUNDARY.length + 3], [1000, 1]].entries()) {
      const path = join(dir, `f${k}`);
      const upload = await receiveUpload(post(chunked(body, sizes), `multipart/form-data; boundary=${BOUNDARY}`), path);
      assertEquals([upload.fileName, upload.bytes, upload.bodyBytes], ["rest_105923_1.h5", file.length, body.length]);
      assertEquals(await Deno.readFile(path), file, `chunks of ${sizes}`);
    }
    // What fetch and browsers send: FormData.
    const form = new FormData();
    form.append("file", new Blob([file]), "upload.bin");
    const upload = await receiveUpload(new Request("http://x/", { method: "POST", body: form }), join(dir, "g"));
    assertEquals([upload.fileName, upload.bytes], ["upload.bin", file.length]);
    assertEquals(await Deno.readFile(join(dir, "g")), file);
  });
});

Deno.test("receiveUpload() answers malformed uploads with 400 and other content types with 415", async () => {
  await withDir(async (dir) => {
    const type = `multipart/form-data; boundary=${BOUNDARY}`;
    const cases: [Request, number, string][] = [
      [post(null, "application/octet-stream"), 400, "empty body"],
      [post(new Uint8Array(0), "application/octet-stream"), 400, "empty body"],
      [post("hello", "text/plain"), 415, "got text/plain"],
      [post("x", "multipart/form-data"), 400, "with a boundary"],
      [post(multipartBody(TRICKY).slice(0, 200), type), 400, "ended before its closing boundary"],
      [
        post(`--${BOUNDARY}\r\ncontent-disposition: form-data; name="other"\r\n\r\nx\r\n--${BOUNDARY}--`, type),
        400,
        'named "file"',
      ],
      [post(`--${BOUNDARY}\r\nx-nothing: 1\r\n\r\nx\r\n--${BOUNDARY}--`, type), 400, "Content-Disposition"],
    ];
    for (const [k, [request, status, fragment]] of cases.entries()) {
      const error = await assertRejects(() => receiveUpload(request, join(dir, `c${k}`)), HttpError, fragment);
      assertEquals(error.status, status, fragment);
    }
  });
});

Deno.test("receiveUpload() refuses a body over the limit, by its Content-Length or while reading (413)", async () => {
  await withDir(async (dir) => {
    const bytes = new Uint8Array(5000);
    const declared = await assertRejects(
      () =>
        receiveUpload(post(bytes, "application/octet-stream", { "content-length": "5000" }), join(dir, "a"), {
          maxBytes: 4999,
        }),
      HttpError,
      "declares 5000 bytes",
    );
    assertEquals(declared.status, 413);
    const streamed = await assertRejects(
      () => receiveUpload(post(chunked(bytes, [1000]), "application/octet-stream"), join(dir, "b"), { maxBytes: 4999 }),
      HttpError,
      "at most 4999 bytes",
    );
    assertEquals(streamed.status, 413);
  });
});

Deno.test("receiveUpload() gives up at the deadline with 408 and cancels the body", async () => {
  await withDir(async (dir) => {
    let cancelled = false;
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(10));
      },
      cancel() {
        cancelled = true;
      },
    });
    const error = await assertRejects(
      () => receiveUpload(post(stalled, "application/octet-stream"), join(dir, "a"), { deadline: Date.now() + 100 }),
      HttpError,
      "10 bytes received before the deadline",
    );
    assertEquals([error.status, cancelled], [408, true]);
  });
});
