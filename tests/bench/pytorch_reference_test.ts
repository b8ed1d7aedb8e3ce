import { assert, assertEquals, assertMatch, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import { join } from "node:path";
import {
  benchTrainAgainstPytorch,
  combineRounds,
  compareToPytorch,
  findTorchPython,
  parseTwinReport,
  runPytorchTwins,
  type TwinResult,
} from "../../bench/pytorch_reference.ts";
import { BENCH_VARIANTS, type TrainBenchResult } from "../../bench/train.ts";
import { MODEL_RECIPES } from "../../training/model_recipes.ts";
import { writeTwinCheck } from "../../bench/_twin_check.ts";
import { setupBackend } from "../../backends/backend.ts";
import { MODELS } from "../../models/registry.ts";
import { fileURLToPath } from "node:url";
import { fakePython, withDir } from "./_fake_python.ts";

const PREFIX = "megflow-pytorch-test-";

/** The probe's answer, then for the twins' script: the arguments to `args.txt` and `report` on stdout. */
function twinsScript(dir: string, report: string): string {
  return `if [ "$1" = "-c" ]; then echo "3.11.2 1.13.1"; exit 0; fi\n` +
    `shift; echo "$*" > ${join(dir, "args.txt")}; echo progress; echo '${report}'`;
}

const NO_TORCH = "echo 'Traceback (most recent call last):' >&2; " +
  "echo \"ModuleNotFoundError: No module named 'torch'\" >&2; exit 1";

const MEGFLOW: TrainBenchResult = {
  windowsPerSecond: 150,
  msPerStep: 213,
  inferenceWindowsPerSecond: 600,
  steps: 5,
  params: 45188,
};
const TWIN: TwinResult = {
  params: 45188,
  trainableParams: 45188,
  nonTrainableParams: 0,
  expectedParams: 45188,
  windowsPerSecond: 300,
  inferenceWindowsPerSecond: 400,
  steps: 5,
};

Deno.test("findTorchPython() says clearly why there is no PyTorch: each candidate's reason and how to install it", async () => {
  await withDir(PREFIX, async (dir) => {
    const noTorch = await fakePython(dir, NO_TORCH);
    const probe = await findTorchPython([join(dir, "missing"), noTorch]);
    assert("missing" in probe);
    assertStringIncludes(probe.missing, "PyTorch comparison skipped: no Python with torch");
    assertStringIncludes(probe.missing, `${join(dir, "missing")}: not found`);
    assertStringIncludes(probe.missing, `${noTorch}: ModuleNotFoundError: No module named 'torch'`);
    assertStringIncludes(probe.missing, "apt install python3-torch");
  });
});

Deno.test("findTorchPython() returns the first candidate that imports torch, with the versions", async () => {
  await withDir(PREFIX, async (dir) => {
    const python = await fakePython(dir, 'echo "3.11.2 1.13.1"');
    assertEquals(await findTorchPython([join(dir, "missing"), python]), {
      found: { command: python, python: "3.11.2", torch: "1.13.1" },
    });
  });
});

Deno.test("parseTwinReport() reads the last line and rejects output without a report", () => {
  const line = JSON.stringify({ torch: "1.13.1", threads: 2, models: { gru: TWIN } });
  const report = parseTwinReport(`pytorch gru: 45188 params\n${line}\n\n`);
  assertEquals(report.models.gru.windowsPerSecond, 300);
  assertEquals(report.threads, 2);
  assertThrows(() => parseTwinReport("Killed\n"), Error, "printed no JSON report; its last line: Killed");
  assertThrows(() => parseTwinReport('{"torch": "1.13.1"}'), Error, 'no "models" object');
});

Deno.test("compareToPytorch() is megflow / PyTorch windows per second, at least as fast when >= 1", () => {
  const slower = compareToPytorch("gru", MEGFLOW, TWIN);
  assert("ratio" in slower);
  assertEquals([slower.ratio, slower.atLeastAsFast, slower.inferenceRatio], [0.5, false, 1.5]);
  assertEquals([slower.megflowWindowsPerSecond, slower.pytorchWindowsPerSecond, slower.params], [150, 300, 45188]);
  const even = compareToPytorch("gru", { ...MEGFLOW, windowsPerSecond: 300 }, TWIN);
  assert("ratio" in even && even.ratio === 1 && even.atLeastAsFast);
});

Deno.test("compareToPytorch() gives no ratio for a refused, missing, untimed or differently sized twin", () => {
  const refused = { ...TWIN, refused: "the twin has 45380 parameters, megflow's gru has 45188: not the same network" };
  assertEquals(compareToPytorch("gru", MEGFLOW, refused), { error: `PyTorch twin refused: ${refused.refused}` });
  assertEquals(compareToPytorch("gru", MEGFLOW, undefined), {
    error: "bench/pytorch_twins.py reported nothing for gru",
  });
  assertEquals(compareToPytorch("gru", MEGFLOW, { ...TWIN, windowsPerSecond: undefined }), {
    error: "PyTorch twin of gru was not timed",
  });
  assertEquals(compareToPytorch("gru", MEGFLOW, { ...TWIN, params: 45380 }), {
    error: "PyTorch twin of gru has 45380 parameters, megflow's model 45188",
  });
});

Deno.test("runPytorchTwins() passes models, expected counts, steps, batch and threads, and reports the script's error", async () => {
  await withDir(PREFIX, async (dir) => {
    const python = await fakePython(dir, twinsScript(dir, '{"threads": 1, "models": {}}'));
    const report = await runPytorchTwins(python, {
      models: ["gru", "cnn"],
      expect: { gru: 45188, cnn: 5604 },
      steps: 3,
      warmup: 1,
      batchSize: 8,
      threads: 2,
    });
    assertEquals(report, { threads: 1, models: {} } as unknown);
    assertEquals(
      (await Deno.readTextFile(join(dir, "args.txt"))).trim(),
      "--models gru,cnn --expect gru=45188,cnn=5604 --steps 3 --warmup 1 --batch 8 --threads 2",
    );
    const failing = await fakePython(dir, NO_TORCH);
    await assertRejects(
      () => runPytorchTwins(failing, { models: ["gru"], expect: {} }),
      Error,
      "No module named 'torch'",
    );
  });
});

const TINY = { steps: { wasm: 1 }, warmupSteps: { wasm: 0 }, inferenceSteps: { wasm: 1 }, batchSize: 2 };

Deno.test("benchTrainAgainstPytorch() without torch says so, skips the twins and still benchmarks megflow", async () => {
  await withDir(PREFIX, async (dir) => {
    const lines: string[] = [];
    const { train, pytorch } = await benchTrainAgainstPytorch({
      ...TINY,
      backends: ["wasm"],
      models: ["spectral"],
      python: await fakePython(dir, NO_TORCH),
      onProgress: (line) => lines.push(line),
    });
    assertMatch(pytorch.skipped!, /^PyTorch comparison skipped: no Python with torch .*No module named 'torch'/);
    assertEquals(pytorch.models, {});
    assert(lines.includes(pytorch.skipped!));
    assert(train.wasm.spectral.windowsPerSecond > 0);
    assertEquals(train.wasm.spectral.params, 44804);
  });
});

Deno.test("benchTrainAgainstPytorch() checks each twin against the megflow model it just measured and reports the ratio", async () => {
  await withDir(PREFIX, async (dir) => {
    const twin = { ...TWIN, params: 44804, expectedParams: 44804, windowsPerSecond: 1000 };
    const blas = ["/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0"];
    const report = JSON.stringify({ torch: "1.13.1", threads: 1, blas, models: { spectral: twin } });
    const lines: string[] = [];
    const { train, pytorch } = await benchTrainAgainstPytorch({
      ...TINY,
      backends: ["wasm"],
      models: ["spectral"],
      python: await fakePython(dir, twinsScript(dir, report)),
      onProgress: (line) => lines.push(line),
    });
    assertEquals(
      (await Deno.readTextFile(join(dir, "args.txt"))).trim(),
      "--models spectral --expect spectral=44804 --steps 1 --warmup 0 --batch 2",
    );
    const comparison = pytorch.models.spectral;
    assert("ratio" in comparison);
    assertEquals(comparison.ratio, train.wasm.spectral.windowsPerSecond / 1000);
    assertEquals(comparison.pytorchWindowsPerSecond, 1000);
    assertEquals([pytorch.torch, pytorch.threads, pytorch.loadavg?.start.length], ["1.13.1", 1, 3]);
    // Which BLAS the twins ran on is in the report and the progress (it sets PyTorch's speed).
    assertEquals(pytorch.blas, blas);
    assert(lines.includes(`pytorch: BLAS ${blas[0]}`));
    assert(lines.some((line) => line.startsWith("pytorch spectral (44804 params): megflow wasm ")));
  });
});

Deno.test("benchTrainAgainstPytorch() compares a bench variant with the twin of its model", async () => {
  await withDir(PREFIX, async (dir) => {
    const report = JSON.stringify({ models: { spectral: { ...TWIN, refused: "counts differ" } } });
    const { pytorch } = await benchTrainAgainstPytorch({
      ...TINY,
      backends: ["wasm"],
      models: ["cnn_textbook"],
      python: await fakePython(dir, twinsScript(dir, report)),
    });
    assertStringIncludes(await Deno.readTextFile(join(dir, "args.txt")), "--models cnn --expect cnn=5604");
    assertEquals(pytorch.models.cnn_textbook, { error: "bench/pytorch_twins.py reported nothing for cnn" });
  });
});

Deno.test("benchTrainAgainstPytorch() compares vivit_cross (vivit's cross recipe) with its own twin, not vivit's", async () => {
  await withDir(PREFIX, async (dir) => {
    const report = JSON.stringify({ models: {} });
    const { pytorch } = await benchTrainAgainstPytorch({
      ...TINY,
      backends: ["wasm"],
      models: ["vivit_cross"],
      python: await fakePython(dir, twinsScript(dir, report)),
    });
    // 23460 weights: the recipe's network (8 spatial filters, 8 FIR cell filters of 32 taps, log mean powers of
    // whole-grid 50-sample tubelets, linear tokens; since session 21 also vivit's registry default), not vivit_wide's
    // 463876.
    assertStringIncludes(
      await Deno.readTextFile(join(dir, "args.txt")),
      "--models vivit_cross --expect vivit_cross=23460",
    );
    assertEquals(pytorch.models.vivit_cross, { error: "bench/pytorch_twins.py reported nothing for vivit_cross" });
  });
});

Deno.test("combineRounds() takes the median of the rounds' ratios, keeps every round and the range, drops none", () => {
  const round = (megflow: number, pytorch: number, first: "megflow" | "pytorch", loadavg: number) => ({
    comparison: compareToPytorch(
      "gru",
      { ...MEGFLOW, windowsPerSecond: megflow, cpuMsPerStep: 40 },
      { ...TWIN, windowsPerSecond: pytorch, cpuMsPerStep: 60 },
    ),
    first,
    helperTasksPerStep: 14,
    loadavg,
  });
  // ratios 0.5, 1.5, 1.2, 0.8: the median 1.0 (not the ratio of the median rates, 220 / 237.5)
  const combined = combineRounds([
    round(150, 300, "megflow", 1),
    round(300, 200, "pytorch", 2),
    round(240, 200, "megflow", 3),
    round(200, 250, "pytorch", 4),
  ]);
  assert("ratio" in combined);
  assertEquals([combined.ratio, combined.atLeastAsFast, combined.ratioRange], [1, true, [0.5, 1.5]]);
  assertEquals([combined.megflowWindowsPerSecond, combined.pytorchWindowsPerSecond], [220, 225]);
  assertEquals([combined.megflowCpuMsPerStep, combined.pytorchCpuMsPerStep], [40, 60]);
  assertEquals(combined.rounds?.map((r) => [r.first, r.ratio, r.loadavg, r.helperTasksPerStep]), [
    ["megflow", 0.5, 1, 14],
    ["pytorch", 1.5, 2, 14],
    ["megflow", 1.2, 3, 14],
    ["pytorch", 0.8, 4, 14],
  ]);
  // a round without a comparison makes the whole comparison that error
  const refused = { comparison: { error: "PyTorch twin refused: counts" }, first: "pytorch" as const, loadavg: 1 };
  assertEquals(combineRounds([round(150, 300, "megflow", 1), refused]), refused.comparison);
});

Deno.test("benchTrainAgainstPytorch() with repeats alternates megflow and the twin and reports every round", async () => {
  await withDir(PREFIX, async (dir) => {
    const twin = { ...TWIN, params: 44804, expectedParams: 44804, windowsPerSecond: 1000 };
    const report = JSON.stringify({ torch: "1.13.1", threads: 1, models: { spectral: twin } });
    // the stand-in appends a line per twin run, so the calls are counted
    const script = `if [ "$1" = "-c" ]; then echo "3.11.2 1.13.1"; exit 0; fi\n` +
      `echo twin >> ${join(dir, "calls.txt")}; echo '${report}'`;
    const lines: string[] = [];
    const { train, pytorch } = await benchTrainAgainstPytorch({
      ...TINY,
      backends: ["wasm"],
      models: ["spectral"],
      repeats: 3,
      python: await fakePython(dir, script),
      onProgress: (line) => lines.push(line),
    });
    assertEquals((await Deno.readTextFile(join(dir, "calls.txt"))).trim().split("\n").length, 3);
    const comparison = pytorch.models.spectral;
    assert("ratio" in comparison);
    assertEquals(comparison.rounds?.map((r) => r.first), ["megflow", "pytorch", "megflow"]);
    const ratios = comparison.rounds!.map((r) => r.ratio).sort((a, b) => a - b);
    assertEquals([comparison.ratio, comparison.ratioRange], [ratios[1], [ratios[0], ratios[2]]]);
    assert(train.wasm.spectral.cpuMsPerStep! > 0);
    assertEquals(lines.filter((line) => line.startsWith("round ")).length, 3);
    await assertRejects(
      () => benchTrainAgainstPytorch({ ...TINY, backends: ["wasm"], models: ["spectral"], repeats: 0, python: dir }),
      RangeError,
      "repeats must be an integer >= 1",
    );
  });
});

Deno.test("vivit_cross is built with vivit's cross-subject recipe options", () => {
  assertEquals(BENCH_VARIANTS.vivit_cross.options, MODEL_RECIPES.vivit.cross?.modelOptions);
});

Deno.test("benchTrainAgainstPytorch() without wasm among the backends skips the comparison", async () => {
  const { train, pytorch } = await benchTrainAgainstPytorch({
    ...TINY,
    steps: { cpu: 1 },
    backends: ["cpu"],
    models: ["spectral"],
    python: "/nonexistent/python3",
  });
  assertStringIncludes(pytorch.skipped!, "compares with megflow on wasm");
  assertEquals(Object.keys(train), ["cpu"]);
});

// Runs only where a Python with torch is installed (CI has none): the twins' own checks.
const torchProbe = await findTorchPython();

Deno.test({
  name:
    "every PyTorch twin has its megflow model's weight count and, given its weights, the same outputs (needs torch)",
  ignore: !("found" in torchProbe),
  fn: async () => {
    await setupBackend("wasm");
    const dir = await Deno.makeTempDir({ prefix: "megflow-twin-check-" });
    try {
      const file = join(dir, "check.json");
      // the registered models and the bench variants with a twin of their own (vivit_cross)
      const variants = Object.entries(BENCH_VARIANTS).filter(([, v]) => v.twin !== undefined).map(([name]) => name);
      const models = [...Object.keys(MODELS), ...variants];
      await writeTwinCheck(file, models);
      const script = fileURLToPath(new URL("../../bench/pytorch_twins.py", import.meta.url));
      const python = "found" in torchProbe ? torchProbe.found.command : "";
      const output = await new Deno.Command(python, {
        args: [script, "--check", file],
        stdout: "piped",
        stderr: "null",
      })
        .output();
      const report = JSON.parse(new TextDecoder().decode(output.stdout)) as {
        models: Record<string, { params: number; expectedParams: number; maxLogDiff: number; unusedWeights: string[] }>;
      };
      assertEquals(Object.keys(report.models), models);
      for (const [name, result] of Object.entries(report.models)) {
        assertEquals([name, result.params, result.unusedWeights], [name, result.expectedParams, []]);
        assert(result.maxLogDiff < 1e-4, `${name}: log-probabilities differ by ${result.maxLogDiff}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
