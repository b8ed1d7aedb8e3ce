import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { parsePredictionsCsv, predictionsToCsv } from "../../evaluation/predictions_csv.ts";
import type { PredictionRow } from "../../evaluation/metrics.ts";
import { Random } from "../../core/random.ts";

function randomRows(n: number, seed: number): PredictionRow[] {
  const random = new Random(seed);
  return Array.from({ length: n }, (_, i) => {
    const raw = [0, 1, 2, 3].map(() => random.next());
    const sum = raw.reduce((a, b) => a + b, 0);
    const probs = raw.map((v) => v / sum);
    return {
      split: i % 2 ? "Cross/test1" : "train",
      subject: String(100000 + random.int(900000)),
      recording: `rest_${i}_${random.int(10)}.h5`,
      startSample: random.int(5000),
      label: random.int(4),
      predicted: probs.indexOf(Math.max(...probs)),
      probs,
    };
  });
}

Deno.test("predictionsToCsv() writes a header with probability columns named after the labels", () => {
  const csv = predictionsToCsv([]);
  assertEquals(
    csv,
    "split,subject,recording,start_sample,label,label_name,predicted,predicted_name,p_rest,p_math,p_memory,p_motor\n",
  );
});

Deno.test("parsePredictionsCsv() reads back exactly what predictionsToCsv() wrote, floats included", () => {
  const rows = randomRows(50, 3);
  assertEquals(parsePredictionsCsv(predictionsToCsv(rows)), rows);
});

Deno.test("predictionsToCsv() quotes names with commas, quotes and line breaks so they round-trip", () => {
  const rows: PredictionRow[] = [{
    split: "odd,split",
    subject: 'sub "7"',
    recording: "two\nlines.h5",
    startSample: 3,
    label: 1,
    predicted: 3,
    probs: [0.1, 0.2, 0.3, 0.4],
  }];
  const csv = predictionsToCsv(rows);
  assertStringIncludes(csv, '"odd,split","sub ""7""","two\nlines.h5",3,1,math,3,motor');
  assertEquals(parsePredictionsCsv(csv), rows);
});

Deno.test("parsePredictionsCsv() accepts CRLF line ends, a byte-order mark and blank lines", () => {
  const rows = randomRows(3, 9);
  const csv = "\uFEFF" + predictionsToCsv(rows).replaceAll("\n", "\r\n") + "\r\n";
  assertEquals(parsePredictionsCsv(csv), rows);
});

Deno.test("predictionsToCsv() and parsePredictionsCsv() use custom labels for names and columns", () => {
  const rows: PredictionRow[] = [{
    split: "s",
    subject: "1",
    recording: "r.h5",
    startSample: 0,
    label: 1,
    predicted: 0,
    probs: [0.6, 0.4],
  }];
  const csv = predictionsToCsv(rows, { labels: ["left", "right"] });
  assertStringIncludes(csv, ",p_left,p_right\n");
  assertStringIncludes(csv, ",1,right,0,left,0.6,0.4");
  assertEquals(parsePredictionsCsv(csv, { labels: ["left", "right"] }), rows);
});

Deno.test("parsePredictionsCsv() rejects a wrong header, field count, number or class name", () => {
  const good = predictionsToCsv(randomRows(1, 1));
  const [header, line] = good.trim().split("\n");
  assertThrows(() => parsePredictionsCsv("a,b\n1,2\n"), TypeError, 'expected header "split,subject');
  assertThrows(
    () => parsePredictionsCsv(`${header}\n${line},extra\n`),
    TypeError,
    "line 2 must have 12 fields, got 13",
  );
  const fields = line.split(",");
  const withBadProb = [...fields.slice(0, 8), "abc", ...fields.slice(9)].join(",");
  assertThrows(
    () => parsePredictionsCsv(`${header}\n${withBadProb}\n`),
    TypeError,
    'p_rest must be a number, got "abc"',
  );
  const withWrongName = [...fields.slice(0, 5), fields[5] === "rest" ? "math" : "rest", ...fields.slice(6)].join(",");
  assertThrows(() => parsePredictionsCsv(`${header}\n${withWrongName}\n`), RangeError, "but its name column says");
  const withBadIndex = [...fields.slice(0, 4), "7", ...fields.slice(5)].join(",");
  assertThrows(() => parsePredictionsCsv(`${header}\n${withBadIndex}\n`), RangeError, "got 7");
  assertThrows(() => parsePredictionsCsv(`${header}\n"unclosed,1\n`), TypeError, "unclosed quote");
});

Deno.test("predictionsToCsv() rejects rows that do not fit the labels", () => {
  const [row] = randomRows(1, 2);
  assertThrows(() => predictionsToCsv([{ ...row, predicted: 4 }]), RangeError, "got 4");
  assertThrows(() => predictionsToCsv([{ ...row, probs: [1, 0] }]), TypeError, "got 2");
});
