/**
 * One ingest run in a process of its own, so that its peak RSS is its own:
 * `deno run -A bench/_ingest_child.ts '<IngestChildSpec as JSON>'` prints the
 * {@linkcode IngestReport} as one JSON line.
 *
 * @module
 */
import { join } from "node:path";
import { benchIngest, type IngestBenchOptions } from "./ingest.ts";
import { catalog, recordingsOf } from "../sources/catalog.ts";
import { pickRecordings } from "./pick_recordings.ts";

/** What the child streams and how. */
export interface IngestChildSpec extends Omit<IngestBenchOptions, "steps"> {
  /** Dataset root holding `Cross/train`. */
  dataDir: string;
  /** How many recordings of `Cross/train` to stream (see `pickRecordings`). */
  files: number;
}

if (import.meta.main) {
  const { dataDir, files, ...options }: IngestChildSpec = JSON.parse(Deno.args[0]);
  const recordings = pickRecordings(recordingsOf(await catalog(join(dataDir, "Cross", "train"))), files);
  console.log(JSON.stringify(await benchIngest(recordings, options)));
}
