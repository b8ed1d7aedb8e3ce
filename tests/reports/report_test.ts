import { assert, assertEquals, assertFalse, assertMatch, assertRejects, assertStringIncludes } from "@std/assert";
import { evaluatePredictions, type PredictionRow, type RunResults } from "../../evaluation/metrics.ts";
import { type LearningCurveEpoch, renderReport } from "../../reports/report.ts";
import { Random } from "../../core/random.ts";

/** Windows of `nRecordings` per class per subject, right with probability `skill`. */
function predictions(split: string, subjects: string[], skill: number, seed: number): PredictionRow[] {
  const random = new Random(seed);
  const rows: PredictionRow[] = [];
  for (const subject of subjects) {
    for (let label = 0; label < 4; label++) {
      for (let chunk = 1; chunk <= 2; chunk++) {
        for (let w = 0; w < 6; w++) {
          const predicted = random.next() < skill ? label : random.int(4);
          const probs = [0, 1, 2, 3].map((k) => (k === predicted ? 0.55 : 0.15));
          rows.push({
            split,
            subject,
            recording: `c${label}_${subject}_${chunk}.h5`,
            startSample: w,
            label,
            predicted,
            probs,
          });
        }
      }
    }
  }
  return rows;
}

function results(rows: PredictionRow[], extra: Partial<RunResults> = {}): RunResults {
  return {
    task: "cross",
    model: "cnn",
    backend: "wasm",
    splits: evaluatePredictions(rows),
    seconds: { ingest: 12, train: 300, evaluate: 8 },
    trainWindowsPerSecond: 40,
    peakRssMB: 350,
    startedAt: "2025-03-01T10:00:00Z",
    ...extra,
  };
}

function history(n: number, validation: boolean): LearningCurveEpoch[] {
  return Array.from({ length: n }, (_, i) => ({
    epoch: i + 1,
    trainLoss: 1.4 / (i + 1),
    trainAccuracy: Math.min(0.95, 0.3 + 0.1 * i),
    ...(validation ? { valLoss: 1.2 + 0.05 * (i - 1) ** 2, valAccuracy: 0.6 - 0.02 * (i - 3) ** 2 } : {}),
    learningRate: 1e-3,
    seconds: 20,
  }));
}

/** `data-plot` value of every `<svg>` element, in document order. */
function plots(html: string): string[] {
  return [...html.matchAll(/<svg\b[^>]*\bdata-plot="([^"]+)"/g)].map((m) => m[1]);
}

