import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { runConfig } from "../../training/run_config.ts";
import type { SearchSettings } from "../../tune/plan_search.ts";
import { runPlannedTrial, runSearch } from "../../tune/run_search.ts";
import { fakeRunner } from "./_fake_runner.ts";
import { withTempDir } from "../_temp_dir.ts";

function settings(overrides: Partial<SearchSettings> = {}): SearchSettings {
  return {
    base: runConfig("cross", "/data", { epochs: 4, model: "gru" }),
    space: { learningRate: { logUniform: [1e-4, 1e-2] }, units: { choice: [8, 16, 32] } },
    strategy: "random",
    trials: 3,
    seed: 5,
    rankBy: "window",
    eta: 2,
    ...overrides,
  };
}

/** Higher learning rate, higher validation accuracy. */
const byRate = (config: { learningRate: number }) => ({ window: config.learningRate * 10, recording: 0.5 });
const quiet = () => {};

Deno.test("runSearch() does not rerun finished trials or the finished final run", () =>
  withTempDir(async (out) => {
    const fake = fakeRunner(byRate);
    const first = await runSearch(settings(), { out, runner: fake.runner, log: quiet });
    assertEquals(fake.calls.length, 4); // 3 trials + the retrained best
    assertEquals(first.rows.map((r) => r.status), ["done", "done", "done"]);
    const again = fakeRunner(byRate);
    const lines: string[] = [];
    const second = await runSearch(settings(), { out, runner: again.runner, log: (l) => lines.push(l) });
    assertEquals(again.calls.length, 0);
    assertEquals(second.best, first.best);
    assert(lines.some((l) => l.includes("is already retrained and tested on")), lines.join("\n"));
    assert(!lines.some((l) => l.includes("retraining")), "no retraining is announced");
  }));

Deno.test("runSearch() picks the best validation accuracy and tests only the retrained best on test1-3", () =>
  withTempDir(async (out) => {
    const fake = fakeRunner(byRate);
    const result = await runSearch(settings(), { out, runner: fake.runner, log: quiet });
    const rates = result.rows.map((r) => r.values.learningRate as number);
    assertEquals(result.best?.values.learningRate, Math.max(...rates));
    // Trials validate on held-out training chunks and evaluate no test split.
    for (const call of fake.calls.slice(0, 3)) assertEquals(call.config.testSplits, []);
    assertEquals(fake.calls[3].config.testSplits, ["Cross/test1", "Cross/test2", "Cross/test3"]);
    assertEquals(fake.calls[3].runDir, join(out, "best"));
    assertEquals(Object.keys(result.final!.results.splits).sort(), ["test1", "test2", "test3", "train", "validation"]);
    const best = JSON.parse(await Deno.readTextFile(join(out, "best.json")));
    assertEquals(best.trial, result.best?.trial);
    const roles = Object.fromEntries(Object.entries(best.final).map(([k, m]) => [k, (m as { role: string }).role]));
    assertEquals(roles, { train: "train", validation: "validation", test1: "test", test2: "test", test3: "test" });
    for (const file of ["search.json", "trials.csv", "trials.json", "search.html", "trials/plan.json"]) {
      assert((await Deno.stat(join(out, file))).isFile, file);
    }
  }));

Deno.test("runSearch() resumes an interrupted trial from its folder", () =>
  withTempDir(async (out) => {
    const planned = await runSearch(settings(), { out, planOnly: true, log: quiet });
    const interrupted = planned.plan.stages[0].trials[1];
    await Deno.writeTextFile(join(out, "trials", interrupted.trialId, "config.json"), "{}").catch(async () => {
      await Deno.mkdir(join(out, "trials", interrupted.trialId), { recursive: true });
      await Deno.writeTextFile(join(out, "trials", interrupted.trialId, "config.json"), "{}");
    });
    assertEquals(
      (await runSearch(settings(), { out, planOnly: true, log: quiet })).rows.map((r) => r.status),
      ["pending", "interrupted", "pending"],
    );
    const fake = fakeRunner(byRate);
    await runSearch(settings(), { out, runner: fake.runner, retrain: false, log: quiet });
    assertEquals(fake.calls.map((c) => c.resume), [false, true, false]);
  }));

