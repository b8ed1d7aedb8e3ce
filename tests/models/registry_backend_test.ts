import { assertStringIncludes } from "@std/assert";
import { fileURLToPath as fromFileUrl } from "node:url";

Deno.test("buildModel() before a backend is chosen says how to choose one, in megflow's words", async () => {
  const script = fromFileUrl(new URL("./_build_before_backend.ts", import.meta.url));
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", script],
    cwd: fromFileUrl(new URL("../..", import.meta.url)),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  for (const name of ["cnn", "gru", "vivit", "spectral", "cascade", "tsa"]) {
    assertStringIncludes(text, `error: Cannot build ${name}: no tfjs backend is ready`);
  }
  assertStringIncludes(text, 'await setupBackend("auto")');
});
