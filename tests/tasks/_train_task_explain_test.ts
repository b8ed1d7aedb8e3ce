import { assert, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { runTrainTask } from "../../tasks/_train_task.ts";
import { writeToyData } from "../orchestration/_toy_data.ts";

Deno.test("train-cross --explain explains the run on test3 after training", async () => {
  const dir = await Deno.makeTempDir();
  const lines: string[] = [];
  const [log, error] = [console.log, console.error];
  try {
    await writeToyData(join(dir, "data"));
    const config = join(dir, "config.json");
    await Deno.writeTextFile(
      config,
      JSON.stringify({ validationSplits: ["Cross/test1"], testSplits: ["Cross/test3"] }),
    );
    console.log = (line: string) => lines.push(line);
    console.error = () => {};
    await runTrainTask("cross", [
      ...["--data", join(dir, "data"), "--out", join(dir, "run"), "--cache", join(dir, "cache"), "--config", config],
      ...["--model", "spectral", "--epochs", "1", "--backend", "cpu", "--window-seconds", "0.5", "--no-augment"],
      "--explain",
    ]);
  } finally {
    [console.log, console.error] = [log, error];
  }
  try {
    assertStringIncludes(lines.join("\n"), "explained:");
    assert((await Deno.stat(join(dir, "run", "explain", "saliency.json"))).isFile);
    assertStringIncludes(await Deno.readTextFile(join(dir, "run", "report.html")), "Inside the model");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
