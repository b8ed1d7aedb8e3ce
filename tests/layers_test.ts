/**
 * The architecture, as rules that fail: the layer order of megflow's folders (declared once,
 * here), no import from a folder above, no folder over a fifth of the code, no function over
 * 80 lines, and a test file for every public module. Each rule is a pure function over file
 * texts, first tested on a small made-up tree (so it can fail), then applied to the real one.
 *
 * @module
 */
import { dirname, join, normalize } from "node:path";
import { assert, assertEquals } from "@std/assert";

/**
 * megflow's floors, bottom first. A folder may import its own files and the folders of lower
 * rows; folders of one row are siblings and must not import each other. `assets/` holds data
 * (the sensor layout) that any floor may read.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ["assets"],
  ["core"],
  ["sources", "operators", "models", "backends", "synth"],
  ["pipeline"],
  ["training"],
  ["evaluation"],
  ["reports"],
  ["orchestration"],
  ["serve"],
  ["tune", "bench"],
  ["study"],
  ["tasks"],
  ["."], // mod.ts, the public API
];

/** Folders that are not part of the layered code: tests, the local `@std/assert`, tool output. */
const NOT_LAYERED = ["tests", "_std", "node_modules", "runs", "scratch", "docs", ".cache", ".git", "container"];

/** Folders of scripts that are not TypeScript (the container's steps); tests may be named after them. */
const SCRIPT_FOLDERS = ["container"];

/** The longest function or method allowed, in lines from its signature to its closing brace. */
export const MAX_FUNCTION_LINES = 80;

/** The largest share of the layered code one folder may hold. */
export const MAX_FOLDER_SHARE = 0.2;

/**
 * Public modules without a test file of their name, each with the reason. Everything else
 * named `folder/name.ts` (not `_name.ts`, not `mod.ts`) must have `tests/folder/name_test.ts`.
 */
export const UNTESTED_MODULES: Readonly<Record<string, string>> = {
  "core/types.ts": "type declarations and label constants only; every test that builds a record uses them",
  "models/types.ts": "type declarations of model options only",
  "synth/version.ts": "one constant, the generator's version; tests/synth/default_dataset_test.ts checks its use",
  "tasks/train_cross.ts":
    "main(args) over tasks/_train_task.ts; tests/tasks/megflow_test.ts trains with it through the installed megflow",
  "tasks/train_intra.ts":
    "main(args) over tasks/_train_task.ts, as train_cross.ts; tests/tasks/megflow_test.ts runs its --help",
  "tasks/evaluate.ts": "a thin entry point over orchestration/evaluate_run_folder.ts, which has its own test",
  "tasks/bench.ts": "the benchmark entry point: what it measures is tested in tests/bench/",
};

/** A source file: its path relative to the repository root, and its text. */
export interface SourceFile {
  /** Path relative to the root, with `/` separators, e.g. `pipeline/preprocess.ts`. */
  path: string;
  /** The file's text. */
  text: string;
}

/** The top folder of a root-relative path (`.` for a file at the root). */
export function folderOf(path: string): string {
  const slash = path.indexOf("/");
  return slash < 0 ? "." : path.slice(0, slash);
}

/** The row of `folder` in `layers`, or -1 when it is not declared. */
function rowOf(folder: string, layers: readonly (readonly string[])[]): number {
  return layers.findIndex((row) => row.includes(folder));
}

/** The text without comments, so that doc examples (which run as tests) are not read as imports. */
export function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

/**
 * The relative specifiers a file depends on: static imports and re-exports, dynamic
 * `import("...")`, and `new URL("...", import.meta.url)` (workers, assets, scripts to spawn).
 */