Deno.test("runSearch() records a failing trial, goes on, and retries it on the next run", () =>
  withTempDir(async (out) => {
    const failing = (config: { modelOptions: Record<string, unknown> }) => {
      if (config.modelOptions.units === 32) throw new RangeError("units too large");
    };
    const fake = fakeRunner(byRate);
    const runner = async (config: Parameters<typeof fake.runner>[0], o: Parameters<typeof fake.runner>[1]) => {
      failing(config);
      await fake.runner(config, o);
    };
    const space = { units: { choice: [8, 32] } };
    const grid = settings({ strategy: "grid", trials: null, space });
    const result = await runSearch(grid, { out, runner, retrain: false, log: quiet });
    assertEquals(result.rows.map((r) => [r.values.units, r.status]), [[8, "done"], [32, "failed"]]);
    assertStringIncludes(result.rows[1].error!, "units too large");
    assertEquals(result.best?.values.units, 8);
    const table = JSON.parse(await Deno.readTextFile(join(out, "trials.json")));
    assertEquals(table.map((r: { status: string }) => r.status), ["done", "failed"]);
    let retried = 0;
    await runSearch(grid, { out, runner: (c, o) => (retried++, runner(c, o)), retrain: false, log: quiet });
    assertEquals(retried, 1);
  }));

Deno.test("runSearch() plan-only runs nothing; runPlannedTrial() runs one trial of the plan", () =>
  withTempDir(async (out) => {
    const fake = fakeRunner(byRate);
    const planned = await runSearch(settings(), { out, planOnly: true, runner: fake.runner, log: quiet });
    assertEquals(fake.calls.length, 0);
    const plan = JSON.parse(await Deno.readTextFile(join(out, "trials", "plan.json")));
    assertEquals(plan.trials.length, 3);
    assertEquals(
      plan.trials.map((t: { trialId: string }) => t.trialId),
      planned.plan.stages[0].trials.map((t) => t.trialId),
    );
    const outcome = await runPlannedTrial(out, 2, { runner: fake.runner, log: quiet });
    assertEquals([outcome.status, outcome.trialId, fake.calls.length], ["done", plan.trials[2].trialId, 1]);
    await runSearch(settings(), { out, runner: fake.runner, log: quiet });
    assertEquals(fake.calls.length, 1 + 2 + 1); // the two other trials and the final run
  }));

Deno.test("runSearch() runs successive halving stage by stage and retrains with the full budget", () =>
  withTempDir(async (out) => {
    const fake = fakeRunner(byRate);
    const halving = settings({ strategy: "halving", trials: 4 });
    const result = await runSearch(halving, { out, runner: fake.runner, log: quiet });
    assertEquals(result.plan.stages.map((s) => s.trials.length), [4, 2, 1]);
    assertEquals(result.rows.map((r) => r.epochs), [1, 1, 1, 1, 2, 2, 4]);
    assertEquals(fake.calls.length, 4 + 2 + 1 + 1); // stage 1 has twice the epochs: new configs, new runs
    assertEquals(result.best?.stage, 2);
    assertEquals(result.final?.config.epochs, 4);
    const html = await Deno.readTextFile(join(out, "search.html"));
    assertEquals(html.match(/data-plot="influence"/g)?.length, 2);
  }));

Deno.test("runSearch() refuses a search folder or cache in the data folder, also through a symlink, writing nothing", () =>
  withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "data"));
    await Deno.symlink(join(dir, "data"), join(dir, "link"));
    const fake = fakeRunner(byRate);
    const base = runConfig("cross", join(dir, "data"), { epochs: 4, model: "gru", cacheDir: null });
    await assertRejects(
      () => runSearch(settings({ base }), { out: join(dir, "link", "search"), runner: fake.runner, log: quiet }),
      RangeError,
      "inside the data folder",
    );
    const cached = { ...base, cacheDir: join(dir, "link", "cache") };
    await assertRejects(
      () => runSearch(settings({ base: cached }), { out: join(dir, "search"), runner: fake.runner, log: quiet }),
      RangeError,
      "inside the data folder",
    );
    assertEquals([...Deno.readDirSync(join(dir, "data"))], []);
    assertEquals(fake.calls.length, 0);
  }));

Deno.test("runSearch() holds one chunk per class out for trials whose recipe holds none out (gru within one subject)", () =>
  withTempDir(async (out) => {
    const base = runConfig("intra", "/data", { epochs: 4, model: "gru" });
    assertEquals(base.holdoutChunks, 0); // gru's intra recipe trains its final model on every chunk
    const fake = fakeRunner(byRate);
    const lines: string[] = [];
    await runSearch(settings({ base }), { out, runner: fake.runner, log: (l) => lines.push(l) });
    for (const call of fake.calls) assertEquals(call.config.holdoutChunks, 1);
    assert(lines.some((l) => l.includes("holdoutChunks 1")), lines.join("\n"));
    const saved = JSON.parse(await Deno.readTextFile(join(out, "search.json")));
    assertEquals(saved.settings.base.holdoutChunks, 1); // a continued search trains its trials the same way
  }));
