import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { main } from "../../tasks/serve.ts";
import { fakeRun, listDir } from "../serve/_run.ts";

/** Runs `fn` with console.error collected instead of printed. */
async function quietly<T>(fn: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const lines: string[] = [];
  const error = console.error;
  console.error = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    return { value: await fn(), lines };
  } finally {
    console.error = error;
  }
}

Deno.test("serve task: --help, and clear errors for missing or bad flags", async () => {
  const printed: string[] = [];
  const log = console.log;
  console.log = (text: string) => void printed.push(text);
  try {
    await main(["--help"]);
  } finally {
    console.log = log;
  }
  assertStringIncludes(printed[0], "--max-upload-mb N");
  assertStringIncludes(printed[0], "POST /predict");
  await assertRejects(() => main([]), RangeError, "--run RUN_DIR is required");
  await assertRejects(() => main(["--run", "x", "--port", "70000"]), RangeError, "--port must be an integer");
  await assertRejects(() => main(["--run", "x", "--max-concurrent", "0"]), RangeError, "--max-concurrent");
  await assertRejects(() => main(["--run", "x", "--timeout-seconds=-1"]), RangeError, "--timeout-seconds");
  await assertRejects(() => main(["--run", "x", "--backend", "tpu"]), RangeError, "--backend must be one of");
});

Deno.test("serve task: serves a run on the port asked until stopped, then removes its temporary folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "megflow-serve-task-test-" });
  const temp = `${dir}/tmp`;
  await Deno.mkdir(temp);
  try {
    const runDir = await fakeRun(dir);
    const stop = new AbortController();
    let url = "";
    const { lines } = await quietly(() =>
      main(["--run", runDir, "--port", "0", "--backend", "wasm", "--max-upload-mb", "0.5", "--temp-dir", temp], {
        signal: stop.signal,
        onListen: async (at) => {
          url = at;
          try {
            assertEquals(await (await fetch(`${at}/health`)).json(), { status: "ok" });
            const model = await (await fetch(`${at}/model`)).json();
            assertEquals([model.model, model.limits.maxUploadBytes], ["cnn", 512 * 1024]);
            assertEquals((await listDir(temp)).length, 1, "the server's own temporary folder");
          } finally {
            stop.abort();
          }
        },
      })
    );
    assert(url.startsWith("http://127.0.0.1:"), url);
    assertStringIncludes(lines[0], `listening on ${url}`);
    assert(lines.some((line) => line.startsWith("GET /health 200")), lines.join("\n"));
    assertEquals(await listDir(temp), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
