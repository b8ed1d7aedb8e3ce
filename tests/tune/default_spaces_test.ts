import { assert, assertEquals } from "@std/assert";
import { DEFAULT_SPACES } from "../../tune/default_spaces.ts";
import { MODELS } from "../../models/registry.ts";
import { parseSearchSpace } from "../../tune/search_space.ts";
import { gridPoints } from "../../tune/grid_points.ts";
import { sampleParams } from "../../tune/sample_params.ts";
import { applyParams } from "../../tune/apply_params.ts";
import { runConfig } from "../../training/run_config.ts";

Deno.test("DEFAULT_SPACES has one valid search space per registered model", () => {
  assertEquals(Object.keys(DEFAULT_SPACES).sort(), Object.keys(MODELS).sort());
  for (const [model, space] of Object.entries(DEFAULT_SPACES)) {
    assertEquals(parseSearchSpace(space, `${model} space`), space);
  }
});

Deno.test("DEFAULT_SPACES search the learning rate and window length of every model", () => {
  for (const [model, space] of Object.entries(DEFAULT_SPACES)) {
    assert("logUniform" in space.learningRate, `${model}: learning rate on a log scale`);
    const [low, high] = (space.learningRate as { logUniform: [number, number] }).logUniform;
    assert(low > 0 && low < high && high <= 1e-2, `${model}: learning rate [${low}, ${high}]`);
    assert("windowSeconds" in space, `${model} searches no window length`);
    assert("dropProb" in space, `${model} searches no dropout`);
  }
});

Deno.test("DEFAULT_SPACES name only options each model has", () => {
  for (const [model, space] of Object.entries(DEFAULT_SPACES)) {
    for (const point of gridPoints(space)) {
      const config = applyParams(runConfig("cross", "/data", { model }), point);
      for (const [name, value] of Object.entries(point)) {
        if (name in MODELS[model].defaultOptions) assertEquals(config.modelOptions[name], value, `${model}.${name}`);
      }
    }
  }
});

Deno.test("DEFAULT_SPACES keep their grids small and random samples inside the space", () => {
  for (const [model, space] of Object.entries(DEFAULT_SPACES)) {
    const size = gridPoints(space).length;
    assert(size > 8 && size <= 500, `${model}: ${size} grid points`);
    for (let i = 0; i < 8; i++) {
      const values = sampleParams(space, 1, i);
      assertEquals(Object.keys(values).sort(), Object.keys(space).sort());
      assert([1, 2].includes(values.windowSeconds as number), `${model}: windowSeconds ${values.windowSeconds}`);
      const p = values.dropProb as number;
      assert(p >= 0 && p < 1, `${model}: dropProb ${p}`);
    }
  }
});
