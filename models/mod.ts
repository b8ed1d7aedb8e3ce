/**
 * megflow's tfjs models and the registry the training tasks pick them from.
 *
 * Importing this module also registers the custom layers for serialisation, so a saved
 * checkpoint loads with `tfl.loadLayersModel(...)`.
 *
 * Input layouts: sensor-window models take `[batch, nChans, nTimes]`, grid models
 * `[batch, nTimes, gridRows, gridCols]`; every model outputs softmax probabilities
 * `[batch, nOutputs]`.
 *
 * @module
 */

export * from "./types.ts";
export * from "./registry.ts";
export * from "./cnn.ts";
export * from "./gru_attention.ts";
export * from "./vivit.ts";
export * from "./spectral.ts";
export * from "./cascade.ts";
export * from "./tsa.ts";
export * from "./sparse_autoencoder.ts";
export * from "./layers/mod.ts";
export * from "./constraints.ts";
