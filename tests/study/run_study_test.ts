import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import type { RunConfig } from "../../training/run_config.ts";
import { runStudy } from "../../study/run_study.ts";
import { defaultStudySettings, type StudySettings } from "../../study/study_settings.ts";
import { fakeRunner } from "../tune/_fake_runner.ts";

/** Intra 0.8, cross 0.4, alignment +0.1, a little per seed; no training. */
function score(config: RunConfig) {
  const aligned = config.preprocess.some((s) => s.op === "align") ? 0.1 : 0;
  const base = config.task === "intra" ? 0.8 : 0.4;
  return { window: base + aligned + config.seed / 100, recording: base + aligned };
}

function settings(): StudySettings {
  return {
    ...defaultStudySettings("/data", null),
    models: ["gru", "cnn"],
    seeds: [1, 2, 3],
    improvements: ["align", "augment"],
    search: { ...defaultStudySettings("/data", null).search!, trials: 3 },
  };
}

Deno.test("runStudy() runs parts b, c and d, writes study.json and study.html, and reuses everything on a rerun", async () => {
  const out = await Deno.makeTempDir();
  try {
    const fake = fakeRunner(score);
    const study = await runStudy(settings(), { out, runner: fake.runner, log: () => {} });
    assertEquals(fake.calls.length, 2 * 2 * 3 + 2 * 3 + 2 * (3 + 1)); // b + d + two searches with their retrained best
    const json = JSON.parse(await Deno.readTextFile(join(out, "study.json")));
    assertEquals(json.summary.runs.length, 18);
    assertEquals(Object.keys(json.searches).sort(), ["cross", "intra"]);
    const align = study.summary.improvements.find((i) => i.variant === "align")!;
    assertEquals([align.betterSeeds, align.seeds.length], [3, 3]);
    assert(Math.abs(align.diffMeanTests.window.mean - 0.1) < 1e-9);
    const html = await Deno.readTextFile(join(out, "study.html"));
    for (const section of ['id="b"', 'id="c"', 'id="d"', 'id="runs"']) assertStringIncludes(html, section);
    assertEquals(html.match(/data-plot="influence"/g)?.length, 2 * 3); // one per parameter and search
    assertStringIncludes(html, 'href="search-cross/search.html"');

    assertEquals([study.seconds.runsSum, study.seconds.searchTrialsSum], [18, 6]); // each fake run reports 1 s

    const again = fakeRunner(score);
    const resumed = await runStudy(settings(), { out, runner: again.runner, log: () => {} });
    assertEquals(again.calls.length, 0);
    assertEquals([resumed.seconds.runsSum, resumed.seconds.searchTrialsSum], [18, 6]); // the runs' own time is kept
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("runStudy() ensembles the improvement model's cross-subject baselines and pairs it with each member", async () => {
  const out = await Deno.makeTempDir();
  try {
    const fake = fakeRunner(() => ({ window: 0.5, recording: 0.5 }));
    const ensembleSettings = { ...settings(), models: ["cnn"], improvements: ["ensemble"], search: null };
    const study = await runStudy(ensembleSettings, { out, runner: fake.runner, log: () => {} });
    assertEquals(fake.calls.length, 2 * 3); // intra and cross baselines: the ensemble trains nothing
    const ensemble = study.summary.improvements.find((i) => i.variant === "ensemble")!;
    // Fake predictions: each member 2/3 right on every split, the three together all right.
    assertEquals([ensemble.seeds, ensemble.betterSeeds], [[1, 2, 3], 3]);
    assertEquals(ensemble.diffTest.window.values, [0.5, 0.5, 0.5]); // 1 against the members' reported 0.5
    assertStringIncludes(ensemble.sentence, "against each of its 3 members");
    const results = JSON.parse(await Deno.readTextFile(join(out, "ensembles", "cross-cnn-baseline", "results.json")));
    assertEquals([results.model, results.splits.test3.windowAccuracy], ["ensemble(cnn)", 1]);
    // The members held out different chunks (one seed each): only their test splits are averaged, as tests.
    assertEquals(Object.keys(results.splits).sort(), ["test1", "test2", "test3"]);
    assertEquals(results.splits.test1.role, "test");
    assertEquals(ensemble.diffGap.n, 0); // no train split of its own: no gap
    const members = JSON.parse(await Deno.readTextFile(join(out, "ensembles", "cross-cnn-baseline", "ensemble.json")));
    assertEquals(members.members.length, 3);
    assertEquals(study.summary.runs.filter((r) => r.variant === "ensemble").length, 1);
    const html = await Deno.readTextFile(join(out, "study.html"));
    assertStringIncludes(
      html,
      '<code>ensembles/cross-cnn-baseline</code></td><td>cross</td><td>cnn</td><td>ensemble</td><td class="num">all</td>',
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("runStudy() reads given search folders instead of searching", async () => {
  const out = await Deno.makeTempDir();
  try {
    const fake = fakeRunner(score);
    const first = { ...settings(), models: ["cnn"], seeds: [1], improvements: [] };
    await runStudy(first, { out, runner: fake.runner, log: () => {} });
    const given = {
      ...first,
      search: { ...first.search!, crossDir: join(out, "search-cross"), intraDir: join(out, "search-intra") },
    };
    const other = await Deno.makeTempDir();
    try {
      const reader = fakeRunner(score);
      const study = await runStudy(given, { out: other, runner: reader.runner, log: () => {} });
      assertEquals(reader.calls.length, 2); // the two training runs only
      assertEquals(study.searches.cross?.dir, join(out, "search-cross"));
    } finally {
      await Deno.remove(other, { recursive: true });
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("runStudy() refuses a study folder or cache in the data folder, also through a symlink", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "data"));
    await Deno.symlink(join(dir, "data"), join(dir, "link"));
    const fake = fakeRunner(score);
    const inData = { ...settings(), data: join(dir, "data") };
    await assertRejects(
      () => runStudy(inData, { out: join(dir, "link", "study"), runner: fake.runner, log: () => {} }),
      RangeError,
      "Refusing to write the study folder",
    );
    await assertRejects(
      () =>
        runStudy({ ...inData, cacheDir: join(dir, "link", "cache") }, {
          out: join(dir, "study"),
          runner: fake.runner,
          log: () => {},
        }),
      RangeError,
      "Refusing to write the cache",
    );
    assertEquals([...Deno.readDirSync(join(dir, "data"))], []);
    assertEquals(fake.calls.length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
