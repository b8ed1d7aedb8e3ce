import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { LABELS } from "../../core/types.ts";
import { reevaluateRun } from "../../orchestration/evaluate_run_folder.ts";
import { createPredictionServer, type PredictionServer } from "../../serve/create_prediction_server.ts";
import type { FilePrediction } from "../../serve/predict_file.ts";
import { listDir, trainTinyRun, writeH5 } from "./_run.ts";

const UPLOAD = "task_motor_162935_2.h5"; // a Cross/test1 recording of the small synthetic dataset

/** A server of `runDir` on an ephemeral loopback port; `fn` gets its base URL. */
async function serving(
  server: PredictionServer,
  fn: (base: string) => Promise<void>,
): Promise<void> {
  const http = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, server.handler);
  try {
    await fn(`http://127.0.0.1:${http.addr.port}`);
  } finally {
    await http.shutdown();
    await server.close();
  }
  assertEquals(await listDir(server.tempDir), [], "close() removes the server's temporary folder");
}

/** Probabilities per window of `recording` in split `split` of a predictions.csv. */
async function csvProbabilities(path: string, split: string, recording: string): Promise<number[][]> {
  const [header, ...lines] = (await Deno.readTextFile(path)).trim().split("\n");
  const columns = header.split(",");
  const p = LABELS.map((label) => columns.indexOf(`p_${label}`));
  return lines.map((line) => line.split(",")).filter((cells) => cells[0] === split && cells[2] === recording)
    .map((cells) => p.map((k) => Number(cells[k])));
}

/** What the run's own evaluation gives for the one file: reevaluateRun on a dataset folder holding it as test1. */
async function evaluationOf(dir: string, runDir: string, file: string): Promise<number[][]> {
  const data = join(dir, "eval");
  await Deno.mkdir(join(data, "Cross", "train"), { recursive: true });
  await Deno.mkdir(join(data, "Cross", "test1"), { recursive: true });
  await Deno.copyFile(
    join(dir, "data", "Cross", "train", "rest_113922_1.h5"),
    join(data, "Cross/train/rest_113922_1.h5"),
  );
  await Deno.copyFile(file, join(data, "Cross", "test1", UPLOAD));
  await reevaluateRun(runDir, { data, out: join(dir, "eval-out"), backend: "wasm", log: () => {} });
  return await csvProbabilities(join(dir, "eval-out", "predictions.csv"), "test1", UPLOAD);
}

function probabilities(prediction: FilePrediction): number[][] {
  return prediction.windows.map((w) => LABELS.map((label) => w.probabilities[label]));
}

function octet(body: BodyInit, query = ""): [string, RequestInit] {
  return [`/predict${query}`, { method: "POST", body, headers: { "content-type": "application/octet-stream" } }];
}

/** A request body the test feeds by hand: `push` bytes, then `end`. */
function handFed(): { body: ReadableStream<Uint8Array>; push(bytes: Uint8Array): void; end(): void } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  return { body, push: (bytes) => controller.enqueue(bytes), end: () => controller.close() };
}

