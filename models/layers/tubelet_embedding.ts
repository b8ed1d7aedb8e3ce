/**
 * Tubelet embedding (ViViT): cuts a sequence of sensor-grid frames into non-overlapping
 * space-time patches and projects each patch linearly to a token.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { knownDim, layerInt, singleShape, singleTensor } from "./_layer.ts";
import type { LayerArgs } from "../types.ts";

/** Arguments of {@linkcode TubeletEmbedding}. */
export interface TubeletEmbeddingArgs extends LayerArgs {
  /** Patch size `[time, rows, cols]`; must divide `[nTimes, gridRows, gridCols]`. @default [25, 4, 4] */
  tubelet?: [number, number, number];
  /** Size of each token. @default 64 */
  embedDim?: number;
}

/**
 * Space-time patches to tokens, equivalent to a `conv3d` whose kernel and strides equal
 * the tubelet size, written as two transposes and one matMul (matMul is the best
 * optimised kernel of the wasm backend, and its gradient is matMuls again).
 *
 * Input layout `[batch, nTimes, gridRows, gridCols]`; with tubelet `[t, h, w]` the output
 * layout is `[batch, nTimes / t, (gridRows / h) * (gridCols / w), embedDim]`: time groups,
 * then the patches of each group in row-major grid order. Weights: `kernel`
 * `[t * h * w, embedDim]` whose rows are ordered (row in patch, column in patch, time in
 * patch), and `bias` `[embedDim]`.
 *
 * Serialisable: registered with `tf.serialization.registerClass`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { TubeletEmbedding } from "./tubelet_embedding.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const embed = new TubeletEmbedding({ tubelet: [5, 4, 4], embedDim: 8 });
 * const frames = tf.randomNormal([2, 20, 8, 12]); // [batch, nTimes, gridRows, gridCols]
 * assertEquals((embed.apply(frames) as tf.Tensor).shape, [2, 4, 6, 8]);
 * ```
 */
export class TubeletEmbedding extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = "TubeletEmbedding";
  /** Patch size `[time, rows, cols]`. */
  readonly tubelet: [number, number, number];
  /** Size of each token. */
  readonly embedDim: number;
  private kernel?: tfl.LayerVariable;
  private bias?: tfl.LayerVariable;

  /**
   * Creates a tubelet embedding; the projection is made on first use.
   *
   * @param args Layer arguments; see {@linkcode TubeletEmbeddingArgs}.
   * @throws {TypeError} when `tubelet` is not an array of three numbers.
   * @throws {RangeError} when a tubelet size or `embedDim` is not a positive integer.
   */
  constructor(args: TubeletEmbeddingArgs = {}) {
    super(args);
    const tubelet = args.tubelet ?? [25, 4, 4];
    if (!Array.isArray(tubelet) || tubelet.length !== 3) {
      throw new TypeError(`TubeletEmbedding: tubelet must be [time, rows, cols], got ${JSON.stringify(tubelet)}`);
    }
    this.tubelet = tubelet.map((size, i) => layerInt("TubeletEmbedding", `tubelet[${i}]`, size, 1)) as [
      number,
      number,
      number,
    ];
    this.embedDim = layerInt("TubeletEmbedding", "embedDim", args.embedDim ?? 64, 1);
  }

  /** Creates the projection for an input of layout `[batch, nTimes, gridRows, gridCols]`. */
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    this.grid(singleShape("TubeletEmbedding", inputShape));
    const [t, h, w] = this.tubelet;
    this.kernel = this.addWeight(
      "kernel",
      [t * h * w, this.embedDim],
      "float32",
      tfl.initializers.glorotUniform({}),
    );
    this.bias = this.addWeight("bias", [this.embedDim], "float32", tfl.initializers.zeros());
    this.built = true;
  }

  /** `[batch, nTimes, gridRows, gridCols]` -> `[batch, nGroups, nPatches, embedDim]`. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = singleShape("TubeletEmbedding", inputShape);
    const [nGroups, nRows, nCols] = this.grid(shape);
    return [shape[0], nGroups, nRows * nCols, this.embedDim];
  }

  /** Embeds every tubelet. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = singleTensor("TubeletEmbedding", inputs);
      const [nGroups, nRows, nCols] = this.grid(x.shape);
      const [t, h, w] = this.tubelet;
      const [batch, , rows, cols] = x.shape;
      const flat = x.dtype === "float32" && tf.getKernel(TUBELETS_KERNEL, tf.getBackend()) !== undefined
        ? tf.engine().runKernel(TUBELETS_KERNEL, { x }, { tubelet: [t, h, w] }) as tf.Tensor
        : tubeletRows(x, batch, nGroups, nRows, nCols, t, h, w, rows, cols);
      const tokens = tf.add(tf.matMul(flat, this.kernel!.read()), this.bias!.read());
      return tf.reshape(tokens, [batch, nGroups, nRows * nCols, this.embedDim]);
    });
  }

  /** The layer's configuration, merged with the base layer's. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), tubelet: [...this.tubelet], embedDim: this.embedDim };
  }

  /** `[nGroups, nRows, nCols]` for an input shape, or an error naming what does not divide. */
  private grid(shape: tfl.Shape | number[]): [number, number, number] {
    if (shape.length !== 4) {
      throw new TypeError(
        `TubeletEmbedding expects [batch, nTimes, gridRows, gridCols], got shape [${shape.join(", ")}]`,
      );
    }
    const names = ["nTimes", "gridRows", "gridCols"];
    return this.tubelet.map((size, i) => {
      const extent = knownDim("TubeletEmbedding", shape as tfl.Shape, i + 1, names[i]);
      if (extent % size !== 0) {
        throw new RangeError(
          `TubeletEmbedding: tubelet [${this.tubelet.join(", ")}] must divide [nTimes, gridRows, gridCols] = [${
            shape.slice(1).join(", ")
          }], but ${names[i]} ${extent} is not a multiple of ${size}`,
        );
      }
      return extent / size;
    }) as [number, number, number];
  }
}
tf.serialization.registerClass(TubeletEmbedding);

/** The wasm backend's one-pass tubelet copy (`backends/kernels/tubelet_gather.ts`), by name. */
const TUBELETS_KERNEL = "MegflowTubelets";

/** The tubelets as rows `[batch * nGroups * nRows * nCols, h * w * t]` by reshapes and transposes. */
function tubeletRows(
  x: tf.Tensor,
  batch: number,
  nGroups: number,
  nRows: number,
  nCols: number,
  t: number,
  h: number,
  w: number,
  rows: number,
  cols: number,
): tf.Tensor {
  // [batch * nGroups, t, rows * cols] -> [batch * nGroups, rows * cols, t]
  let patches = tf.transpose(tf.reshape(x, [batch * nGroups, t, rows * cols]), [0, 2, 1]);
  // rows * cols * t = (nRows, h, nCols, w * t) -> (nRows, nCols, h, w * t)
  patches = tf.transpose(tf.reshape(patches, [batch * nGroups * nRows, h, nCols, w * t]), [0, 2, 1, 3]);
  return tf.reshape(patches, [batch * nGroups * nRows * nCols, h * w * t]);
}
