/**
 * Every megflow model, registered in one place under the name `--model` takes.
 *
 * @module
 */

import type * as tfl from "@tensorflow/tfjs-layers";
import { cnn, CNN_DEFAULTS, type CnnOptions } from "./cnn.ts";
import { GRU_ATTENTION_DEFAULTS, gruAttention, type GruAttentionOptions } from "./gru_attention.ts";
import { vivit, VIVIT_DEFAULTS, type VivitOptions } from "./vivit.ts";
import { spectral, SPECTRAL_DEFAULTS, type SpectralOptions } from "./spectral.ts";
import { cascade, CASCADE_DEFAULTS, type CascadeOptions } from "./cascade.ts";
import { tsa, TSA_DEFAULTS, type TsaOptions } from "./tsa.ts";
import type { SignalShape } from "./types.ts";
import { resolveOptions } from "./_options.ts";

export type { SignalShape } from "./types.ts";

/** A registered model: how to build it and what it expects. */
export interface ModelEntry<O> {
  /** Registry key, the value of `--model`. */
  name: string;
  /**
   * Input layout: `"channels"` is `[batch, nChans, nTimes]` (sensor windows),
   * `"grid"` is `[batch, nTimes, gridRows, gridCols]` (frames from `gridSensors`),
   * `"bands"` is `[batch, nChans, nBands]` (log band powers from `bandPower`; the
   * signal's `nTimes` is then the number of bands).
   */
  input: "channels" | "grid" | "bands";
  /** One line about the architecture. */
  description: string;
  /** Every hyper-parameter with its default. */
  defaultOptions: O;
  /**
   * Builds the model; its output is softmax probabilities `[batch, nOutputs]`.
   *
   * @throws {TypeError} for an unknown or mistyped option or a missing signal field.
   * @throws {RangeError} for an out-of-range value.
   */
  build(signal: SignalShape, nOutputs: number, options?: Partial<O>): tfl.LayersModel;
}

/**
 * The registered models by name: `cnn` (EEGNet-style), `gru` (GRU + attention pooling),
 * `vivit` (factorised video transformer on sensor grids), `spectral` (MLP on band powers),
 * `cascade` (AA-CascadeNet: frame CNN, GRU, attention over time, on sensor grids),
 * `tsa` (Crossformer two-stage attention over sensor segments).
 *
 * @example
 * ```ts
 * import { MODELS } from "./registry.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(Object.keys(MODELS), ["cnn", "gru", "vivit", "spectral", "cascade", "tsa"]);
 * assertEquals(MODELS.vivit.input, "grid");
 * ```
 */
// deno-lint-ignore no-explicit-any
export const MODELS: Record<string, ModelEntry<any>> = {
  cnn: {
    name: "cnn",
    input: "channels",
    description: "EEGNet-style CNN (Lawhern et al. 2018): temporal conv, depthwise spatial conv, separable conv",
    defaultOptions: CNN_DEFAULTS,
    build: cnn,
  } satisfies ModelEntry<Required<CnnOptions>>,
  gru: {
    name: "gru",
    input: "channels",
    description: "sensor projection, GRU over time, learned attention pooling over time steps",
    defaultOptions: GRU_ATTENTION_DEFAULTS,
    build: gruAttention,
  } satisfies ModelEntry<Required<GruAttentionOptions>>,
  vivit: {
    name: "vivit",
    input: "grid",
    description: "ViViT factorised encoder (Arnab et al. 2021): tubelets, spatial then temporal transformer",
    defaultOptions: VIVIT_DEFAULTS,
    build: vivit,
  } satisfies ModelEntry<Required<VivitOptions>>,
  spectral: {
    name: "spectral",
    input: "bands",
    description: "log band powers per sensor (Welch), standardised, one hidden layer (0 units: logistic regression)",
    defaultOptions: SPECTRAL_DEFAULTS,
    build: spectral,
  } satisfies ModelEntry<Required<SpectralOptions>>,
  cascade: {
    name: "cascade",
    input: "grid",
    description:
      "AA-CascadeNet (Abdellaoui et al. 2020): CNN per stack of grid frames, GRU, self-attention and attention pooling over time",
    defaultOptions: CASCADE_DEFAULTS,
    build: cascade,
  } satisfies ModelEntry<Required<CascadeOptions>>,
  tsa: {
    name: "tsa",
    input: "channels",
    description:
      "Crossformer two-stage attention (Zhang & Yan 2023): sensor segments as tokens, attention across time, then across sensors via routers",
    defaultOptions: TSA_DEFAULTS,
    build: tsa,
  } satisfies ModelEntry<Required<TsaOptions>>,
};