/** Waits (at most 5 s) until `condition` holds. */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting until ${what}`);
}

Deno.test("the prediction server answers real HTTP requests with the evaluation's predictions, bounded", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "megflow-serve-test-" });
  try {
    const { runDir } = await trainTinyRun(dir);
    const file = join(dir, "data", "Cross", "test1", UPLOAD);
    const bytes = await Deno.readFile(file);
    const expected = await evaluationOf(dir, runDir, file);
    assertEquals(expected.length, 3);
    const server = await createPredictionServer(runDir, { backend: "wasm", maxConcurrent: 2, tempDir: dir });
    const results = JSON.parse(await Deno.readTextFile(join(runDir, "results.json")));

    await serving(server, async (base) => {
      const call = async ([path, init]: [string, RequestInit?]) => {
        const response = await fetch(base + path, init);
        const body = await response.json();
        assertEquals(await listDir(server.tempDir), [], `no temporary file is left after ${path}`);
        return { response, body };
      };

      await t.step(
        "GET /health and GET /model describe the run",
        async () => {
          assertEquals((await call(["/health"])).body, { status: "ok" });
          const { body } = await call(["/model"]);
          assertEquals([body.model, body.classes, body.windowSeconds, body.sfreq], ["cnn", LABELS, 1, 125]);
          assertEquals(body.accuracy.test1.windowAccuracy, results.splits.test1.windowAccuracy);
          assertEquals(body.limits, { maxUploadBytes: 256 * 1024 * 1024, maxConcurrent: 2, timeoutSeconds: 120 });
        },
      );

      await t.step(
        "an octet-stream upload gets the evaluation's probabilities, window by window",
        async () => {
          const { response, body } = await call(octet(bytes, `?name=${UPLOAD}`));
          assertEquals(response.status, 200);
          assertEquals(probabilities(body), expected);
          assertEquals(body.windows.map((w: { start: number }) => w.start), [0, 63 / 125, 126 / 125]);
          const votes = LABELS.map((label) => body.windows.filter((w: { class: string }) => w.class === label).length);
          assertEquals(votes[LABELS.indexOf(body.class)], Math.max(...votes));
          assertEquals([body.recording.label, body.recording.fileName, body.model], ["motor", UPLOAD, "cnn"]);
        },
      );

      await t.step(
        "a multipart upload and an upload without a name get the same windows",
        async () => {
          const form = new FormData();
          form.append("file", new Blob([bytes]), UPLOAD);
          const multipart = await call(["/predict", { method: "POST", body: form }]);
          assertEquals(multipart.response.status, 200);
          assertEquals(probabilities(multipart.body), expected);
          assertEquals(multipart.body.recording.label, "motor");
          const unnamed = await call(octet(bytes));
          assertEquals(probabilities(unnamed.body), expected);
          assertEquals([unnamed.body.recording.label, unnamed.body.recording.datasetName], [null, "task_motor_162935"]);
        },
      );

      await t.step(
        "malformed uploads get 4xx with the reader's message, naming the upload",
        async () => {
          const transposed = join(dir, "transposed.h5");
          await writeH5(transposed, "x", [4096, 248]);
          const nan = join(dir, "nan.h5");
          await writeH5(nan, "x", [248, 4096], (i) => (i === 3 * 4096 + 5 ? NaN : 1e-12));
          const corrupt = bytes.slice(); // an object header garbled: HDF5 itself refuses it
          for (let i = 200; i < 240; i++) corrupt[i] ^= 0x5a;
          const int16 = join(dir, "int16.h5");
          await writeH5(int16, "x", [248, 4096], () => 1, "<i2");
          const cases: [[string, RequestInit], number, string][] = [
            [octet(new TextEncoder().encode("hello, this is not hdf5")), 422, "upload: not an HDF5 file"],
            [octet(bytes.slice(0, bytes.length >> 1)), 422, "upload: truncated file"],
            [octet(await Deno.readFile(transposed)), 422, "which looks transposed"],
            [octet(await Deno.readFile(nan)), 422, "expected finite samples, found NaN at channel row 3"],
            [octet(await Deno.readFile(int16)), 422, "expected float64 or float32 samples, found dtype int"],
            [octet(bytes, "?name=rest_162935_2.h5"), 422, "rest_162935_2.h5: expected one dataset named rest_162935"],
            [octet(corrupt), 422, "upload: cannot list the objects of the HDF5 file: HDF5 error"],
            [octet(new Uint8Array(0)), 400, "empty body"],
            [["/predict", { method: "POST", body: "x", headers: { "content-type": "text/plain" } }], 415, "text/plain"],
          ];
          for (const [request, status, fragment] of cases) {
            const { response, body } = await call(request);
            assertEquals([response.status, body.status], [status, status], fragment);
            assertStringIncludes(body.error, fragment);
            assert(!body.error.includes(server.tempDir), body.error);
          }
        },
      );

      await t.step(
        "unknown routes get 404, wrong methods 405",
        async () => {
          assertEquals((await call(["/nowhere"])).response.status, 404);
          const wrong = await call(["/predict"]);
          assertEquals([wrong.response.status, wrong.response.headers.get("allow")], [405, "POST"]);
          assertEquals((await call(["/model", { method: "POST", body: "x" }])).response.status, 405);
        },
      );

      await t.step(
        "requests over the concurrency limit get 503, the others their predictions",
        async () => {
          const held = [handFed(), handFed()];
          const pending = held.map(({ body }) =>
            fetch(`${base}/predict?name=${UPLOAD}`, { method: "POST", body, duplex: "half" } as RequestInit)
          );
          try {
            for (const h of held) h.push(bytes.slice(0, 1000));
            await until(() => server.active === 2, "two uploads are in progress");
            for (let i = 0; i < 2; i++) {
              const response = await fetch(base + "/predict", octet(bytes)[1]);
              assertEquals([response.status, response.headers.get("retry-after")], [503, "5"]);
              assertStringIncludes((await response.json()).error, "busy");
            }
            for (const h of held) h.push(bytes.slice(1000));
          } finally {
            for (const h of held) h.end();
          }
          for (const response of await Promise.all(pending)) {
            assertEquals(response.status, 200);
            assertEquals(probabilities(await response.json()), expected);
          }
          // Two at once, within the limit: both served, one after the other on the model.
          const both = await Promise.all([0, 1].map(() => fetch(base + "/predict", octet(bytes)[1])));
          assertEquals(await Promise.all(both.map(async (r) => probabilities(await r.json()))), [expected, expected]);
          assertEquals(await listDir(server.tempDir), []);
        },
      );

      await t.step(
        "a client that goes away mid-upload leaves nothing behind",
        async () => {
          const fed = handFed();
          const abort = new AbortController();
          const request = fetch(`${base}/predict`, {
            method: "POST",
            body: fed.body,
            duplex: "half",
            signal: abort.signal,
          } as RequestInit).catch((error) => error.name);
          fed.push(bytes.slice(0, 5000));
          await until(() => server.active === 1, "the upload has started");
          abort.abort();
          assertEquals(await request, "AbortError");
          await until(async () => server.active === 0 && (await listDir(server.tempDir)).length === 0, "cleaned up");
        },
      );
    });

    const strict = await createPredictionServer(runDir, {
      backend: "wasm",
      maxUploadBytes: 1_000_000,
      timeoutSeconds: 0.5,
      tempDir: dir,
    });
    await serving(strict, async (base) => {
      await t.step(
        "an upload over the limit gets 413, one too slow 408; no temporary file is left",
        async () => {
          const declared = await fetch(`${base}/predict`, { method: "POST", body: bytes });
          assertEquals([declared.status, (await declared.json()).status], [413, 413]);
          const fed = handFed();
          const streamed = fetch(`${base}/predict`, { method: "POST", body: fed.body, duplex: "half" } as RequestInit);
          for (let at = 0; at < 1_100_000; at += 100_000) fed.push(bytes.slice(at, at + 100_000));
          const over = await streamed;
          assertEquals([over.status, (await over.json()).status], [413, 413]);
          fed.end();
          const slow = handFed();
          const stalled = fetch(`${base}/predict`, { method: "POST", body: slow.body, duplex: "half" } as RequestInit);
          slow.push(bytes.slice(0, 1000));
          const late = await stalled;
          assertEquals(late.status, 408);
          assertStringIncludes((await late.json()).error, "1000 bytes received before the deadline");
          slow.end();
          await until(async () => strict.active === 0 && (await listDir(strict.tempDir)).length === 0, "cleaned up");
        },
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
