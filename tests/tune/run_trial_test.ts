import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { runConfig } from "../../training/run_config.ts";
import {
  isTrialFinished,
  runTrial,
  trainTrial,
  type TrialRunnerOptions,
  type TrialSpec,
  validatesOnHoldout,
} from "../../tune/run_trial.ts";
import type { RunConfig } from "../../training/run_config.ts";
import { withTempDir } from "../_temp_dir.ts";

/** The seed project's protocol: test1 and test2 validate. */
const SPLITS = { validationSplits: ["Cross/test1", "Cross/test2"] };

/** One held-out chunk per class (cnn's intra recipe, the default model's, trains on every chunk: holdoutChunks 0). */
const HOLDOUT = { holdoutChunks: 1 };

function trial(config: RunConfig = runConfig("cross", "/data", { epochs: 2, ...SPLITS })): TrialSpec {
  return { index: 0, trialId: "t1", stage: 0, values: { learningRate: 0.01 }, config };
}

/** A runner that records its calls and writes results.json (and validation.json when asked). */
function recordingRunner(options: { validation?: boolean; fail?: unknown } = {}) {
  const calls: Array<{ config: RunConfig; options: TrialRunnerOptions }> = [];
  const runner = async (config: RunConfig, o: TrialRunnerOptions) => {
    calls.push({ config, options: o });
    if (options.fail !== undefined) throw options.fail;
    await Deno.writeTextFile(join(o.runDir, "config.json"), JSON.stringify(config));
    await Deno.writeTextFile(join(o.runDir, "results.json"), "{}");
    if (options.validation) await Deno.writeTextFile(join(o.runDir, "validation.json"), "{}");
  };
  return { runner, calls };
}

Deno.test("validatesOnHoldout() is true for validation drawn from the training folders: held-out chunks or loso", () => {
  assertEquals(validatesOnHoldout(runConfig("intra", "/d", HOLDOUT)), true);
  assertEquals(validatesOnHoldout(runConfig("cross", "/d")), true);
  assertEquals(validatesOnHoldout(runConfig("cross", "/d", SPLITS)), false);
  assertEquals(validatesOnHoldout(runConfig("cross", "/d", { validation: "loso" })), true);
  assertEquals(validatesOnHoldout(runConfig("intra", "/d", { holdoutChunks: 0 })), false);
  assertEquals(validatesOnHoldout(runConfig("intra", "/d", { validationSplits: ["Intra/test"] })), false);
  // A config.json written before `validation`: no folders means held-out chunks.
  const { validation: _, ...old } = runConfig("cross", "/d");
  assertEquals(validatesOnHoldout(old as RunConfig), true);
});

Deno.test("isTrialFinished() needs results.json, and validation.json for hold-out validation", async () => {
  await withTempDir(async (dir) => {
    const cross = runConfig("cross", "/d", SPLITS);
    const intra = runConfig("intra", "/d", HOLDOUT);
    assertEquals(await isTrialFinished(join(dir, "absent"), cross), false);
    assertEquals(await isTrialFinished(dir, cross), false);
    await Deno.writeTextFile(join(dir, "results.json"), "{}");
    assertEquals(await isTrialFinished(dir, cross), true);
    assertEquals(await isTrialFinished(dir, intra), false);
    await Deno.writeTextFile(join(dir, "validation.json"), "{}");
    assertEquals(await isTrialFinished(dir, intra), true);
    // Runs written since roles exist hold the validation in results.json.
    await Deno.remove(join(dir, "validation.json"));
    await Deno.writeTextFile(join(dir, "results.json"), '{"splits":{"validation":{"role":"validation"}}}');
    assertEquals(await isTrialFinished(dir, intra), true);
  });
});

Deno.test("runTrial() runs a new trial into its folder and records what it is", async () => {
  await withTempDir(async (dir) => {
    const { runner, calls } = recordingRunner();
    const spec = trial();
    const outcome = await runTrial(spec, join(dir, "trials", "t1"), { runner, log: () => {} });
    assertEquals(outcome, { trialId: "t1", status: "done" });
    assertEquals(calls.length, 1);
    assertEquals(calls[0].config, spec.config);
    assertEquals([calls[0].options.runDir, calls[0].options.resume], [join(dir, "trials", "t1"), false]);
    const saved = JSON.parse(await Deno.readTextFile(join(dir, "trials", "t1", "trial.json")));
    assertEquals(saved, { trialId: "t1", values: { learningRate: 0.01 }, config: spec.config });
  });
});

