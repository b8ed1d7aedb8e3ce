import { assert, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { randomFieldVectors, sourceFieldVectors } from "../../synth/source_fields.ts";
import { classSourceFields } from "../../synth/class_sources.ts";
import { pearson } from "../../evaluation/source_match.ts";

const recording = { seed: 42, subject: "113922", taskType: "task_motor", chunk: 1 } as const;

Deno.test("sourceFieldVectors() gives each source's signed field, where classSourceFields puts its magnitude", () => {
  const [muL, muR] = sourceFieldVectors(["muL", "muR"], recording);
  assertEquals([muL.length, muR.length], [248, 248]);
  assert(Math.max(...muL) > 0.5 && Math.min(...muL) < -0.5, "a dipole's field has two lobes of opposite sign");
  const magnitude = muL.map((v, c) => Math.abs(v) + Math.abs(muR[c]));
  const expected = classSourceFields({ seed: 42, subject: "113922" }).motor.alpha; // muL + muR, amplitude-weighted
  assert(pearson(magnitude, expected) > 0.9, `r ${pearson(magnitude, expected)}`);
});

Deno.test("sourceFieldVectors() follows the run's head position: chunks differ a little, the same chunk not at all", () => {
  const [a] = sourceFieldVectors(["alphaL"], recording);
  const [b] = sourceFieldVectors(["alphaL"], { ...recording, chunk: 2 });
  assertEquals(sourceFieldVectors(["alphaL"], recording)[0], a);
  assertNotEquals(a, b);
  assert(pearson(a, b) > 0.9, `r ${pearson(a, b)}`);
  assertThrows(() => sourceFieldVectors(["nose"], recording), RangeError, 'unknown source "nose"');
});

Deno.test("randomFieldVectors() draws as many dipole fields as asked, the same for the same draw", () => {
  const fields = randomFieldVectors(3, recording, 1);
  assertEquals(fields.length, 3);
  assert(fields.every((f) => f.length === 248 && Math.max(...f.map(Math.abs)) > 0.5));
  assertEquals(randomFieldVectors(3, recording, 1), fields);
  assertNotEquals(randomFieldVectors(3, recording, 2), fields);
});
