import { assertEquals, assertRejects } from "@std/assert";
import { join } from "node:path";
import { copyThroughH5py, findPython, pythonCandidates, runPythonReference } from "../../bench/python_reference.ts";
import { fakePython, withDir } from "./_fake_python.ts";

const PREFIX = "megflow-python-test-";

Deno.test("findPython() returns undefined when no candidate runs or has h5py, scipy and numpy", async () => {
  await withDir(PREFIX, async (dir) => {
    const broken = await fakePython(dir, "exit 1");
    assertEquals(await findPython([join(dir, "missing"), broken]), undefined);
  });
});

Deno.test("findPython() reports the first candidate that imports h5py, scipy and numpy, with their versions", async () => {
  await withDir(PREFIX, async (dir) => {
    const python = await fakePython(dir, 'echo "3.11.2 3.7.0 1.10.1 1.24.2"');
    assertEquals(await findPython([join(dir, "missing"), python]), {
      command: python,
      version: "3.11.2",
      h5py: "3.7.0",
      scipy: "1.10.1",
      numpy: "1.24.2",
    });
  });
});

Deno.test("pythonCandidates() tries $MEGFLOW_PYTHON first", () => {
  const before = Deno.env.get("MEGFLOW_PYTHON");
  try {
    Deno.env.set("MEGFLOW_PYTHON", "/opt/py/bin/python3");
    assertEquals(pythonCandidates(), ["/opt/py/bin/python3", "python3", "/usr/bin/python3"]);
    Deno.env.delete("MEGFLOW_PYTHON");
    assertEquals(pythonCandidates(), ["python3", "/usr/bin/python3"]);
  } finally {
    if (before !== undefined) Deno.env.set("MEGFLOW_PYTHON", before);
  }
});

Deno.test("runPythonReference() and copyThroughH5py() pass their arguments and parse the last JSON line", async () => {
  await withDir(PREFIX, async (dir) => {
    // prints a progress line, then the arguments after the script's path as JSON
    const python = await fakePython(dir, 'shift; echo progress; printf \'{"args": "%s"}\\n\' "$*"');
    const run = await runPythonReference(python, ["/d/a.h5", "/d/b.h5"], "decimate16");
    assertEquals(run as unknown, { args: "--route decimate16 /d/a.h5 /d/b.h5" });
    assertEquals(await copyThroughH5py(python, "/src", "/dst", ["Cross/train/a.h5"]) as unknown, {
      args: "/src /dst Cross/train/a.h5",
    });
  });
});

Deno.test("runPythonReference() fails with the script's last error line", async () => {
  await withDir(PREFIX, async (dir) => {
    const python = await fakePython(
      dir,
      'echo "Traceback" >&2; echo "ModuleNotFoundError: No module named h5py" >&2; exit 1',
    );
    await assertRejects(() => runPythonReference(python, ["/d/a.h5"]), Error, "No module named h5py");
  });
});
