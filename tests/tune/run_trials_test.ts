import { assert, assertEquals, assertRejects } from "@std/assert";
import { join } from "node:path";
import { runConfig } from "../../training/run_config.ts";
import type { TrialSpec } from "../../tune/run_trial.ts";
import { defaultWorkerArgs, rowSummary, runTrials } from "../../tune/run_trials.ts";
import type { TrialRow } from "../../tune/trial_row.ts";
import { fakeRunner, fakeSplit } from "./_fake_runner.ts";
import { withTempDir } from "../_temp_dir.ts";

function trials(rates: number[]): TrialSpec[] {
  return rates.map((learningRate, index) => ({
    index,
    trialId: `t${index}`,
    stage: 0,
    values: { learningRate },
    config: runConfig("cross", "/data", { epochs: 2, learningRate }),
  }));
}

/** Validation accuracy 10 x the learning rate; a rate of 0.666 throws. */
function runner() {
  const fake = fakeRunner((config) => ({ window: config.learningRate * 10, recording: 0.5 }));
  const calls = fake.calls;
  return {
    calls,
    runner: (config: Parameters<typeof fake.runner>[0], options: Parameters<typeof fake.runner>[1]) => {
      if (config.learningRate === 0.666) return Promise.reject(new RangeError("diverged"));
      return fake.runner(config, options);
    },
  };
}

Deno.test("runTrials() runs the trials in order in this process and returns their rows", async () => {
  await withTempDir(async (out) => {
    const fake = runner();
    const lines: string[] = [];
    const rows = await runTrials(trials([0.01, 0.03]), out, { runner: fake.runner, log: (l) => lines.push(l) });
    assertEquals(fake.calls.map((c) => c.config.learningRate), [0.01, 0.03]);
    assertEquals(fake.calls.map((c) => c.runDir), [join(out, "trials", "t0"), join(out, "trials", "t1")]);
    assertEquals(rows.map((r) => [r.trial, r.status, r.valWindowAccuracy]), [["t0", "done", 0.1], ["t1", "done", 0.3]]);
    assertEquals(lines[0], 'tune: t0 (1/2) {"learningRate":0.01}');
    assertEquals(lines[1], "tune: t0: validation 0.100 per window, 0.500 per recording, 2 epochs, 1 s");
    assertEquals(lines[2], 'tune: t1 (2/2) {"learningRate":0.03}');
    assertEquals(lines.length, 4);
  });
});

Deno.test("runTrials() does not rerun finished trials", async () => {
  await withTempDir(async (out) => {
    await runTrials(trials([0.01, 0.03]), out, { runner: runner().runner, log: () => {} });
    const again = runner();
    const rows = await runTrials(trials([0.01, 0.03, 0.05]), out, { runner: again.runner, log: () => {} });
    assertEquals(again.calls.map((c) => c.config.learningRate), [0.05]);
    assertEquals(rows.map((r) => r.status), ["done", "done", "done"]);
  });
});

Deno.test("runTrials() records a failed trial and goes on with the next", async () => {
  await withTempDir(async (out) => {
    const lines: string[] = [];
    const fake = runner();
    const rows = await runTrials(trials([0.666, 0.02]), out, { runner: fake.runner, log: (l) => lines.push(l) });
    assertEquals(rows.map((r) => r.status), ["failed", "done"]);
    assertEquals(rows[0].error, "RangeError: diverged");
    assert(lines.includes("tune: t0: failed: RangeError: diverged"), lines.join("\n"));
  });
});

Deno.test("runTrials() prefixes its lines with the name it is given", async () => {
  await withTempDir(async (out) => {
    const lines: string[] = [];
    await runTrials(trials([0.01]), out, { runner: runner().runner, log: (l) => lines.push(l), name: "study search" });
    assert(lines.length === 2 && lines.every((l) => l.startsWith("study search: t0")), lines.join("\n"));
  });
});

Deno.test("runTrials() of no trials returns no rows", async () => {
  await withTempDir(async (out) => {
    assertEquals(await runTrials([], out, { runner: runner().runner, log: () => {} }), []);
    assertEquals(await runTrials([], out, { workers: 2, log: () => {} }), []);
  });
});

Deno.test("runTrials() with several workers runs each trial as a child process and reads what it wrote", async () => {
  await withTempDir(async (out) => {
    const specs = trials([0.01, 0.02, 0.03]);
    // Each child writes the results of trial `index`, with accuracy index / 10; trial 1's child fails.
    const workerArgs = (index: number, folder: string) => {
      const dir = join(folder, "trials", `t${index}`);
      const results = {
        splits: { validation: { ...fakeSplit("validation", index / 10, 1), role: "validation" } },
        seconds: { total: 1 },
        bestEpoch: 2,
      };
      const code = index === 1
        ? "Deno.exit(2)"
        : `await Deno.writeTextFile(${JSON.stringify(join(dir, "results.json"))}, ${
          JSON.stringify(JSON.stringify(results))
        });`;
      return ["eval", code];
    };
    const lines: string[] = [];
    const rows = await runTrials(specs, out, { workers: 2, workerArgs, log: (l) => lines.push(l) });
    assertEquals(rows.map((r) => [r.trial, r.status, r.valWindowAccuracy]), [
      ["t0", "done", 0],
      ["t1", "pending", null],
      ["t2", "done", 0.2],
    ]);
    // Every child's output went to its trial's log.txt.
    for (const id of ["t0", "t1", "t2"]) await Deno.stat(join(out, "trials", id, "log.txt"));
    assert(lines.some((l) => l.startsWith("tune: t1 (2/3): exit code 2")), lines.join("\n"));
  });
});

Deno.test("runTrials() rejects a worker count that is not a positive integer", async () => {
  for (const workers of [0, 2.5]) {
    await assertRejects(
      () => runTrials(trials([0.01]), "/nowhere", { workers }),
      RangeError,
      `workers must be a positive integer, got ${workers}`,
    );
  }
});

Deno.test("rowSummary() states a finished trial's validation accuracy, epochs and time", () => {
  const row = {
    status: "done",
    valWindowAccuracy: 0.61234,
    valRecordingAccuracy: 0.75,
    epochsRun: 7,
    seconds: 12.6,
    error: null,
  } as unknown as TrialRow;
  assertEquals(rowSummary(row), "validation 0.612 per window, 0.750 per recording, 7 epochs, 13 s");
});

Deno.test("rowSummary() of an unfinished trial is its status, with the error of a failed one", () => {
  assertEquals(rowSummary({ status: "pending", error: null } as TrialRow), "pending");
  assertEquals(rowSummary({ status: "interrupted", error: null } as TrialRow), "interrupted");
  assertEquals(rowSummary({ status: "failed", error: "TypeError: x" } as TrialRow), "failed: TypeError: x");
});

Deno.test("defaultWorkerArgs() runs tune's own trial worker with this repository's deno.json", async () => {
  const args = defaultWorkerArgs(4, "/search");
  assertEquals(args.slice(0, 3), ["run", "-A", "--config"]);
  assertEquals(args.slice(-4), ["--run-trial", "4", "--out", "/search"]);
  assert(args[3].endsWith("deno.json") && args[4].endsWith(join("tune", "_trial_worker.ts")), args.join(" "));
  assert((await Deno.stat(args[3])).isFile);
  assert((await Deno.stat(args[4])).isFile);
});
