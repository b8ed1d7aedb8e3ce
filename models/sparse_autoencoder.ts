/**
 * A sparse autoencoder of feature vectors (e.g. flattened log band powers): one
 * ReLU code layer and a linear decoder, with an L1 penalty on the code.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { checkInt, checkNonNegative } from "./_options.ts";

/** Options of {@linkcode sparseAutoencoder}. */
export interface SparseAutoencoderOptions {
  /** Units of the code (ReLU). @default 32 */
  codeSize?: number;
  /** L1 penalty on the code, `l1 * sum |code|` per example, added to the loss. @default 0.001 */
  l1?: number;
}

/**
 * The training loss of a sparse autoencoder on a batch: mean squared
 * reconstruction error plus `l1` times the mean over examples of `sum |code|`
 * (tfjs-layers has no activity regulariser on functional models, so the
 * penalty is part of the loss).
 *
 * @param model The autoencoder.
 * @param x A batch `[batch, nFeatures]`.
 * @param l1 The penalty.
 * @returns A scalar.
 */
export function sparseAutoencoderLoss(model: SparseAutoencoder, x: tf.Tensor2D, l1: number): tf.Scalar {
  return tf.tidy(() => {
    const code = model.encoder.apply(x, { training: true }) as tf.Tensor2D;
    const reconstruction = model.decoder.apply(code) as tf.Tensor2D;
    const mse = tf.mean(tf.square(tf.sub(reconstruction, x)));
    return tf.add(mse, tf.mul(l1, tf.mean(tf.sum(tf.abs(code), 1)))) as tf.Scalar;
  });
}

/** The encoder (features -> code), the decoder layer and the whole autoencoder, sharing weights. */
export interface SparseAutoencoder {
  /** `[batch, nFeatures] -> [batch, codeSize]`. */
  encoder: tfl.LayersModel;
  /** The decoder: dense `nFeatures`, linear, `[batch, codeSize] -> [batch, nFeatures]`. */
  decoder: tfl.layers.Layer;
  /** `[batch, nFeatures] -> [batch, nFeatures]`; train it with {@linkcode sparseAutoencoderLoss}. */
  autoencoder: tfl.LayersModel;
  /** The L1 penalty it was built with. */
  l1: number;
}

/**
 * Builds a sparse autoencoder: dense `codeSize` ReLU (the code), then dense
 * `nFeatures` linear; the sparsity is the L1 penalty of {@linkcode sparseAutoencoderLoss}.
 *
 * @param nFeatures Length of a feature vector.
 * @param options Code size and L1 penalty.
 * @returns Encoder and autoencoder.
 * @throws {RangeError} for a size below 1 or a negative penalty.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { sparseAutoencoder } from "./sparse_autoencoder.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const { encoder, autoencoder } = sparseAutoencoder(20, { codeSize: 4 });
 * assertEquals((encoder.predict(tf.zeros([3, 20])) as tf.Tensor).shape, [3, 4]);
 * assertEquals((autoencoder.predict(tf.zeros([3, 20])) as tf.Tensor).shape, [3, 20]);
 * ```
 */
export function sparseAutoencoder(nFeatures: number, options: SparseAutoencoderOptions = {}): SparseAutoencoder {
  checkInt("sparseAutoencoder", "nFeatures", nFeatures, 1);
  const codeSize = checkInt("sparseAutoencoder", "codeSize", options.codeSize ?? 32, 1);
  const l1 = checkNonNegative("sparseAutoencoder", "l1", options.l1 ?? 0.001);
  const input = tfl.input({ shape: [nFeatures], name: "features" });
  const code = tfl.layers.dense({ units: codeSize, activation: "relu", name: "code" }).apply(
    input,
  ) as tfl.SymbolicTensor;
  const decoder = tfl.layers.dense({ units: nFeatures, name: "decoder" });
  const reconstruction = decoder.apply(code) as tfl.SymbolicTensor;
  return {
    encoder: tfl.model({ inputs: input, outputs: code, name: "encoder" }),
    decoder,
    autoencoder: tfl.model({ inputs: input, outputs: reconstruction, name: "sparse_autoencoder" }),
    l1,
  };
}