/** Checks that every `<svg>...</svg>` fragment is well-formed XML as far as tags are concerned. */
function assertWellFormedSvg(html: string): void {
  const fragments = html.match(/<svg\b[\s\S]*?<\/svg>/g) ?? [];
  assertEquals(fragments.length, (html.match(/<svg\b/g) ?? []).length, "every <svg> is closed");
  for (const fragment of fragments) {
    const stack: string[] = [];
    for (const [tag, closing, name, selfClosing] of fragment.matchAll(/<(\/?)([a-zA-Z]+)\b[^>]*?(\/?)>/g)) {
      if (selfClosing) continue;
      if (closing) assertEquals(stack.pop(), name, `unbalanced ${tag}`);
      else stack.push(name);
    }
    assertEquals(stack, [], "no element left open");
    assertFalse(/&(?!(amp|lt|gt|quot|#39);)/.test(fragment.replace(/<[^>]*>/g, "")), "no bare & in SVG text");
  }
}

Deno.test("renderReport() draws one SVG per expected plot: curves, timings, and per split the six plots", async () => {
  const rows = [
    ...predictions("train", ["1", "2"], 0.9, 1),
    ...predictions("Cross/test1", ["3"], 0.5, 2),
    ...predictions("Cross/test2", ["4"], 0.3, 3),
  ];
  const html = await renderReport({ results: results(rows), history: history(8, true) });
  const found = plots(html);
  assertEquals(found.filter((p) => p === "learning-loss").length, 1);
  assertEquals(found.filter((p) => p === "learning-accuracy").length, 1);
  assertEquals(found.filter((p) => p === "timings").length, 1);
  for (const split of ["train", "Cross/test1", "Cross/test2"]) {
    const ofSplit = [...html.matchAll(new RegExp(`<svg\\b[^>]*data-plot="([^"]+)" data-split="${split}"`, "g"))]
      .map((m) => m[1]).sort();
    assertEquals(ofSplit, ["confusion", "confusion", "gauge", "recordings", "subjects"], split);
  }
  assertEquals(found.length, 2 + 1 + 3 * 5);
  assertWellFormedSvg(html);
});

Deno.test("renderReport() shows task, model, backend, date, accuracies and the train/test gap sentence", async () => {
  const rows = [...predictions("train", ["1"], 1, 1), ...predictions("Cross/test3", ["9"], 0, 2)];
  const html = await renderReport({ results: results(rows) });
  assertStringIncludes(html, "<h1>cross · cnn · wasm</h1>");
  assertStringIncludes(html, "2025-03-01 10:00 UTC");
  assertStringIncludes(html, "train 1.00 vs Cross/test3");
  assertStringIncludes(html, "subject-specific features");
  assertMatch(html, /<div class="big">100%<small>window accuracy<\/small>/);
  // The test split comes first, the training split last, each with its role.
  const heading = (name: string, role: string) => html.indexOf(`<h2>${name}<span class="role role-${role}"`);
  assert(heading("Cross/test3", "test") > 0 && heading("Cross/test3", "test") < heading("train", "train"));
});

Deno.test("renderReport() labels a split that chose the best epoch validation, never test", async () => {
  const rows = [
    ...predictions("train", ["1"], 1, 1),
    ...predictions("Cross/test1", ["8"], 0.5, 2),
    ...predictions("Cross/test3", ["9"], 0, 3),
  ];
  const base = results(rows);
  // Results written since roles exist say so; older ones are read with the config's validation folders.
  const withRoles = {
    ...base,
    splits: { ...base.splits, "Cross/test1": { ...base.splits["Cross/test1"], role: "validation" as const } },
    validation: "the folders Cross/test1",
  };
  const old = { results: base, config: { validationSplits: ["Cross/test1"] } };
  for (const input of [{ results: withRoles }, old]) {
    const html = await renderReport(input);
    assertStringIncludes(html, `<h2>Cross/test1<span class="role role-validation"`);
    assertStringIncludes(html, `<h2>Cross/test3<span class="role role-test"`);
    assertFalse(html.includes(`<h2>Cross/test1<span class="role role-test"`));
  }
  assertStringIncludes(await renderReport({ results: withRoles }), "Validation: the folders Cross/test1.");
});

Deno.test("renderReport() escapes HTML in subject, recording, split and config text", async () => {
  const rows = predictions("<i>split</i>", ['<script>alert("s")</script>'], 0.5, 4)
    .map((r) => ({ ...r, recording: `${r.recording}&<u>` }));
  const html = await renderReport({
    results: results(rows, { model: "<img onerror=x>" }),
    config: { "<key>": "</td><script>x</script>", steps: [{ name: "<resample>", sfreq: 125 }] },
  });
  assertFalse(html.includes("<script"));
  assertFalse(html.includes("<img"));
  assertFalse(html.includes("<i>split"));
  assertFalse(html.includes("<u>"));
  assertFalse(html.includes("<key>"));
  assertStringIncludes(html, "&lt;script&gt;alert(&quot;s&quot;)&lt;/script&gt;");
  assertStringIncludes(html, "&amp;&lt;u&gt;");
  assertStringIncludes(html, "&lt;resample&gt;(sfreq=125)");
  assertWellFormedSvg(html);
});

Deno.test("renderReport() needs nothing from outside: no scripts, no URLs, no external resources", async () => {
  const html = await renderReport({
    results: results(predictions("Intra/test", ["5"], 0.6, 5)),
    history: history(3, true),
    config: { data: { root: "https://example.org/data" } },
  });
  // The only URL is the one the user put into the config, shown as text.
  const withoutConfigValue = html.replace("https://example.org/data", "");
  assertFalse(/https?:\/\//.test(withoutConfigValue));
  assertFalse(/<script|<link|<iframe|<img|\bsrc=|\bhref=|@import|url\(/i.test(html));
  assertFalse(/\son[a-z]+=/i.test(html), "no inline event handlers");
});

Deno.test("renderReport() handles a missing history, a history without validation, and no train split", async () => {
  const rows = predictions("Cross/test1", ["3"], 0.5, 6);
  const none = await renderReport({ results: results(rows) });
  assertEquals(plots(none).filter((p) => p.startsWith("learning")), []);
  assertStringIncludes(none, "No per-epoch history");
  assertStringIncludes(none, "No training split was evaluated");
  assertStringIncludes(none, "No configuration was given");

  const empty = await renderReport({ results: results(rows), history: [] });
  assertStringIncludes(empty, "No per-epoch history");

  const trainOnly = await renderReport({ results: results(rows), history: history(5, false) });
  assertEquals(plots(trainOnly).filter((p) => p.startsWith("learning")), ["learning-loss", "learning-accuracy"]);
  assertStringIncludes(trainOnly, "no validation recorded");
  assertFalse(trainOnly.includes(">validation</text>"));
  assertStringIncludes(trainOnly, "No validation split was used");
  assertFalse(trainOnly.includes("best: epoch"));
  assertWellFormedSvg(trainOnly);
});

Deno.test("renderReport() marks the best epoch: from results, else the highest validation accuracy", async () => {
  const rows = predictions("Cross/test1", ["3"], 0.5, 7);
  // valAccuracy = 0.6 - 0.02 (i - 3)^2 is highest at i = 3, epoch 4 (valLoss is lowest at epoch 2).
  const derived = await renderReport({ results: results(rows), history: history(8, true) });
  assertStringIncludes(derived, ">best: epoch 4</text>");
  assertStringIncludes(derived, "best epoch 4 (highest validation accuracy)");
  const given = await renderReport({
    results: results(rows, { bestEpoch: 6, stoppedEpoch: 8 }),
    history: history(8, true),
  });
  assertStringIncludes(given, ">best: epoch 6</text>");
  assertStringIncludes(given, ">early stop: epoch 8</text>");
});

Deno.test("renderReport() draws a split with one class, leaving the empty confusion rows grey", async () => {
  const rows = predictions("Cross/test2", ["4"], 0.5, 8).filter((r) => r.label === 2);
  const html = await renderReport({ results: results(rows) });
  assertStringIncludes(html, "no windows of this class");
  assertStringIncludes(html, "no recordings of this class");
  assertEquals(plots(html).filter((p) => p === "confusion").length, 2);
  assertWellFormedSvg(html);
});

Deno.test("renderReport() shows preprocessing steps as a chain and nested settings as dotted keys", async () => {
  const html = await renderReport({
    results: results(predictions("Cross/test1", ["3"], 0.5, 9)),
    config: {
      training: { batchSize: 32, optimizer: { name: "adam", learningRate: 0.001 } },
      preprocessing: [{ name: "resample", sfreq: 125 }, { name: "zscore" }],
      splits: ["Cross/test1", "Cross/test2"],
    },
  });
  assertStringIncludes(html, "<th>training.batchSize</th><td><code>32</code></td>");
  assertStringIncludes(html, "<th>training.optimizer.name</th>");
  assertMatch(html, /resample\(sfreq=125\)<\/code><span class="arrow">→<\/span><code class="step">zscore<\/code>/);
  assertStringIncludes(html, "[Cross/test1, Cross/test2]");
});

Deno.test("renderReport() rejects results without splits and an unknown train split", async () => {
  await assertRejects(
    () => renderReport({ results: {} as RunResults }),
    TypeError,
    "expected results with a splits object",
  );
  const r = results(predictions("Cross/test1", ["3"], 0.5, 10));
  await assertRejects(() => renderReport({ results: r }, { trainSplit: "train" }), RangeError, 'train split "train"');
});
