/**
 * Test helper: megflow's resample worker, except that it crashes (an uncaught
 * exception) when asked to open a recording of subject "0".
 *
 * @module
 */
/// <reference lib="deno.worker" />
import "../../pipeline/_resample_worker.ts";

const handle = self.onmessage!;
self.onmessage = (event: MessageEvent) => {
  if (event.data.type === "open" && event.data.recording.subject === "0") throw new Error("boom");
  handle.call(self, event);
};
