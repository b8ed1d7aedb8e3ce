/**
 * Saving and loading models, optimizer state and training progress as plain
 * files that survive a crash at any moment (every file flushed to the disk
 * before it is renamed into place).
 *
 * A model folder holds the standard tfjs layers format (`model.json` with the
 * topology and weights manifest, `weights.bin`), loadable by
 * `tf.loadLayersModel`; it is replaced atomically (`replaceDirAtomic`).
 * A checkpoint folder holds numbered checkpoints, `step-NNNNNN/`, each with the
 * model files, `optimizer.json` + `optimizer.bin` (e.g. Adam's moments and bias
 * corrections), `state.json` (the caller's training state: epoch, history,
 * best score) and `manifest.json` (size and SHA-256 of each file, written
 * last). A new checkpoint is a new folder, renamed into place once complete;
 * older ones are deleted only after that, so the last good checkpoint is never
 * lost, and loading takes the newest folder that matches its manifest.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { join } from "node:path";
import { recoverDir, replaceDirAtomic, syncDir, syncTree } from "../core/atomic_write.ts";

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
  const weightSpecs: tf.io.WeightsManifestEntry[] = modelJson.weightsManifest.flatMap(
    (group: { weights: tf.io.WeightsManifestEntry[] }) => group.weights,
  );
  const width: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
  const expected = weightSpecs.reduce((n, spec) => n + width[spec.dtype] * spec.shape.reduce((a, b) => a * b, 1), 0);
  if (weightSpecs.every((spec) => !spec.quantization && width[spec.dtype]) && expected !== weightData.length) {
    throw new Error(`${dir}: the weights hold ${weightData.length} bytes, model.json describes ${expected}`);
  }
  // Built without weights, which are then decoded and set here, so that a failure disposes what was made.
  const model = await tfl.loadLayersModel({ load: () => Promise.resolve({ modelTopology: modelJson.modelTopology }) });
  const named = tf.io.decodeWeights(weightData.buffer as ArrayBuffer, weightSpecs);
  try {
    model.loadWeights(named, true);
    return model;
  } catch (error) {
    model.dispose();
    throw new Error(`${dir}: cannot load the model: ${error}`, { cause: error });
  } finally {
    tf.dispose(Object.values(named));
  }
}

/** The files of a checkpoint folder, besides its manifest. */
const CHECKPOINT_FILES = ["model.json", "weights.bin", "optimizer.json", "optimizer.bin", "state.json"];
/** Lists every file of a checkpoint folder with its size and SHA-256; written last. */
const MANIFEST = "manifest.json";
const STEP_NAME = /^step-(\d{6,})$/;
const STAGING_NAME = /^\.step-(\d{6,})\..+\.tmp$/;

interface StepEntry {
  name: string;
  number: number;
  path: string;
}

