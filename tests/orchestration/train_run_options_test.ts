/** `trainRun` refuses an unknown key of its config or options before it reads or writes anything. */
import { assertEquals, assertRejects } from "@std/assert";
import { join } from "node:path";
import { type RunConfig, runConfig } from "../../training/run_config.ts";
import { trainRun } from "../../orchestration/train_run.ts";
import { exists } from "../../core/_exists.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("trainRun() refuses an unknown config key, naming it and the known ones, and writes nothing", () =>
  withDir(async (dir) => {
    const config = { ...runConfig("cross", join(dir, "data")), epoch: 1 } as RunConfig;
    const runDir = join(dir, "run");
    const error = await assertRejects(() => trainRun(config, { runDir }), TypeError, 'unknown option "epoch"');
    assertEquals(error.message.includes("known options: model, modelOptions, epochs"), true, error.message);
    assertEquals(await exists(runDir), false);
  }));

Deno.test("trainRun() refuses a config value of the wrong type or range and an unknown model option", () =>
  withDir(async (dir) => {
    const runDir = join(dir, "run");
    const base = runConfig("cross", join(dir, "data"));
    await assertRejects(() => trainRun({ ...base, epochs: 0 }, { runDir }), RangeError, '"epochs" must be >= 1');
    await assertRejects(() => trainRun({ ...base, batchSize: "8" as never }, { runDir }), TypeError, '"batchSize"');
    await assertRejects(
      () => trainRun({ ...base, modelOptions: { dropout: 0.1 } }, { runDir }),
      TypeError,
      'unknown option "dropout"',
    );
    assertEquals(await exists(runDir), false);
  }));

Deno.test("trainRun() refuses an unknown option key and a missing runDir", () =>
  withDir(async (dir) => {
    const config = runConfig("cross", join(dir, "data"));
    await assertRejects(
      () => trainRun(config, { runDir: join(dir, "run"), resum: true } as never),
      TypeError,
      'Cannot trainRun: unknown option "resum"; known options: runDir, resume, log, progress',
    );
    await assertRejects(() => trainRun(config, {} as never), TypeError, 'option "runDir" must be a folder path');
  }));
