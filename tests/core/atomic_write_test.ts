import { assert, assertEquals, assertRejects } from "@std/assert";
import { join } from "node:path";
import { recoverDir, replaceDirAtomic, writeFileAtomic, writeFileAtomicSync } from "../../core/atomic_write.ts";
import { namesIn, withTempDir } from "../_temp_dir.ts";

/** A byte stream that yields one chunk and then fails, standing in for a disk that fills up mid-write. */
function failingStream(): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream({
    pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(new TextEncoder().encode("partial"));
      } else {
        controller.error(new Error("disk full"));
      }
    },
  });
}

Deno.test("writeFileAtomic() writes text and creates the missing parent folders", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "a", "b", "result.json");
    await writeFileAtomic(path, '{"ok":true}');
    assertEquals(await Deno.readTextFile(path), '{"ok":true}');
    assertEquals(await namesIn(join(dir, "a", "b")), ["result.json"]);
  });
});

Deno.test("writeFileAtomic() writes bytes exactly, including an empty file", async () => {
  await withTempDir(async (dir) => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37) % 256);
    await writeFileAtomic(join(dir, "data.bin"), bytes);
    assertEquals(await Deno.readFile(join(dir, "data.bin")), bytes);
    await writeFileAtomic(join(dir, "empty.bin"), new Uint8Array(0));
    assertEquals((await Deno.readFile(join(dir, "empty.bin"))).length, 0);
  });
});

Deno.test("writeFileAtomic() replaces an existing file and leaves no temporary file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "state.json");
    await Deno.writeTextFile(path, "a much longer old content that must not survive as a tail");
    await writeFileAtomic(path, "new");
    assertEquals(await Deno.readTextFile(path), "new");
    assertEquals(await namesIn(dir), ["state.json"]);
  });
});

Deno.test("writeFileAtomic() leaves the old file when the write fails", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "state.json");
    await Deno.writeTextFile(path, "old");
    await assertRejects(() => writeFileAtomic(path, failingStream() as never), Error, "disk full");
    assertEquals(await Deno.readTextFile(path), "old");
    assertEquals(await namesIn(dir), ["state.json"]);
  });
});

Deno.test("writeFileAtomic() removes its temporary file when the rename fails", async () => {
  await withTempDir(async (dir) => {
    // A non-empty folder in the way: the rename over it fails.
    const path = join(dir, "target");
    await Deno.mkdir(path);
    await Deno.writeTextFile(join(path, "keep.txt"), "kept");
    await assertRejects(() => writeFileAtomic(path, "text"));
    assertEquals(await namesIn(dir), ["target"]);
    assertEquals(await Deno.readTextFile(join(path, "keep.txt")), "kept");
  });
});

Deno.test("writeFileAtomic() from concurrent writers leaves one writer's complete content", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "shared.txt");
    const contents = Array.from({ length: 16 }, (_, i) => String.fromCharCode(97 + i).repeat(100_000 + i));
    await Promise.all(contents.map((text) => writeFileAtomic(path, text)));
    const final = await Deno.readTextFile(path);
    assert(contents.includes(final), `mixed content of length ${final.length}`);
    assertEquals(await namesIn(dir), ["shared.txt"]);
  });
});

Deno.test("writeFileAtomic() never shows a reader a partly written file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "big.txt");
    const versions = ["x", "y", "z"].map((c) => c.repeat(2_000_000));
    await writeFileAtomic(path, versions[0]);
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 6; i++) await writeFileAtomic(path, versions[i % 3]);
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      const text = await Deno.readTextFile(path);
      assert(versions.includes(text), `read ${text.length} characters, starting ${text.slice(0, 3)}`);
      reads++;
    }
    await writer;
    assert(reads > 0);
  });
});

