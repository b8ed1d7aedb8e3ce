/**
 * The server process of the serve benchmark (`bench/serve.ts`): a prediction
 * server on an ephemeral loopback port, plus `GET /__memory` (this process's
 * current and peak resident memory), so that the benchmark measures the
 * server's memory without the client's. Prints `{"url": ..., "backend": ...}` once listening
 * and stops when its standard input closes.
 *
 * ```
 * deno run -A bench/_serve_child.ts RUN_DIR BACKEND MAX_CONCURRENT
 * ```
 *
 * @module
 */
import { peakRssMB } from "../core/peak_rss.ts";
import type { BackendChoice } from "../backends/backend.ts";
import { createPredictionServer } from "../serve/create_prediction_server.ts";

/** This process's current and peak resident memory, JavaScript heap and external memory, MB (10^6 bytes). */
function memory(): { rssMB: number; peakRssMB: number; heapUsedMB: number; externalMB: number } {
  const usage = Deno.memoryUsage();
  return {
    rssMB: usage.rss / 1e6,
    peakRssMB: peakRssMB(),
    heapUsedMB: usage.heapUsed / 1e6,
    externalMB: usage.external / 1e6,
  };
}

if (import.meta.main) {
  const [runDir, backend, maxConcurrent] = Deno.args;
  const server = await createPredictionServer(runDir, {
    backend: backend as BackendChoice,
    maxConcurrent: Number(maxConcurrent),
  });
  const stop = new AbortController();
  const http = Deno.serve({
    port: 0,
    hostname: "127.0.0.1",
    signal: stop.signal,
    onListen: ({ port }) =>
      console.log(JSON.stringify({ url: `http://127.0.0.1:${port}`, backend: server.run.description.backend })),
  }, (request) => {
    if (new URL(request.url).pathname === "/__memory") return Response.json(memory());
    return server.handler(request);
  });
  // The parent closes our stdin to stop us (also when it dies).
  for await (const _ of Deno.stdin.readable) { /* wait for the end */ }
  stop.abort();
  await http.finished;
  await server.close();
}
