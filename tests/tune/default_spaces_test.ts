import { assert, assertEquals } from "@std/assert";
import { DEFAULT_SPACES } from "../../tune/default_spaces.ts";
import { MODELS } from "../../models/registry.ts";
import { parseSearchSpace } from "../../tune/search_space.ts";
import { gridPoints } from "../../tune/grid_points.ts";
import { sampleParams } from "../../tune/sample_params.ts";
import { applyParams } from "../../tune/apply_params.ts";
import { runConfig } from "../../training/run_config.ts";
import { signalOf, stepsForModel } from "../../orchestration/train_run.ts";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";

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
      const windows = (space.windowSeconds as { choice: number[] }).choice;
      assert(windows.includes(values.windowSeconds as number), `${model}: windowSeconds ${values.windowSeconds}`);
      const p = values.dropProb as number;
      assert(p >= 0 && p < 1, `${model}: dropProb ${p}`);
    }
  }
});

// A search must not spend trials on networks that cannot be built: a window length the recipe's
// tubelets or segments do not divide failed every vivit and tsa trial with 1 s windows.
Deno.test("every point of every default space builds its model on its recipe, across and within subjects", async () => {
  await tf.setBackend("cpu");
  for (const [model, space] of Object.entries(DEFAULT_SPACES)) {
    const built = new Set<string>();
    for (const point of gridPoints(space)) {
      for (const task of ["cross", "intra"] as const) {
        const config = applyParams(runConfig(task, "/data", { model }), point);
        const signal = signalOf(stepsForModel(config.preprocess, model));
        // The learning rate and dropout change no shape: one build per network.
        const network = JSON.stringify([signal, { ...config.modelOptions, dropProb: undefined }]);
        if (built.has(network)) continue;
        built.add(network);
        try {
          MODELS[model].build(signal, 4, config.modelOptions).dispose();
        } catch (error) {
          throw new Error(`${model} (${task}) at ${JSON.stringify(point)}: ${(error as Error).message}`);
        }
      }
    }
  }
});