Deno.test("runTrial() reuses a finished trial without running it again", async () => {
  await withTempDir(async (dir) => {
    const { runner, calls } = recordingRunner();
    await runTrial(trial(), dir, { runner, log: () => {} });
    const trialJson = await Deno.readTextFile(join(dir, "trial.json"));
    assertEquals(await runTrial(trial(), dir, { runner, log: () => {} }), { trialId: "t1", status: "reused" });
    assertEquals(calls.length, 1);
    assertEquals(await Deno.readTextFile(join(dir, "trial.json")), trialJson);
  });
});

Deno.test("runTrial() resumes an interrupted trial: a config.json without results", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "config.json"), "{}");
    const { runner, calls } = recordingRunner();
    assertEquals((await runTrial(trial(), dir, { runner, log: () => {} })).status, "done");
    assertEquals(calls[0].options.resume, true);
  });
});

Deno.test("runTrial() of an intra-subject trial reruns until validation.json is there", async () => {
  await withTempDir(async (dir) => {
    const spec = trial(runConfig("intra", "/data", HOLDOUT));
    const without = recordingRunner();
    await runTrial(spec, dir, { runner: without.runner, log: () => {} });
    const withValidation = recordingRunner({ validation: true });
    assertEquals((await runTrial(spec, dir, { runner: withValidation.runner, log: () => {} })).status, "done");
    assertEquals(withValidation.calls.length, 1);
    assertEquals(withValidation.calls[0].options.resume, true);
    assertEquals((await runTrial(spec, dir, { runner: withValidation.runner, log: () => {} })).status, "reused");
  });
});

Deno.test("runTrial() records a failure in error.txt instead of throwing", async () => {
  await withTempDir(async (dir) => {
    const lines: string[] = [];
    const { runner } = recordingRunner({ fail: new RangeError("learning rate too high") });
    const outcome = await runTrial(trial(), dir, { runner, log: (line) => lines.push(line) });
    assertEquals(outcome, { trialId: "t1", status: "failed", error: "learning rate too high" });
    const error = await Deno.readTextFile(join(dir, "error.txt"));
    assert(error.startsWith("RangeError: learning rate too high\n"), error);
    assertStringIncludes(error, "run_trial_test.ts"); // the stack
    assertEquals(lines, ["tune: trial t1 failed: learning rate too high"]);
  });
});

Deno.test("runTrial() records a thrown non-Error by its text", async () => {
  await withTempDir(async (dir) => {
    const { runner } = recordingRunner({ fail: "out of memory" });
    assertEquals(await runTrial(trial(), dir, { runner, log: () => {} }), {
      trialId: "t1",
      status: "failed",
      error: "out of memory",
    });
    assertEquals(await Deno.readTextFile(join(dir, "error.txt")), "out of memory\n");
  });
});

Deno.test("runTrial() retries a failed trial and removes its old error", async () => {
  await withTempDir(async (dir) => {
    await runTrial(trial(), dir, { runner: recordingRunner({ fail: new Error("flaky") }).runner, log: () => {} });
    const retry = recordingRunner();
    assertEquals((await runTrial(trial(), dir, { runner: retry.runner, log: () => {} })).status, "done");
    assertEquals(retry.calls.length, 1);
    assertEquals(await Deno.stat(join(dir, "error.txt")).then(() => "kept", () => "removed"), "removed");
  });
});

Deno.test("trainTrial() does not train a cross-subject trial whose results.json exists", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "results.json"), '{"kept":true}');
    // The data folder does not exist: training would fail.
    const config = runConfig("cross", join(dir, "no-data"), SPLITS);
    await trainTrial(config, { runDir: dir, resume: false, log: () => {} });
    assertEquals(await Deno.readTextFile(join(dir, "results.json")), '{"kept":true}');
    const names: string[] = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assertEquals(names, ["results.json"]);
  });
});
