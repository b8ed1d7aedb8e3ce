import { assert, assertAlmostEquals, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { headCircle, interpolateTopography, topomapSvg } from "../../reports/topomap.ts";
import { magnes3600Layout } from "../../core/layout.ts";

const layout = magnes3600Layout();

Deno.test("headCircle() holds every Magnes sensor inside the outline", () => {
  const head = headCircle(layout);
  for (let i = 0; i < layout.x.length; i++) {
    assert(Math.hypot(layout.x[i] - head.cx, layout.y[i] - head.cy) < head.r, layout.channels[i]);
  }
});

Deno.test("interpolateTopography() reproduces a linear field exactly in the middle of the sensors", () => {
  const values = Array.from(layout.x, (x, i) => 2 * x - 3 * layout.y[i] + 1);
  const n = 48;
  const grid = interpolateTopography(values, layout, n);
  const head = headCircle(layout);
  let checked = 0;
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      const x = head.cx - head.r + ((col + 0.5) / n) * 2 * head.r;
      const y = head.cy + head.r - ((row + 0.5) / n) * 2 * head.r;
      if (Math.hypot(x - head.cx, y - head.cy) > 0.4 * head.r) continue;
      assertAlmostEquals(grid[row * n + col], 2 * x - 3 * y + 1, 1e-6);
      checked++;
    }
  }
  assert(checked > 100, `${checked}`);
});

Deno.test("interpolateTopography() draws nose up: front sensors land in the top rows", () => {
  const n = 32;
  const grid = interpolateTopography(Array.from(layout.y), layout, n);
  const rowMean = (row: number) => grid.subarray(row * n, (row + 1) * n).reduce((a, b) => a + b) / n;
  assert(rowMean(4) > rowMean(16) && rowMean(16) > rowMean(28), `${rowMean(4)} ${rowMean(16)} ${rowMean(28)}`);
});

Deno.test("interpolateTopography() rejects a wrong number of values or a value that is not finite", () => {
  assertThrows(
    () => interpolateTopography([1, 2], layout, 8),
    RangeError,
    "expected 248 values (one per sensor), got 2",
  );
  const values = new Array(248).fill(0);
  values[5] = NaN;
  assertThrows(() => interpolateTopography(values, layout, 8), RangeError, "sensor A6 is not finite");
});

Deno.test("topomapSvg() draws contour bands, lines, the head with nose and ears, sensors and a colour bar", () => {
  const svg = topomapSvg(Array.from(layout.x), { title: "left <-> right", label: "x", levels: 6 });
  assertStringIncludes(svg, "left &lt;-&gt; right");
  assertEquals((svg.match(/fill="#[0-9a-f]{6}" stroke="none"/g) ?? []).length, 6); // one band per level
  assertEquals((svg.match(/stroke-width="0.6"/g) ?? []).length, 5); // a line between bands
  assertEquals((svg.match(/<circle [^>]*r="1.1"/g) ?? []).length, 248);
  assertStringIncludes(svg, "<clipPath");
  assertStringIncludes(svg, "<linearGradient");
  assertStringIncludes(svg, "#2166ac"); // signed values: diverging colours
  assert(!topomapSvg(Array.from(layout.x, Math.abs)).includes("#2166ac")); // magnitudes: sequential
});

Deno.test("topomapSvg() draws a constant map without dividing by zero", () => {
  const svg = topomapSvg(new Array(248).fill(3));
  assert(!svg.includes("NaN"), "NaN in the SVG");
});
