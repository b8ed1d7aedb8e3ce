import { assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { writeDataset } from "../../synth/write_dataset.ts";

const SCRIPT = new URL("../../tasks/study.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

Deno.test("deno task study trains, compares and reports on small generated data", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = join(dir, "data");
    // Two chunks per class (and training subject), so that one can be held out for validation.
    await writeDataset(data, { preset: "small", nTimes: 2048, intraTrainChunks: 2, crossTrainChunks: 2 });
    const out = join(dir, "study");
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--config",
        CONFIG,
        SCRIPT,
        "--data",
        data,
        "--no-cache",
        "--out",
        out,
        "--models",
        "gru",
        "--seeds",
        "1",
        "--epochs",
        "1",
        "--window-seconds",
        "0.5",
        "--stride-seconds",
        "0.5",
        "--model-options",
        '{"gru":{"units":4,"projectionUnits":4,"attentionUnits":4},"cnn":{"temporalFilters":2,"separableFilters":4,"kernLength":16}}',
        "--improvements",
        "align",
        "--no-search",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
    assertStringIncludes(stdout, "study: 4 training runs,");
    const study = JSON.parse(await Deno.readTextFile(join(out, "study.json")));
    assertEquals(
      study.summary.runs.map((r: { id: string; status: string }) =>
        `${r.id.split("-").slice(0, 3).join("-")} ${r.status}`
      ),
      [
        "intra-gru-baseline done",
        "cross-gru-baseline done",
        "cross-cnn-baseline done",
        "cross-cnn-align done",
      ],
    );
    assertEquals(study.summary.improvements[0].seeds, [1]);
    assertStringIncludes(await Deno.readTextFile(join(out, "study.html")), "(d) Train/test gap");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
