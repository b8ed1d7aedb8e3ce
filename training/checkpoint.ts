/**
 * Saving and loading models, optimizer state and training progress as plain
 * files, each folder written atomically (a temporary sibling folder renamed
 * into place), so an interrupted run never leaves a half-written checkpoint.
 *
 * A model folder holds the standard tfjs layers format (`model.json` with the
 * topology and weights manifest, `weights.bin`), loadable by
 * `tf.loadLayersModel`. A checkpoint folder adds `optimizer.json` +
 * `optimizer.bin` (e.g. Adam's moments) and `state.json` (the caller's
 * training state: epoch, history, best score).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { join } from "node:path";
import { replaceDirAtomic } from "../core/atomic_write.ts";

async function writeModelFiles(dir: string, model: tfl.LayersModel): Promise<void> {
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weightData = artifacts.weightData === undefined
      ? new ArrayBuffer(0)
      : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
    const modelJson = {
      format: "layers-model",
      generatedBy: "megflow",
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs ?? [] }],
    };
    await Deno.writeTextFile(join(dir, "model.json"), JSON.stringify(modelJson));
    await Deno.writeFile(join(dir, "weights.bin"), new Uint8Array(weightData));
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }));
}

/**
 * Writes `model` to the folder `dir` (replaced atomically).
 *
 * @param dir Target folder; its previous content is replaced.
 * @param model The model.
 *
 * @example
 * ```ts
 * import "@tensorflow/tfjs-backend-cpu";
 * import * as tf from "@tensorflow/tfjs-core";
 * import * as tfl from "@tensorflow/tfjs-layers";
 * import { loadModel, saveModel } from "./checkpoint.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3] })] });
 * const dir = await Deno.makeTempDir();
 * await saveModel(`${dir}/model`, model);
 * const loaded = await loadModel(`${dir}/model`);
 * const x = tf.ones([1, 3]);
 * assertEquals(
 *   await (loaded.predict(x) as tf.Tensor).data(),
 *   await (model.predict(x) as tf.Tensor).data(),
 * );
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function saveModel(dir: string, model: tfl.LayersModel): Promise<void> {
  await replaceDirAtomic(dir, (tmp) => writeModelFiles(tmp, model));
}

/**
 * Loads a model written by {@linkcode saveModel} (or any tfjs layers model
 * folder with one weights file). Custom megflow layers must be registered,
 * which importing `models/mod.ts` does.
 *
 * @param dir The folder.
 * @returns The model.
 * @throws {Error} naming the folder when a file is missing or malformed.
 */
export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  let modelJson;
  let weightData: Uint8Array;
  try {
    modelJson = JSON.parse(await Deno.readTextFile(join(dir, "model.json")));
    const paths: string[] = modelJson.weightsManifest.flatMap((group: { paths: string[] }) => group.paths);
    const parts = await Promise.all(paths.map((path) => Deno.readFile(join(dir, path))));
    weightData = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
    let offset = 0;
    for (const part of parts) weightData.set(part, (offset += part.length) - part.length);
  } catch (error) {
    throw new Error(`${dir}: cannot read the model (model.json + weights): ${error}`, { cause: error });
  }
  const weightSpecs = modelJson.weightsManifest.flatMap((group: { weights: unknown[] }) => group.weights);
  return await tfl.loadLayersModel(tf.io.fromMemory({
    modelTopology: modelJson.modelTopology,
    weightSpecs,
    weightData: weightData.buffer as ArrayBuffer,
  }));
}

/**
 * Writes a resumable checkpoint: model, optimizer state and `state` (any
 * JSON), all in one atomically replaced folder.
 *
 * @param dir Checkpoint folder.
 * @param model The model.
 * @param optimizer The optimizer whose state to keep.
 * @param state Training progress to restore on resume.
 */
export async function saveCheckpoint(
  dir: string,
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  state: unknown,
): Promise<void> {
  const weights = await optimizer.getWeights();
  const encoded = await tf.io.encodeWeights(weights);
  await replaceDirAtomic(dir, async (tmp) => {
    await writeModelFiles(tmp, model);
    const data = tf.io.CompositeArrayBuffer.join(encoded.data);
    await Deno.writeFile(join(tmp, "optimizer.bin"), new Uint8Array(data));
    await Deno.writeTextFile(join(tmp, "optimizer.json"), JSON.stringify({ specs: encoded.specs }));
    await Deno.writeTextFile(join(tmp, "state.json"), JSON.stringify(state, null, 2));
  });
  // getWeights() returns the optimizer's live variables (which must survive) plus a
  // fresh scalar for the iteration count (which must not leak).
  tf.dispose(weights.map((weight) => weight.tensor).filter((tensor) => !(tensor instanceof tf.Variable)));
}

/** What {@linkcode loadCheckpoint} restores. */
export interface Checkpoint<S> {
  /** The model at the checkpoint. */
  model: tfl.LayersModel;
  /** The training state given to `saveCheckpoint`. */
  state: S;
  /** Restores the optimizer's state into `optimizer` (same type and variables). */
  restoreOptimizer(optimizer: tf.Optimizer): Promise<void>;
}

/**
 * Loads a checkpoint written by {@linkcode saveCheckpoint}.
 *
 * @param dir Checkpoint folder.
 * @returns Model, state, and a function restoring the optimizer.
 * @throws {Error} naming the folder when it is incomplete.
 */
export async function loadCheckpoint<S>(dir: string): Promise<Checkpoint<S>> {
  const model = await loadModel(dir);
  let state: S;
  let specs: tf.io.WeightsManifestEntry[];
  let data: Uint8Array;
  try {
    state = JSON.parse(await Deno.readTextFile(join(dir, "state.json")));
    specs = JSON.parse(await Deno.readTextFile(join(dir, "optimizer.json"))).specs;
    data = await Deno.readFile(join(dir, "optimizer.bin"));
  } catch (error) {
    throw new Error(`${dir}: incomplete checkpoint (state.json, optimizer.json, optimizer.bin): ${error}`, {
      cause: error,
    });
  }
  return {
    model,
    state,
    async restoreOptimizer(optimizer) {
      const named = tf.io.decodeWeights(data.slice().buffer as ArrayBuffer, specs);
      await optimizer.setWeights(specs.map((spec) => ({ name: spec.name, tensor: named[spec.name] })));
    },
  };
}
