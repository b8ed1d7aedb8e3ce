import { assert, assertEquals } from "@std/assert";
import { join } from "node:path";
import { megflowCacheDir } from "../../synth/megflow_cache_dir.ts";

const MODULE = new URL("../../synth/megflow_cache_dir.ts", import.meta.url).href;

/**
 * Runs `code` in a child Deno (the environment is shared by every test of this
 * process, so it is changed only there) and returns its output lines.
 */
async function child(code: string, permissions: string[], env: Record<string, string> = {}): Promise<string[]> {
  // `deno run -` reads the script from stdin and, unlike `deno eval`, grants only the permissions given.
  const deno = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...permissions, "-"],
    env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = deno.stdin.getWriter();
  await writer.write(new TextEncoder().encode(`import { megflowCacheDir } from "${MODULE}";\n${code}`));
  await writer.close();
  const { stdout, stderr, success } = await deno.output();
  assert(success, new TextDecoder().decode(stderr));
  return new TextDecoder().decode(stdout).trim().split("\n");
}

Deno.test("megflowCacheDir() prefers MEGFLOW_CACHE_DIR, then XDG_CACHE_HOME, then HOME, then the current folder", async () => {
  const lines = await child(
    `
    const at = (env) => {
      for (const name of ["MEGFLOW_CACHE_DIR", "XDG_CACHE_HOME", "HOME", "USERPROFILE"]) {
        if (env[name] === undefined) Deno.env.delete(name); else Deno.env.set(name, env[name]);
      }
      console.log(megflowCacheDir());
    };
    at({ MEGFLOW_CACHE_DIR: "/m", XDG_CACHE_HOME: "/x", HOME: "/h" });
    at({ XDG_CACHE_HOME: "/x", HOME: "/h" });
    at({ HOME: "/h" });
    at({ USERPROFILE: "/p" });
    at({});
    at({ MEGFLOW_CACHE_DIR: "", XDG_CACHE_HOME: "", HOME: "/h" });
    at({ MEGFLOW_CACHE_DIR: "relative/cache" });
    `,
    ["--allow-env"],
  );
  assertEquals(lines, [
    "/m",
    join("/x", "megflow"),
    join("/h", ".cache", "megflow"),
    join("/p", ".cache", "megflow"),
    join(".cache", "megflow"),
    join("/h", ".cache", "megflow"), // empty values count as unset
    "relative/cache", // used as given
  ]);
});

Deno.test("megflowCacheDir() without permission to read the environment falls back to the current folder", async () => {
  const lines = await child(`console.log(megflowCacheDir());`, [], { MEGFLOW_CACHE_DIR: "/m", HOME: "/h" });
  assertEquals(lines, [join(".cache", "megflow")]);
});

Deno.test("megflowCacheDir() reads the environment on every call and creates nothing", async () => {
  const root = await Deno.makeTempDir({ prefix: "megflow-cache-dir-test-" });
  try {
    const first = join(root, "first");
    const lines = await child(
      `
      Deno.env.set("MEGFLOW_CACHE_DIR", ${JSON.stringify(first)});
      console.log(megflowCacheDir());
      Deno.env.set("MEGFLOW_CACHE_DIR", "/second");
      console.log(megflowCacheDir());
      `,
      ["--allow-env"],
    );
    assertEquals(lines, [first, "/second"]);
    assertEquals(await Deno.stat(first).then(() => "created", () => "absent"), "absent");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
  assert(megflowCacheDir().length > 0);
});