/** The checkpoint folders (`step-NNNNNN`, newest first) and unfinished staging folders of `dir`. */
async function listCheckpoints(dir: string): Promise<{ steps: StepEntry[]; staging: StepEntry[] }> {
  const steps: StepEntry[] = [], staging: StepEntry[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isDirectory) continue;
      const step = entry.name.match(STEP_NAME), stage = entry.name.match(STAGING_NAME);
      const match = step ?? stage;
      if (match) {
        (step ? steps : staging).push({ name: entry.name, number: Number(match[1]), path: join(dir, entry.name) });
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  steps.sort((a, b) => b.number - a.number);
  return { steps, staging };
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function writeManifest(dir: string): Promise<void> {
  const files: Record<string, { bytes: number; sha256: string }> = {};
  for (const name of CHECKPOINT_FILES) {
    const bytes = await Deno.readFile(join(dir, name));
    files[name] = { bytes: bytes.length, sha256: await sha256(bytes) };
  }
  await Deno.writeTextFile(join(dir, MANIFEST), JSON.stringify({ version: 1, files }, null, 2));
}

/** Throws unless every file the manifest of `dir` lists is there with its size and checksum. */
async function verifyManifest(dir: string): Promise<void> {
  let files: Record<string, { bytes: number; sha256: string }>;
  try {
    files = JSON.parse(await Deno.readTextFile(join(dir, MANIFEST))).files;
  } catch (error) {
    throw new Error(`no readable ${MANIFEST} (the folder was never completed): ${error}`);
  }
  for (const name of CHECKPOINT_FILES) {
    if (!files?.[name]) throw new Error(`${MANIFEST} does not list ${name}`);
    const bytes = await Deno.readFile(join(dir, name)).catch(() => undefined);
    if (!bytes) throw new Error(`${name} is missing`);
    if (bytes.length !== files[name].bytes) {
      throw new Error(`${name} has ${bytes.length} bytes, the manifest says ${files[name].bytes}`);
    }
    if ((await sha256(bytes)) !== files[name].sha256) throw new Error(`${name} does not match its checksum`);
  }
}

/**
 * The optimizer's own variables that `getWeights()` leaves out, by field name
 * (Adam's `accBeta1` and `accBeta2`: tfjs recomputes them on `setWeights` as
 * `beta ** (t + 1)`, which differs in the last bits from the product the
 * uninterrupted optimizer accumulated).
 */
function optimizerVariables(optimizer: tf.Optimizer): Record<string, tf.Variable> {
  const found: Record<string, tf.Variable> = {};
  for (const [key, value] of Object.entries(optimizer)) if (value instanceof tf.Variable) found[key] = value;
  return found;
}

/** `optimizer.bin` and `optimizer.json` of `optimizer`; leaves no tensor behind, also when it fails. */
async function encodeOptimizer(optimizer: tf.Optimizer): Promise<{ bin: Uint8Array; json: string }> {
  const weights = await optimizer.getWeights();
  try {
    const encoded = await tf.io.encodeWeights(weights);
    const variables: Record<string, number[]> = {};
    for (const [key, variable] of Object.entries(optimizerVariables(optimizer))) {
      variables[key] = Array.from(await variable.data());
    }
    const bin = new Uint8Array(tf.io.CompositeArrayBuffer.join(encoded.data));
    return { bin, json: JSON.stringify({ specs: encoded.specs, variables }) };
  } finally {
    // getWeights() returns the optimizer's live variables (which must survive) plus a
    // fresh scalar for the iteration count (which must not leak).
    tf.dispose(weights.map((weight) => weight.tensor).filter((tensor) => !(tensor instanceof tf.Variable)));
  }
}

/** Options of {@linkcode saveCheckpoint}. */
export interface SaveCheckpointOptions {
  /** Checkpoint folders to keep, the new one included (older ones are deleted after it is complete). Default: 2. */
  keep?: number;
}

/**
 * Writes a resumable checkpoint: model, optimizer state (every variable,
 * Adam's bias corrections included) and `state` (any JSON) into a new folder
 * `dir/step-NNNNNN` (numbered after the newest one there). The folder is
 * written under a temporary name, every file flushed to the disk with a
 * manifest of sizes and SHA-256 checksums written last, and then renamed into
 * place in one step; only then are older checkpoints deleted (all but the
 * newest `keep`). A crash at any moment therefore leaves the previous
 * checkpoint complete, and {@linkcode loadCheckpoint} ignores an unfinished
 * one. One process writes a checkpoint folder at a time.
 *
 * @param dir Checkpoint folder (created).
 * @param model The model.
 * @param optimizer The optimizer whose state to keep.
 * @param state Training progress to restore on resume (JSON).
 * @param options How many checkpoints to keep.
 * @returns The new checkpoint's folder.
 * @throws {TypeError} when `state` cannot be written as JSON, before anything is written.
 */
export async function saveCheckpoint(
  dir: string,
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  state: unknown,
  options: SaveCheckpointOptions = {},
): Promise<string> {
  const keep = Math.max(1, options.keep ?? 2);
  const stateText = JSON.stringify(state, null, 2);
  const optimizerFiles = await encodeOptimizer(optimizer);
  await Deno.mkdir(dir, { recursive: true });
  const { steps, staging } = await listCheckpoints(dir);
  const number = Math.max(0, ...steps.map((s) => s.number), ...staging.map((s) => s.number)) + 1;
  const name = `step-${String(number).padStart(6, "0")}`;
  const temporary = join(dir, `.${name}.${crypto.randomUUID()}.tmp`);
  await Deno.mkdir(temporary);
  try {
    await writeModelFiles(temporary, model);
    await Deno.writeFile(join(temporary, "optimizer.bin"), optimizerFiles.bin);
    await Deno.writeTextFile(join(temporary, "optimizer.json"), optimizerFiles.json);
    await Deno.writeTextFile(join(temporary, "state.json"), stateText);
    await writeManifest(temporary);
    await syncTree(temporary);
    await Deno.rename(temporary, join(dir, name));
    await syncDir(dir);
  } catch (error) {
    await Deno.remove(temporary, { recursive: true }).catch(() => {});
    throw error;
  }
  // The new checkpoint is durable: older ones, unfinished ones and the flat layout of old runs go.
  for (const old of [...steps.slice(keep - 1), ...staging]) await Deno.remove(old.path, { recursive: true });
  for (const file of [...CHECKPOINT_FILES, MANIFEST]) await Deno.remove(join(dir, file)).catch(() => {});
  return join(dir, name);
}

/** What {@linkcode loadCheckpoint} restores. */
export interface Checkpoint<S> {
  /** The model at the checkpoint. */
  model: tfl.LayersModel;
  /** The training state given to `saveCheckpoint`. */
  state: S;
  /** The checkpoint folder it was read from (`dir/step-NNNNNN`). */
  dir: string;
  /** Newer checkpoint folders that were ignored, each with the reason (unfinished, damaged). */
  skipped: string[];
  /** Restores the optimizer's state into `optimizer` (same type and variables). */
  restoreOptimizer(optimizer: tf.Optimizer): Promise<void>;
}

/**
 * Loads the newest complete checkpoint written by {@linkcode saveCheckpoint}
 * into `dir`: a folder whose files do not match its manifest (unfinished,
 * truncated, damaged) is skipped in favour of the one before. Also reads the
 * flat layout of runs made before numbered checkpoints.
 *
 * @param dir Checkpoint folder.
 * @returns Model, state, and a function restoring the optimizer.
 * @throws {Error} naming the folder (and why each candidate was skipped) when it holds no complete checkpoint.
 */
export async function loadCheckpoint<S>(dir: string): Promise<Checkpoint<S>> {
  const skipped: string[] = [];
  for (const step of (await listCheckpoints(dir)).steps) {
    try {
      await verifyManifest(step.path);
      return { ...(await loadCheckpointFolder<S>(step.path)), skipped };
    } catch (error) {
      skipped.push(`${step.path}: ${error instanceof Error ? error.message : error}`);
    }
  }
  // The flat layout of older runs, which a kill inside the old replaceDirAtomic may have left aside.
  await recoverDir(dir);
  if (await Deno.stat(join(dir, "state.json")).then(() => true, () => false)) {
    return { ...(await loadCheckpointFolder<S>(dir)), skipped };
  }
  const why = skipped.length > 0 ? `; skipped ${skipped.join("; ")}` : "";
  throw new Error(`${dir}: no complete checkpoint${why}`);
}

/** Reads one checkpoint folder; leaves no tensor behind when it fails. */
async function loadCheckpointFolder<S>(dir: string): Promise<Omit<Checkpoint<S>, "skipped">> {
  let state: S;
  let specs: tf.io.WeightsManifestEntry[];
  let variables: Record<string, number[]>;
  let data: Uint8Array;
  try {
    state = JSON.parse(await Deno.readTextFile(join(dir, "state.json")));
    ({ specs, variables = {} } = JSON.parse(await Deno.readTextFile(join(dir, "optimizer.json"))));
    data = await Deno.readFile(join(dir, "optimizer.bin"));
  } catch (error) {
    throw new Error(`${dir}: incomplete checkpoint (state.json, optimizer.json, optimizer.bin): ${error}`, {
      cause: error,
    });
  }
  const model = await loadModel(dir);
  return {
    model,
    state,
    dir,
    async restoreOptimizer(optimizer) {
      const named = tf.io.decodeWeights(data.slice().buffer as ArrayBuffer, specs);
      try {
        await optimizer.setWeights(specs.map((spec) => ({ name: spec.name, tensor: named[spec.name] })));
        const own = optimizerVariables(optimizer);
        for (const [key, values] of Object.entries(variables)) {
          const variable = own[key];
          if (!variable || variable.size !== values.length) {
            throw new Error(`${dir}: the optimizer has no variable ${key} of ${values.length} values`);
          }
          tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, variable.dtype)));
        }
      } finally {
        // setWeights() makes its own variables of these tensors' data.
        tf.dispose(Object.values(named));
      }
    },
  };
}
