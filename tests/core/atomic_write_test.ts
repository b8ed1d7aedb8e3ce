import { assert, assertEquals, assertRejects } from "@std/assert";
import { join } from "node:path";
import { replaceDirAtomic, writeFileAtomic, writeFileAtomicSync } from "../../core/atomic_write.ts";
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