export function relativeImports(text: string): string[] {
  const code = stripComments(text);
  const patterns = [
    /(?:import|export)\s[^'"`;]*?from\s*["']([^"']+)["']/g,
    /import\s*["']([^"']+)["']/g,
    /import\(\s*["']([^"']+)["']\s*\)/g,
    // a file or folder of code (a worker, a script, the root); a config or data file is no dependency
    /new URL\(\s*["']([^"']*(?:\.ts|\.tsv|\/))["']\s*,\s*import\.meta\.url/g,
  ];
  const found: string[] = [];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) if (match[1].startsWith(".")) found.push(match[1]);
  }
  return found;
}

/**
 * Every import that breaks the layer rule, as `from -> to (why)` lines: to an undeclared
 * folder, to a folder of a higher row, or to a sibling of the same row.
 */
export function layerViolations(files: readonly SourceFile[], layers: readonly (readonly string[])[]): string[] {
  const violations: string[] = [];
  for (const file of files) {
    const from = folderOf(file.path);
    const fromRow = rowOf(from, layers);
    if (fromRow < 0) {
      violations.push(`${file.path}: folder ${from}/ is not declared in LAYERS`);
      continue;
    }
    for (const specifier of relativeImports(file.text)) {
      const target = join(dirname(file.path), specifier).replaceAll("\\", "/");
      const to = target === "." || target === "./" ? "." : target.startsWith("..") ? ".." : folderOf(target);
      if (to === from) continue;
      const toRow = rowOf(to, layers);
      if (toRow < 0) violations.push(`${file.path} -> ${specifier} (${to}/ is not declared in LAYERS)`);
      else if (toRow > fromRow) violations.push(`${file.path} -> ${specifier} (${to}/ is above ${from}/)`);
      else if (toRow === fromRow) violations.push(`${file.path} -> ${specifier} (${to}/ is a sibling of ${from}/)`);
    }
  }
  return violations;
}

/**
 * Functions and methods longer than `maxLines`, as `path:line name (N lines)`. A function
 * starts at a `function` declaration or a class member with a body, and ends at the first
 * closing brace at its own indentation.
 */
export function longFunctions(files: readonly SourceFile[], maxLines: number): string[] {
  const start =
    /^(\s*)(?:export\s+)?(?:async\s+)?function\*?\s+(\w+)|^(\s+)(?:(?:public|private|protected|static|override|async|readonly|get|set)\s+)*(\w+)\s*(?:<[^>]*>)?\(.*\)[^;]*\{\s*$/;
  const found: string[] = [];
  for (const file of files) {
    const lines = file.text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const match = lines[i].match(start);
      if (!match || /^\s*(if|for|while|switch|catch|return)\b/.test(lines[i])) continue;
      const indent = match[1] ?? match[3];
      const name = match[2] ?? match[4];
      const end = lines.findIndex((line, j) =>
        j > i && line.startsWith(`${indent}}`) && !line.startsWith(`${indent}} `)
      );
      const closing = end >= 0 ? end : lines.findIndex((line, j) => j > i && line.startsWith(`${indent}}`));
      if (closing < 0) continue;
      const length = closing - i + 1;
      if (length > maxLines) found.push(`${file.path}:${i + 1} ${name} (${length} lines)`);
    }
  }
  return found;
}

/** Folders holding more than `maxShare` of all lines, as `folder/ NN %` lines. */
export function oversizedFolders(files: readonly SourceFile[], maxShare: number): string[] {
  const lines = new Map<string, number>();
  let total = 0;
  for (const file of files) {
    const count = file.text.split("\n").length;
    total += count;
    lines.set(folderOf(file.path), (lines.get(folderOf(file.path)) ?? 0) + count);
  }
  return [...lines].filter(([, count]) => count > maxShare * total)
    .map(([folder, count]) => `${folder}/ ${(100 * count / total).toFixed(1)} %`);
}

/**
 * Public modules with no `tests/<path>_test.ts` and no entry in `exceptions`, and test files
 * whose module does not exist (a test left behind by a move). `_` test helpers are free. A test
 * may also be named after one of `scripts`, files that are not TypeScript (`container/steps.sh`
 * -> `tests/container/steps_test.ts`).
 */
export function testMirrorGaps(
  sources: readonly string[],
  tests: readonly string[],
  exceptions: Readonly<Record<string, string>>,
  scripts: readonly string[] = [],
): string[] {
  const gaps: string[] = [];
  const testSet = new Set(tests);
  const sourceSet = new Set(sources);
  for (const path of sources) {
    const name = path.split("/").at(-1)!;
    if (name.startsWith("_") || name === "mod.ts" || folderOf(path) === ".") continue;
    const test = `tests/${path.replace(/\.ts$/, "_test.ts")}`;
    if (!testSet.has(test) && !(path in exceptions)) gaps.push(`${path} has no ${test}`);
  }
  for (const test of tests) {
    const name = test.split("/").at(-1)!;
    if (name.startsWith("_") || folderOf(test.slice("tests/".length)) === ".") continue;
    const module = test.slice("tests/".length).replace(/_test\.ts$/, ".ts");
    const privateModule = module.replace(/([^/]+)$/, "_$1");
    // `name_aspect_test.ts` tests one aspect of `name.ts` (e.g. backend_webgpu_training_test.ts).
    const ofAspect = sources.some((path) => module.startsWith(path.replace(/\.ts$/, "_")));
    const ofScript = scripts.some((path) => path.replace(/\.[^./]+$/, ".ts") === module);
    if (!sourceSet.has(module) && !sourceSet.has(privateModule) && !ofAspect && !ofScript) {
      gaps.push(`${test} tests no module (${module})`);
    }
  }
  for (const path of Object.keys(exceptions)) {
    if (!sourceSet.has(path)) gaps.push(`UNTESTED_MODULES names ${path}, which does not exist`);
  }
  return gaps;
}

const ROOT = normalize(join(dirname(new URL(import.meta.url).pathname), ".."));

/** Every `.ts` file under `dir` (root-relative), skipping folders that are not layered. */
async function listTs(dir: string, skip: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(join(ROOT, dir))) {
    const path = dir === "." ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory && !skip.includes(path) && !entry.name.startsWith(".")) {
      found.push(...await listTs(path, skip));
    } else if (entry.isFile && entry.name.endsWith(".ts")) found.push(path);
  }
  return found.sort();
}

