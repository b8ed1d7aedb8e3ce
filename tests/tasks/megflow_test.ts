import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { availableSubcommands, main, SUBCOMMANDS } from "../../tasks/megflow.ts";
import { writeDataset } from "../../synth/write_dataset.ts";
import { MEGFLOW_VERSION } from "../../core/version.ts";
import { printed } from "./_printed.ts";

const ROOT = new URL("../../", import.meta.url);
const TASKS = new URL("tasks/", ROOT);

/** Runs `program args` in `cwd` with `env` added; exit code and output. */
async function run(program: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const output = await new Deno.Command(program, { args, cwd, env, stdout: "piped", stderr: "piped" }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test("every megflow subcommand present is a task file exporting main(args), and every deno task has one", async () => {
  const present = await availableSubcommands();
  for (const name of present) {
    const task = await import(new URL(SUBCOMMANDS[name].file, TASKS).href);
    assertEquals(typeof task.main, "function", `tasks/${SUBCOMMANDS[name].file} exports main`);
  }
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const taskNames = Object.entries(config.tasks as Record<string, string>)
    .filter(([name, command]) => /tasks\/[a-z_]+\.ts/.test(command) && !["install", "megflow"].includes(name))
    .map(([name]) => name);
  assertEquals(taskNames.filter((name) => !present.includes(name)), [], "deno tasks without a megflow subcommand");
  // The prediction server's subcommand is declared; it is offered exactly when its file exists.
  const hasServe = await Deno.stat(new URL("serve.ts", TASKS)).then(() => true, () => false);
  assertEquals(present.includes("serve"), hasServe);
});

Deno.test("megflow --help lists the commands; an unknown or absent one is refused with the list", async () => {
  const help = await printed(() => main(["--help"]));
  assertStringIncludes(help, `megflow ${MEGFLOW_VERSION}:`);
  for (const name of await availableSubcommands()) assertStringIncludes(help, `\n  ${name} `);
  assertEquals(await printed(() => main([])), help);
  assertStringIncludes(await printed(() => main(["--version"])), `megflow ${MEGFLOW_VERSION} (Deno `);
  await assertRejects(
    () => main(["trian-cross"]),
    RangeError,
    '"trian-cross" is not a megflow command; commands: train-cross',
  );
  await assertRejects(() => main(["toString"]), RangeError, "is not a megflow command");
  assertStringIncludes(await printed(() => main(["train-intra", "--help"])), "Usage: deno task train-intra");
});

Deno.test("megflow dispatches a subcommand once its task file exists (serve)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "megflow-dispatch-" });
  try {
    await Deno.mkdir(join(dir, "tasks"));
    await Deno.mkdir(join(dir, "core"));
    await Deno.copyFile(new URL("megflow.ts", TASKS), join(dir, "tasks", "megflow.ts"));
    await Deno.copyFile(new URL("core/version.ts", ROOT), join(dir, "core", "version.ts"));
    const megflow = join(dir, "tasks", "megflow.ts");
    const before = await run(Deno.execPath(), ["run", "-A", megflow, "serve", "--port", "0"], dir);
    assertEquals(before.code, 1);
    assertStringIncludes(before.stderr, 'megflow serve: "serve" is not part of this copy of megflow');
    const serve = "export function main(args: string[]) {\n  console.log(`serving with ${args.join(' ')}`);\n}\n";
    await Deno.writeTextFile(join(dir, "tasks", "serve.ts"), serve);
    const after = await run(Deno.execPath(), ["run", "-A", megflow, "serve", "--port", "0"], dir);
    assertEquals([after.code, after.stdout.trim()], [0, "serving with --port 0"], after.stderr);
    assertStringIncludes((await run(Deno.execPath(), ["run", "-A", megflow, "--help"], dir)).stdout, "\n  serve ");
    // A task file that is there but broken reports its own error, not a missing subcommand.
    await Deno.writeTextFile(join(dir, "tasks", "serve.ts"), `import "./server_core.ts";\n${serve}`);
    const broken = await run(Deno.execPath(), ["run", "-A", megflow, "serve"], dir);
    assertEquals(broken.code, 1);
    assertStringIncludes(broken.stderr, "megflow serve: Module not found");
    assertStringIncludes(broken.stderr, "server_core.ts");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task install puts megflow on PATH; it trains from a folder outside the repository", async () => {
  const root = await Deno.makeTempDir({ prefix: "megflow-install-" });
  try {
    const installed = await run(Deno.execPath(), ["task", "install"], new URL(".", ROOT).pathname, {
      DENO_INSTALL_ROOT: root,
    });
    assertEquals(installed.code, 0, installed.stderr);
    const megflow = join(root, "bin", "megflow");
    assertStringIncludes(await Deno.readTextFile(megflow), "--allow-all --config");
    const work = join(root, "work");
    await writeDataset(join(work, "data"), {
      preset: "small",
      nTimes: 4096,
      crossTrainChunks: 2, // one per subject and class is held out to validate
      splits: ["Cross/train", "Cross/test1", "Cross/test2", "Cross/test3"],
    });
    const help = await run(megflow, ["train-cross", "--help"], work);
    assertEquals(help.code, 0, help.stderr);
    assertStringIncludes(help.stdout, "--epochs N");
    const tiny = JSON.stringify({ units: 8, projectionUnits: 8, attentionUnits: 8, poolSize: 5 });
    const flags = ["--data", "data", "--model", "gru", "--model-options", tiny, "--epochs", "1", "--backend", "wasm"];
    const window = ["--window-seconds", "1", "--stride-seconds", "0.5", "--no-cache", "--no-augment", "--out", "run"];
    const trained = await run(megflow, ["train-cross", ...flags, ...window], work);
    assertEquals(trained.code, 0, trained.stderr);
    assertStringIncludes(trained.stdout, "cross-subject gru on wasm: best epoch 1");
    assertStringIncludes(trained.stdout, `run folder: ${join(work, "run")}`);
    const results = JSON.parse(await Deno.readTextFile(join(work, "run", "results.json")));
    assertEquals(Object.keys(results.splits).sort(), ["test1", "test2", "test3", "train", "validation"]);
    const doctor = await run(megflow, [
      "doctor",
      "--backends",
      "cpu",
      "--steps",
      "1",
      "--channels",
      "4",
      "--samples",
      "64",
    ], work);
    assertEquals(doctor.code, 0, doctor.stderr);
    assertStringIncludes(doctor.stdout, `megflow ${MEGFLOW_VERSION}\ndeno    ${Deno.version.deno}`);
    const wrong = await run(megflow, ["train-cross", "--epochs", "0", "--data", "data"], work);
    assertEquals([wrong.code, wrong.stderr.trim()], [
      1,
      "megflow train-cross: --epochs must be a positive integer, got 0",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
