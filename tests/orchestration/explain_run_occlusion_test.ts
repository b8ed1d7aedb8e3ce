import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { runConfig } from "../../training/run_config.ts";
import { trainRun } from "../../orchestration/train_run.ts";
import { explainRun } from "../../orchestration/explain_run.ts";
import { toyRunSettings, writeToyData } from "./_toy_data.ts";

const CLASSES = ["rest", "math", "memory", "motor"];

Deno.test("explainRun() occludes each class's sources on generated data only, into explain.json and the report", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeToyData(join(dir, "data"));
    const config = runConfig("cross", join(dir, "data"), {
      model: "cnn",
      modelOptions: { temporalFilters: 2, depthMultiplier: 1, separableFilters: 2, kernLength: 8, dropProb: 0 },
      epochs: 1,
      cacheDir: join(dir, "cache"),
      batchSize: 16,
      ...toyRunSettings(),
    });
    const runDir = join(dir, "run");
    await trainRun(config, { runDir, log: () => {} });
    const report = () => Deno.readTextFile(join(runDir, "report.html"));
    // data not made by megflow's generator: no source fields to remove
    const plain = await explainRun(runDir, { steps: 1, occlusionDraws: 1, log: () => {} });
    assertEquals(plain.explanation.sourceOcclusion, undefined);
    assert(!(await report()).includes("Removing each class's sources"));
    // the generator's marker: every class's sources removed, in all bands and per band group
    await Deno.writeTextFile(join(dir, "data", "megflow-synth.json"), JSON.stringify({ seed: 42 }));
    const lines: string[] = [];
    const { explanation } = await explainRun(runDir, { steps: 1, occlusionDraws: 1, log: (l) => lines.push(l) });
    const occlusion = explanation.sourceOcclusion!;
    assertEquals(Object.keys(occlusion), ["seed", "method", "randomDraws", "seconds", "baseline", "conditions"]);
    assertEquals([occlusion.seed, occlusion.randomDraws], [42, 1]);
    assertEquals(occlusion.conditions.map((c) => c.name), [
      "rest:all",
      "rest:alpha",
      "rest:outside",
      "math:all",
      "math:delta",
      "math:theta",
      "math:outside",
      "memory:all",
      "memory:delta",
      "memory:theta",
      "memory:outside",
      "motor:all",
      "motor:delta",
      "motor:alpha",
      "motor:beta",
      "motor:outside",
    ]);
    assertEquals(occlusion.conditions[11].sources, ["mefL", "mefR", "mefFoot", "muL", "muR", "betaL", "betaR"]);
    assertEquals(Object.keys(occlusion.baseline), CLASSES);
    assert(CLASSES.every((c) => occlusion.baseline[c].windows > 0), JSON.stringify(occlusion.baseline));
    for (const c of occlusion.conditions) {
      for (const outcomes of [c.perClass, c.random]) {
        assertEquals(Object.keys(outcomes), CLASSES);
        const shares = Object.values(outcomes).reduce((a, o) => a + o.share, 0);
        assert(Math.abs(shares - 1) < 1e-9, `${c.name}: shares add up to ${shares}`);
        assert(Object.values(outcomes).every((o) => o.recall >= 0 && o.recall <= 1 && o.meanProbability <= 1));
      }
    }
    const saved = JSON.parse(await Deno.readTextFile(join(runDir, "explain", "explain.json")));
    assertEquals(saved.sourceOcclusion.conditions.length, 16);
    assertStringIncludes(await report(), "Removing each class's sources");
    assert(lines.some((l) => l.includes("removing motor:alpha (muL, muR): motor recall")), lines.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
