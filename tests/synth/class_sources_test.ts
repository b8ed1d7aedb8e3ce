import { assert, assertEquals, assertNotEquals } from "@std/assert";
import { CLASS_SOURCES, classSourceFields } from "../../synth/class_sources.ts";
import { magnes3600Layout } from "../../core/layout.ts";

const { x, y } = magnes3600Layout();
const centroid = (field: number[]) => {
  const total = field.reduce((a, b) => a + b, 0);
  return [field.reduce((a, v, c) => a + v * x[c], 0) / total, field.reduce((a, v, c) => a + v * y[c], 0) / total];
};

Deno.test("classSourceFields() puts rest's alpha at the back, math at the temporal sides, memory's theta in front", () => {
  const fields = classSourceFields();
  assertEquals(Object.keys(fields), ["rest", "math", "memory", "motor"]);
  const [, restY] = centroid(fields.rest.alpha);
  const [, thetaY] = centroid(classSourceFields().memory.theta.map((v, c) => (y[c] > 0 ? v : 0)));
  assert(restY < 0 && thetaY > 0, `rest centroid y ${restY}, memory theta ${thetaY}`);
  const left = fields.math.all.filter((_, c) => x[c] < -40).reduce((a, b) => a + b, 0);
  const middle = fields.math.all.filter((_, c) => Math.abs(x[c]) < 10).reduce((a, b) => a + b, 0);
  assert(left > middle, `math: left ${left}, middle ${middle}`);
  for (const [name, groups] of Object.entries(CLASS_SOURCES)) {
    assertEquals(Object.keys(fields[name as keyof typeof fields]), ["all", ...Object.keys(groups)]);
  }
});

Deno.test("classSourceFields() of a subject follows its own geometry, deterministically", () => {
  const a = classSourceFields({ seed: 42, subject: "725751" });
  assertEquals(a, classSourceFields({ seed: 42, subject: "725751" }));
  assertNotEquals(a.rest.alpha, classSourceFields().rest.alpha);
  assertNotEquals(a.rest.alpha, classSourceFields({ seed: 42, subject: "162935" }).rest.alpha);
  assert(a.motor.all.every((v) => v >= 0) && a.motor.all.length === 248);
});