async function layeredSources(): Promise<SourceFile[]> {
  const paths = await listTs(".", NOT_LAYERED);
  return await Promise.all(paths.map(async (path) => ({ path, text: await Deno.readTextFile(join(ROOT, path)) })));
}

// ---- the rules, on a made-up tree: each must catch what it is for ----

const TOY_LAYERS = [["core"], ["sources", "operators"], ["pipeline"], ["."]];

Deno.test("layerViolations() accepts downward imports and catches upward, sibling and undeclared ones", () => {
  const files: SourceFile[] = [
    { path: "pipeline/a.ts", text: 'import { x } from "../core/x.ts";\nimport { y } from "../operators/y.ts";' },
    { path: "core/x.ts", text: 'import type { A } from "../pipeline/a.ts";' },
    { path: "operators/y.ts", text: 'export { r } from "../sources/r.ts";' },
    { path: "sources/r.ts", text: 'const w = new Worker(new URL("../extra/w.ts", import.meta.url));' },
    { path: "mod.ts", text: 'export * from "./pipeline/a.ts";' },
  ];
  assertEquals(layerViolations(files, TOY_LAYERS), [
    "core/x.ts -> ../pipeline/a.ts (pipeline/ is above core/)",
    "operators/y.ts -> ../sources/r.ts (sources/ is a sibling of operators/)",
    "sources/r.ts -> ../extra/w.ts (extra/ is not declared in LAYERS)",
  ]);
});

Deno.test("layerViolations() catches a path to the repository root from a floor, and ignores doc examples", () => {
  const files: SourceFile[] = [
    { path: "core/x.ts", text: 'const root = new URL("../", import.meta.url);' },
    { path: "core/w.ts", text: 'const config = new URL("../deno.json", import.meta.url);' },
    {
      path: "core/y.ts",
      text: '/**\n * ```ts\n * import { a } from "../pipeline/a.ts";\n * ```\n */\nexport const y = 1;',
    },
    { path: "pipeline/z.ts", text: 'const m = await import("../mod.ts");' },
  ];
  assertEquals(layerViolations(files, TOY_LAYERS), [
    "core/x.ts -> ../ (./ is above core/)",
    "pipeline/z.ts -> ../mod.ts (./ is above pipeline/)",
  ]);
});

