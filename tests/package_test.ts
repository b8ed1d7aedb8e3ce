/**
 * megflow as a package: `deno publish --dry-run` passes, the public module graph leaves the local
 * `@std/assert` out, and a project in its own folder outside the repository uses megflow as
 * docs/shipping.md shows (its blocks are run as written).
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { join } from "node:path";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

/** Runs `program args` in `cwd`; exit code and output. */
async function run(program: string, args: string[], cwd: string) {
  const output = await new Deno.Command(program, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/** The code block that follows `<!-- tested: NAME` in a Markdown text. */
function testedBlock(markdown: string, name: string): string {
  const at = markdown.indexOf(`<!-- tested: ${name}`);
  assert(at >= 0, `docs/shipping.md has no block marked ${name}`);
  const block = markdown.slice(at).match(/```[^\n]*\n([\s\S]*?)```/);
  assert(block, `no code block after the ${name} marker`);
  return block[1];
}

Deno.test("deno publish --dry-run passes and leaves tests, tasks, container and the local @std/assert out", async () => {
  // Type checking is `deno check mod.ts tasks/`'s job in `deno task test`; the dry run checks the rest
  // (license, slow types, banned directives, excluded files).
  const result = await run(Deno.execPath(), ["publish", "--dry-run", "--allow-dirty", "--no-check"], ROOT);
  assertEquals(result.code, 0, result.stderr + result.stdout);
  const output = result.stdout + result.stderr;
  assertStringIncludes(output, "Dry run complete");
  const files = [...output.matchAll(/file:\/\/(\S+)/g)].map((match) => match[1].slice(ROOT.length + 1));
  for (const file of ["LICENSE", "mod.ts", "deno.json", "assets/magnes3600wh_layout.tsv"]) {
    assert(files.includes(file), `${file} is published`);
  }
  const excluded = files.filter((file) => /^(tests|tasks|container|docs|bench|_std|node_modules)\/|^\.git$/.test(file));
  assertEquals(excluded, []);
});

Deno.test("mod.ts and its modules never import the local @std/assert (only tests and doc examples do)", async () => {
  const result = await run(Deno.execPath(), ["info", "--json", "mod.ts"], ROOT);
  assertEquals(result.code, 0, result.stderr);
  const modules: { specifier: string }[] = JSON.parse(result.stdout).modules;
  assert(modules.length > 100, `mod.ts's graph has ${modules.length} modules`);
  assertEquals(modules.filter((m) => m.specifier.includes("/_std/")).map((m) => m.specifier), []);
});

Deno.test("a project in a folder outside the repository imports megflow with one line, as docs/shipping.md shows", async () => {
  const docs = await Deno.readTextFile(join(ROOT, "docs", "shipping.md"));
  const tmp = await Deno.makeTempDir({ prefix: "megflow-library-" });
  try {
    await Deno.symlink(ROOT, join(tmp, "megflow")); // the docs' ../megflow, next to the project
    const setup = await run("bash", ["-euc", testedBlock(docs, "library-setup")], tmp);
    assertEquals(setup.code, 0, setup.stderr);
    const project = join(tmp, "my-analysis");
    assertEquals(JSON.parse(await Deno.readTextFile(join(project, "deno.json"))), {
      imports: { megflow: "../megflow/mod.ts" },
    });
    await Deno.writeTextFile(join(project, "main.ts"), testedBlock(docs, "library-main"));
    const result = await run(Deno.execPath(), ["run", "-A", "main.ts"], project);
    assertEquals(result.code, 0, result.stderr);
    const lines = result.stdout.split("\n").filter((line) => /^(megflow|EEGNet)/.test(line));
    const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
    assertEquals(lines[0], `megflow ${config.version}: 8 recordings, 24 windows of 248 x 125`);
    assertMatch(lines[1], /^EEGNet on (wasm|webgpu): 5348 parameters$/);
    assertStringIncludes(docs, `\n$ deno run -A main.ts\n${lines[0]}\n`);
    // The project keeps its own lock, where Deno records megflow as a linked package.
    const lock = JSON.parse(await Deno.readTextFile(join(project, "deno.lock")));
    assert(Object.keys(lock.workspace?.links ?? {}).some((name) => name.startsWith("jsr:@megflow/megflow@")));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
