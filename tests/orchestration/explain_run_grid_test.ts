import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { runConfig } from "../../training/run_config.ts";
import { trainRun } from "../../orchestration/train_run.ts";
import { explainRun } from "../../orchestration/explain_run.ts";
import { toyRunSettings, writeToyData } from "./_toy_data.ts";

const BANDS = ["delta", "theta", "alpha", "beta", "gamma", "below", "above"];

Deno.test("explainRun() explains a grid model per sensor and per band, and matches generated data's sources", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeToyData(join(dir, "data"));
    // a marker as megflow's generator writes: explain then compares the maps with the generator's sources
    await Deno.writeTextFile(join(dir, "data", "megflow-synth.json"), JSON.stringify({ seed: 42 }));
    const config = runConfig("cross", join(dir, "data"), {
      model: "cascade",
      modelOptions: { framePool: 2, frameDepth: 4, filters: [2, 2], frameUnits: 4, units: 4, attentionUnits: 4 },
      epochs: 1,
      cacheDir: join(dir, "cache"),
      batchSize: 8,
      ...toyRunSettings(),
    });
    const runDir = join(dir, "run");
    await trainRun(config, { runDir, log: () => {} });
    const { saliency, gradientTimesInput, explanation } = await explainRun(runDir, {
      steps: 2,
      occlusionDraws: 0, // no source occlusion here (explain_run_occlusion_test.ts has it)
      log: () => {},
    });
    assertEquals(saliency.channels.length, 248);
    for (const file of [saliency, gradientTimesInput]) {
      for (const name of file.classes) {
        assertEquals(file.perClass[name].length, 248);
        assert(file.perClass[name].some((v) => v > 0), `${file.method} ${name}: all zero`);
        assertEquals(Object.keys(file.perBand[name]), BANDS);
        assert(Object.values(file.perBand[name]).every((m) => m.length === 248 && m.every((v) => v >= 0)));
      }
    }
    assertEquals(explanation.bands!.names, BANDS);
    const shares = explanation.bands!.classes[0].shares;
    assert(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) < 1e-6, `shares ${shares}`);
    assertEquals(explanation.sourceMatch!.subject, "5");
    assertEquals(Object.keys(explanation.sourceMatch!.own.rest), ["all", "alpha"]);
    assertEquals(Object.keys(explanation.sourceMatch!.own.motor), ["all", "delta", "alpha", "beta"]);
    assert(Math.abs(explanation.sourceMatch!.own.rest.alpha) <= 1);
    assertEquals(explanation.sourceOcclusion, undefined);
    const files = [...Deno.readDirSync(join(runDir, "explain"))].map((e) => e.name);
    assert(files.includes("saliency_rest_alpha.svg") && files.includes("saliency_motor_above.svg"));
    const report = await Deno.readTextFile(join(runDir, "report.html"));
    assertStringIncludes(report, "Per frequency band");
    assertStringIncludes(report, "Saliency against the generator's sources");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