/**
 * Builds a registered model by name.
 *
 * @param name Registry key: `cnn`, `gru`, `vivit`, `spectral`, `cascade` or `tsa`.
 * @param signal The window shape; grid models also need `gridRows` and `gridCols`.
 * @param nOutputs Number of classes.
 * @param options The model's hyper-parameters (see its `defaultOptions`); omitted ones keep
 * their defaults.
 * @returns An uncompiled model with softmax output `[batch, nOutputs]`.
 * @throws {RangeError} for an unknown name (the message lists the known ones), or an
 * out-of-range option.
 * @throws {TypeError} for an unknown or mistyped option or a missing signal field.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { buildModel } from "./registry.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const model = buildModel("cnn", { nChans: 8, nTimes: 64 }, 4);
 * assertEquals(model.outputs[0].shape, [null, 4]);
 * assertThrows(() => buildModel("mamba", { nChans: 8, nTimes: 64 }, 4), RangeError, "cnn, gru, vivit, spectral, cascade, tsa");
 * ```
 */
export function buildModel(name: string, signal: SignalShape, nOutputs: number, options?: object): tfl.LayersModel {
  const entry = Object.hasOwn(MODELS, name) ? MODELS[name] : undefined;
  if (entry === undefined) {
    throw new RangeError(`Unknown model "${name}"; known models: ${Object.keys(MODELS).join(", ")}`);
  }
  return entry.build(signal, nOutputs, options);
}

/**
 * Checks a model's options without building it (no tfjs backend needed): `options` must be an
 * object whose every key is one of the model's options (its `defaultOptions`, documented on
 * the model's options interface, e.g. `CnnOptions`) with a value of the default's type.
 * Ranges are checked when the model is built.
 *
 * @param name Registry key: `cnn`, `gru`, `vivit`, `spectral`, `cascade` or `tsa`.
 * @param options The options, e.g. the value of `--model-options` or `RunConfig.modelOptions`.
 * @throws {RangeError} for an unknown model name (listing the known ones).
 * @throws {TypeError} for options that are not an object, an unknown key (naming it and the
 *   model's known options) or a value of the wrong type.
 *
 * @example
 * ```ts
 * import { checkModelOptions } from "./registry.ts";
 * import { assertThrows } from "@std/assert";
 *
 * checkModelOptions("cnn", { dropProb: 0.25 });
 * assertThrows(() => checkModelOptions("cnn", { dropout: 0.25 }), TypeError, 'unknown option "dropout"');
 * assertThrows(() => checkModelOptions("cnn", [0.25]), TypeError, "options must be an object");
 * ```
 */
export function checkModelOptions(name: string, options: unknown): void {
  const entry = Object.hasOwn(MODELS, name) ? MODELS[name] : undefined;
  if (entry === undefined) {
    throw new RangeError(`Unknown model "${name}"; known models: ${Object.keys(MODELS).join(", ")}`);
  }
  if (options === undefined || options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(
      `Cannot build ${name}: options must be an object of ${Object.keys(entry.defaultOptions).join(", ")}, got ${
        JSON.stringify(options) ?? String(options)
      }`,
    );
  }
  resolveOptions(name, entry.defaultOptions, options);
}
