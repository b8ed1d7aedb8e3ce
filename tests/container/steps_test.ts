/**
 * The container's steps (`container/steps.sh`) run on this bare machine, where no image can be
 * built, and the Dockerfile, compose file and Kubernetes manifests are checked to use them and to
 * hold valid megflow command lines.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { SUBCOMMANDS } from "../../tasks/megflow.ts";
import { parseTrainCommand } from "../../tasks/_cli.ts";
import { parseTuneCommand } from "../../tasks/_tune_command.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SKIP = new Set(["node_modules", ".git", "runs", ".cache", "scratch"]);

/** Copies the repository at `from` to `to`, without installed packages, git data and run output. */
async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (SKIP.has(entry.name)) continue;
    if (entry.isDirectory) await copyTree(join(from, entry.name), join(to, entry.name));
    else if (entry.isFile) await Deno.copyFile(join(from, entry.name), join(to, entry.name));
  }
}

/** Runs `bash <app>/container/steps.sh ...args` in `cwd`; exit code and output. */
async function steps(app: string, args: string[], cwd: string, env: Record<string, string>) {
  const command = new Deno.Command("bash", {
    args: [join(app, "container", "steps.sh"), ...args],
    cwd,
    env,
    stdout: "piped",
    stderr: "piped",
  });
  const output = await command.output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test("steps.sh build caches the locked dependencies and installs megflow; entry runs megflow commands", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "megflow-steps-" });
  try {
    const app = join(tmp, "app");
    await copyTree(ROOT, app);
    const root = join(tmp, "root");
    const env = { DENO_INSTALL_ROOT: root };
    const build = await steps(app, ["build", app], tmp, env);
    assertEquals(build.code, 0, build.stderr);
    assertStringIncludes(
      build.stdout,
      `megflow ${JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json"))).version}`,
    );
    assert((await Deno.stat(join(app, "node_modules", "@tensorflow", "tfjs-core"))).isDirectory);
    assertStringIncludes(await Deno.readTextFile(join(root, "bin", "megflow")), `${app}/tasks/megflow.ts`);

    const work = join(tmp, "work");
    await Deno.mkdir(work);
    const help = await steps(app, ["entry"], work, env);
    assertEquals(help.code, 0, help.stderr);
    assertStringIncludes(help.stdout, "Usage: megflow <command> [flags]");
    const synth = [
      "synth",
      "--preset",
      "small",
      "--samples",
      "64",
      "--splits",
      "Intra/test",
      "--out",
      "data",
      "--quiet",
    ];
    const wrote = await steps(app, ["entry", ...synth], work, env);
    assertEquals(wrote.code, 0, wrote.stderr);
    assertEquals((await Array.fromAsync(Deno.readDir(join(work, "data", "Intra", "test")))).length, 4);
    const deno = await steps(app, ["entry", "deno", "--version"], work, env);
    assertStringIncludes(deno.stdout, `deno ${Deno.version.deno}`);
    const failing = await steps(app, ["entry", "train-cross", "--epochs", "0"], work, env);
    assertEquals(failing.code, 1);
    assertStringIncludes(failing.stderr, "--epochs must be a positive integer, got 0");

    // --frozen: a lock that does not hold what deno.json asks for fails the build.
    const config = JSON.parse(await Deno.readTextFile(join(app, "deno.json")));
    config.imports.rxjs = "npm:rxjs@7.8.1";
    await Deno.writeTextFile(join(app, "deno.json"), JSON.stringify(config));
    const stale = await steps(app, ["build", app], tmp, env);
    assertEquals(stale.code, 1);
    assertStringIncludes(stale.stderr, "lockfile is out of date");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("steps.sh compile runs deno compile on megflow with every task file included, then the binary", async () => {
  // deno compile downloads Deno's runtime, which the test machines cannot: a stand-in `deno` records the call.
  const tmp = await Deno.makeTempDir({ prefix: "megflow-compile-" });
  try {
    const fake = [
      "#!/bin/sh",
      `echo "$*" >> "${tmp}/calls"`,
      'while [ "$#" -gt 0 ]; do [ "$1" = --output ] && out="$2"; shift; done',
      `printf '#!/bin/sh\\necho megflow-binary "$@"\\n' > "$out" && chmod +x "$out"`,
    ].join("\n");
    await Deno.mkdir(join(tmp, "bin"));
    await Deno.writeTextFile(join(tmp, "bin", "deno"), fake + "\n", { mode: 0o755 });
    const out = join(tmp, "megflow");
    const result = await steps(ROOT, ["compile", out, ROOT], tmp, { PATH: `${tmp}/bin:${Deno.env.get("PATH")}` });
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stdout.trim(), "megflow-binary --version");
    const call = (await Deno.readTextFile(join(tmp, "calls"))).trim();
    const tasks = (await Array.fromAsync(Deno.readDir(join(ROOT, "tasks"))))
      .map((entry) => entry.name).filter((name) => /^[^_].*\.ts$/.test(name)).sort();
    const included = [...call.matchAll(/--include tasks\/(\S+)/g)].map((match) => match[1]).sort();
    assertEquals(included, tasks);
    assertMatch(call, new RegExp(`^compile -A --frozen (--include \\S+ )+--output ${out} tasks/megflow\\.ts$`));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("steps.sh without a known step prints its usage and exits 2", async () => {
  const result = await steps(ROOT, ["deploy"], ROOT, {});
  assertEquals(result.code, 2);
  assertStringIncludes(result.stderr, "container/steps.sh build [APP_DIR]");
  assertStringIncludes(result.stderr, "container/steps.sh entry [ARGS...]");
});

Deno.test("the Dockerfile builds on Deno's Debian image of this Deno with the steps, WebGPU's libraries and a non-root user", async () => {
  const dockerfile = await Deno.readTextFile(join(ROOT, "container", "Dockerfile"));
  assertStringIncludes(dockerfile, `ARG DENO_VERSION=${Deno.version.deno}\n`);
  assertStringIncludes(dockerfile, "FROM denoland/deno:debian-${DENO_VERSION} AS base");
  assertMatch(dockerfile, /apt-get install -y --no-install-recommends libvulkan1 mesa-vulkan-drivers/);
  assertStringIncludes(dockerfile, "NVIDIA_VISIBLE_DEVICES=all");
  assertStringIncludes(dockerfile, "NVIDIA_DRIVER_CAPABILITIES=compute,graphics,utility");
  const user = dockerfile.indexOf("\nUSER deno\n");
  assert(user > 0 && user < dockerfile.indexOf("\nRUN container/steps.sh build /app\n"), "USER deno before the build");
  assertStringIncludes(dockerfile, "RUN container/steps.sh compile /app/dist/megflow /app");
  const stages = [...dockerfile.matchAll(/^FROM .* AS (\w+)$/gm)].map((match) => match[1]);
  assertEquals(stages.at(-1), "runtime", "the default (last) stage is the runtime image");
  assertStringIncludes(dockerfile, 'ENTRYPOINT ["/tini", "--", "/app/container/steps.sh", "entry"]');
});

/** The `args: [...]` and `command: [...]` arrays of a YAML file written as JSON arrays. */
function commandLines(yaml: string): string[][] {
  return [...yaml.matchAll(/^\s*(?:args|command): (\[.*\])$/gm)].map((match) => JSON.parse(match[1]));
}

Deno.test("compose reserves the NVIDIA GPU with graphics, and runs megflow commands", async () => {
  const compose = await Deno.readTextFile(join(ROOT, "container", "compose.yaml"));
  assertStringIncludes(compose, "reservations:\n        devices:\n          - driver: nvidia\n");
  assertStringIncludes(compose, "capabilities: [gpu, compute, graphics, utility]");
  assertStringIncludes(compose, "dockerfile: container/Dockerfile");
  const lines = commandLines(compose);
  assertEquals(lines.map((line) => line[0]), ["train-cross", "doctor"]);
  for (const line of lines) assert(Object.hasOwn(SUBCOMMANDS, line[0]), line[0]);
});

Deno.test("the Kubernetes Job trains on one GPU and the Indexed Job runs trial $(index) of a planned search", async () => {
  const train = await Deno.readTextFile(join(ROOT, "container", "k8s", "train-job.yaml"));
  assertStringIncludes(train, "kind: Job\n");
  assertStringIncludes(train, "limits: { nvidia.com/gpu: 1,");
  const [trainArgs] = commandLines(train);
  assertEquals(trainArgs[0], "train-cross");
  const command = await parseTrainCommand("cross", trainArgs.slice(1));
  assertEquals([command.config.data, command.runDir], ["/shared/Final_Project_data", "/shared/runs/cross-cnn"]);

  const tune = await Deno.readTextFile(join(ROOT, "container", "k8s", "tune-indexed-job.yaml"));
  assertStringIncludes(tune, "completionMode: Indexed\n");
  assertStringIncludes(tune, "limits: { nvidia.com/gpu: 1,");
  assertStringIncludes(tune, "fieldPath: metadata.annotations['batch.kubernetes.io/job-completion-index']");
  const [tuneArgs] = commandLines(tune);
  assertEquals(tuneArgs.slice(0, 1).concat(tuneArgs.at(-1)!), ["tune", "$(TRIAL)"]);
  const trial = tuneArgs.slice(1).map((arg) => arg === "$(TRIAL)" ? "7" : arg);
  assertEquals(await parseTuneCommand(trial), { mode: "run-trial", out: "/shared/tune-gru", index: 7 });
});