Deno.test("writeFileAtomicSync() writes, creates folders and replaces like the async version", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "sub", "exit.json");
    writeFileAtomicSync(path, "first");
    assertEquals(await Deno.readTextFile(path), "first");
    writeFileAtomicSync(path, new TextEncoder().encode("second"));
    assertEquals(await Deno.readTextFile(path), "second");
    assertEquals(await namesIn(join(dir, "sub")), ["exit.json"]);
  });
});

Deno.test("replaceDirAtomic() creates the folder from what fill writes into a fresh empty folder", async () => {
  await withTempDir(async (dir) => {
    const target = join(dir, "deep", "ckpt");
    let seen: string[] | undefined;
    await replaceDirAtomic(target, async (tmp) => {
      seen = await namesIn(tmp);
      assert(tmp !== target);
      await Deno.writeTextFile(join(tmp, "model.json"), "{}");
    });
    assertEquals(seen, []);
    assertEquals(await namesIn(target), ["model.json"]);
    assertEquals(await namesIn(join(dir, "deep")), ["ckpt"]);
  });
});

Deno.test("replaceDirAtomic() replaces the whole old folder, dropping files the new one lacks", async () => {
  await withTempDir(async (dir) => {
    const target = join(dir, "ckpt");
    await replaceDirAtomic(target, async (tmp) => {
      await Deno.writeTextFile(join(tmp, "model.json"), "old");
      await Deno.writeTextFile(join(tmp, "stale.bin"), "stale");
    });
    await replaceDirAtomic(target, (tmp) => Deno.writeTextFile(join(tmp, "model.json"), "new"));
    assertEquals(await namesIn(target), ["model.json"]);
    assertEquals(await Deno.readTextFile(join(target, "model.json")), "new");
    assertEquals(await namesIn(dir), ["ckpt"]); // neither the temporary folder nor the old one is left
  });
});

Deno.test("replaceDirAtomic() leaves the old folder untouched when fill fails", async () => {
  await withTempDir(async (dir) => {
    const target = join(dir, "ckpt");
    await replaceDirAtomic(target, (tmp) => Deno.writeTextFile(join(tmp, "model.json"), "old"));
    await assertRejects(
      () =>
        replaceDirAtomic(target, async (tmp) => {
          await Deno.writeTextFile(join(tmp, "model.json"), "half");
          throw new RangeError("fill failed");
        }),
      RangeError,
      "fill failed",
    );
    assertEquals(await namesIn(target), ["model.json"]);
    assertEquals(await Deno.readTextFile(join(target, "model.json")), "old");
    assertEquals(await namesIn(dir), ["ckpt"]);
  });
});

Deno.test("replaceDirAtomic() creates nothing when fill fails and no folder existed", async () => {
  await withTempDir(async (dir) => {
    await assertRejects(() => replaceDirAtomic(join(dir, "ckpt"), () => Promise.reject(new Error("no"))), Error, "no");
    assertEquals(await namesIn(dir), []);
  });
});

/** Writes a.txt and b.txt with one tag into a folder: a folder mixing two writers has two tags. */
function tagged(tag: string) {
  return async (tmp: string) => {
    await Deno.writeTextFile(join(tmp, "a.txt"), tag);
    await new Promise((resolve) => setTimeout(resolve, 1));
    await Deno.writeTextFile(join(tmp, "b.txt"), tag);
  };
}

async function tagsIn(dir: string): Promise<string[]> {
  return [await Deno.readTextFile(join(dir, "a.txt")), await Deno.readTextFile(join(dir, "b.txt"))];
}

Deno.test("replaceDirAtomic() from concurrent calls in one process: all succeed, the last call's folder stays", async () => {
  await withTempDir(async (dir) => {
    const target = join(dir, "model");
    await replaceDirAtomic(target, tagged("first"));
    const tags = Array.from({ length: 12 }, (_, i) => `call-${i}`);
    // Before the fix: ENOTEMPTY from the rename over a folder another call had just put in place.
    await Promise.all(tags.map((tag) => replaceDirAtomic(target, tagged(tag))));
    assertEquals(await tagsIn(target), ["call-11", "call-11"]);
    assertEquals(await namesIn(dir), ["model"]); // no .old or temporary folder left
    // A failing call among them changes nothing and does not block the later ones.
    await Promise.all([
      assertRejects(() => replaceDirAtomic(target, () => Promise.reject(new Error("no")))),
      replaceDirAtomic(target, tagged("after")),
    ]);
    assertEquals(await tagsIn(target), ["after", "after"]);
    assertEquals(await namesIn(dir), ["model"]);
  });
});