Deno.test("longFunctions() measures functions and methods from signature to closing brace", () => {
  const body = (n: number) => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join("\n");
  const text = [
    `export function short() {\n${body(3)}\n}`,
    `export async function long(a: number): Promise<void> {\n${body(5)}\n  if (a) {\n${body(1)}\n  }\n}`,
    `class C {\n  method(x: string): void {\n${body(5)}\n  }\n}`,
  ].join("\n");
  assertEquals(longFunctions([{ path: "a.ts", text }], 6), ["a.ts:6 long (10 lines)", "a.ts:17 method (7 lines)"]);
  assertEquals(longFunctions([{ path: "a.ts", text }], 10), []);
});

Deno.test("oversizedFolders() names a folder over its share of the lines", () => {
  const files = [
    { path: "a/x.ts", text: "1\n2\n3\n4\n5\n6" },
    { path: "b/y.ts", text: "1\n2" },
    { path: "c/z.ts", text: "1\n2" },
  ];
  assertEquals(oversizedFolders(files, 0.5), ["a/ 60.0 %"]);
  assertEquals(oversizedFolders(files, 0.6), []);
});

Deno.test("testMirrorGaps() wants a test per public module or an exception, and a module per test (its own, private, aspect or script)", () => {
  const sources = ["core/a.ts", "core/_b.ts", "core/mod.ts", "pipeline/c.ts", "pipeline/d.ts", "mod.ts"];
  const tests = [
    "tests/core/a_test.ts",
    "tests/pipeline/old_test.ts",
    "tests/core/b_test.ts",
    "tests/core/a_edge_cases_test.ts",
    "tests/_helper.ts",
    "tests/box/steps_test.ts",
    "tests/box/gone_test.ts",
  ];
  assertEquals(testMirrorGaps(sources, tests, { "pipeline/d.ts": "types only", "gone.ts": "?" }, ["box/steps.sh"]), [
    "pipeline/c.ts has no tests/pipeline/c_test.ts",
    "tests/pipeline/old_test.ts tests no module (pipeline/old.ts)",
    "tests/box/gone_test.ts tests no module (box/gone.ts)",
    "UNTESTED_MODULES names gone.ts, which does not exist",
  ]);
});

// ---- the rules, on megflow itself ----

Deno.test("every folder of megflow is declared in LAYERS and imports only folders below it", async () => {
  const violations = layerViolations(await layeredSources(), LAYERS);
  assertEquals(violations, [], `imports against the layer order:\n${violations.join("\n")}`);
});

Deno.test(`no function or method of megflow is longer than ${MAX_FUNCTION_LINES} lines`, async () => {
  const long = longFunctions(await layeredSources(), MAX_FUNCTION_LINES);
  assertEquals(long, [], `split these:\n${long.join("\n")}`);
});

Deno.test(`no folder of megflow holds more than ${MAX_FOLDER_SHARE * 100} % of its code`, async () => {
  const files = await layeredSources();
  assert(files.length > 100, `expected megflow's sources, found ${files.length} files`);
  assertEquals(oversizedFolders(files, MAX_FOLDER_SHARE), []);
});

Deno.test("tests/ mirrors the source tree: a test file per public module, or a reason", async () => {
  const sources = (await layeredSources()).map((file) => file.path);
  const tests = (await listTs("tests", ["tests/fixtures"])).filter((path) => path !== "tests/layers_test.ts");
  const scripts: string[] = [];
  for (const folder of SCRIPT_FOLDERS) {
    for await (const entry of Deno.readDir(join(ROOT, folder))) {
      if (entry.isFile) scripts.push(`${folder}/${entry.name}`);
    }
  }
  const gaps = testMirrorGaps(sources, tests, UNTESTED_MODULES, scripts);
  assertEquals(gaps, [], gaps.join("\n"));
});
