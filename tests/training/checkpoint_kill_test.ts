import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEquals } from "@std/assert";
import { join } from "node:path";
import { loadCheckpoint } from "../../training/checkpoint.ts";
import { Random } from "../../core/random.ts";
import { withTempDir } from "../_temp_dir.ts";

await tf.setBackend("cpu");

const WRITER = new URL("./_checkpoint_writer.ts", import.meta.url).pathname;

/** Starts the writer at epoch `start` and SIGKILLs it right after its `after`-th "saved" line; returns the last epoch saved. */
async function writeUntilKilled(dir: string, start: number, after: number): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", WRITER, dir, String(start)],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let last = start - 1, seen = 0, rest = "";
  for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
    const lines = (rest + text).split("\n");
    rest = lines.pop()!;
    for (const line of lines) {
      last = Number(line.replace("saved ", ""));
      if (++seen === after) child.kill("SIGKILL");
    }
  }
  assertEquals((await child.status).signal, "SIGKILL");
  return last;
}

Deno.test("saveCheckpoint() SIGKILLed at random moments while it writes never loses the last complete checkpoint", async () => {
  await withTempDir(async (dir) => {
    const checkpointDir = join(dir, "checkpoint");
    const random = new Random(13);
    let start = 1;
    for (let round = 0; round < 4; round++) {
      // Killed while it writes the next checkpoint (it writes one after another without pause).
      const saved = await writeUntilKilled(checkpointDir, start, 1 + random.int(4));
      const checkpoint = await loadCheckpoint<{ epoch: number }>(checkpointDir);
      // The newest complete checkpoint: the last one reported saved, or the one the kill just let finish.
      assert(checkpoint.state.epoch >= saved, `loaded epoch ${checkpoint.state.epoch}, ${saved} was saved`);
      assert(checkpoint.state.epoch <= saved + 1, `loaded epoch ${checkpoint.state.epoch}, ${saved} was saved`);
      checkpoint.model.dispose();
      start = checkpoint.state.epoch + 1;
    }
  });
});