Deno.test("replaceDirAtomic() from two processes at once: both finish and one complete folder stays", async () => {
  await withTempDir(async (dir) => {
    const target = join(dir, "model");
    const writer = new URL("./_replace_dir_writer.ts", import.meta.url).pathname;
    const run = (tag: string) =>
      new Deno.Command(Deno.execPath(), { args: ["run", "-A", writer, target, tag, "40"], stderr: "piped" }).output();
    const outputs = await Promise.all([run("x"), run("y")]);
    for (const output of outputs) assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
    const [a, b] = await tagsIn(target);
    assertEquals(a, b);
    assert(["x-39", "y-39"].includes(a), a);
    assertEquals(await namesIn(dir), ["model"]);
  });
});

Deno.test("recoverDir() puts back the complete new folder a kill between the two renames left", async () => {
  await withTempDir(async (dir) => {
    const target = join(dir, "model");
    // State after `rename(model, .old)` and before `rename(.new, model)`, as a SIGKILL leaves it.
    await Deno.mkdir(join(dir, ".model.1.0.old"));
    await tagged("old")(join(dir, ".model.1.0.old"));
    await Deno.mkdir(join(dir, ".model.1.new"));
    await tagged("new")(join(dir, ".model.1.new"));
    await Deno.mkdir(join(dir, ".model.2.tmp")); // a fill that never finished
    assertEquals(await recoverDir(target), true);
    assertEquals(await tagsIn(target), ["new", "new"]);
    assertEquals(await namesIn(dir), ["model"]);
    // Nothing to do the second time, and nothing for a folder that is in place.
    assertEquals(await recoverDir(target), false);
    assertEquals(await recoverDir(join(dir, "absent")), false);
  });
});

Deno.test("recoverDir() puts back the old folder when no complete new one exists (also the old naming)", async () => {
  await withTempDir(async (dir) => {
    // The names of the code before the fix: .<name>.<suffix>.tmp (maybe partial) and .<name>.<suffix>.tmp.old.
    await Deno.mkdir(join(dir, ".checkpoint.mf1x-ab12.tmp.old"));
    await tagged("old")(join(dir, ".checkpoint.mf1x-ab12.tmp.old"));
    await Deno.mkdir(join(dir, ".checkpoint.mf1x-ab12.tmp"));
    await Deno.writeTextFile(join(dir, ".checkpoint.mf1x-ab12.tmp", "a.txt"), "partial");
    assertEquals(await recoverDir(join(dir, "checkpoint")), true);
    assertEquals(await tagsIn(join(dir, "checkpoint")), ["old", "old"]);
    assertEquals(await namesIn(dir), ["checkpoint"]);
  });
});

Deno.test("writeFileAtomic() and replaceDirAtomic() flush files and the folder to the disk before and after renaming", async () => {
  await withTempDir(async (dir) => {
    const sync = Deno.FsFile.prototype.sync;
    let calls = 0;
    Deno.FsFile.prototype.sync = function () {
      calls++;
      return sync.call(this);
    };
    try {
      await writeFileAtomic(join(dir, "a.json"), "{}");
      assert(calls >= 2, `${calls} fsync calls: expected the file's and the folder's`);
      calls = 0;
      await replaceDirAtomic(join(dir, "model"), tagged("x"));
      assert(calls >= 4, `${calls} fsync calls: expected both files', the new folder's and the parent's`);
    } finally {
      Deno.FsFile.prototype.sync = sync;
    }
  });
});
