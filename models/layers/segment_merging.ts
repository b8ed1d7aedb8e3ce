/**
 * Segment merging (Crossformer's `SegMerging`, Zhang & Yan 2023): adjacent segment tokens of
 * each sensor concatenated into one, so the next layer sees a coarser time scale.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { knownDim, layerInt, singleShape, singleTensor } from "./_layer.ts";
import type { LayerArgs } from "../types.ts";

/** Arguments of {@linkcode SegmentMerging}. */
export interface SegmentMergingArgs extends LayerArgs {
  /** Adjacent segments concatenated into one token. @default 2 */
  window?: number;
}

/**
 * Concatenates every `window` adjacent segment tokens of each sensor.
 *
 * Input layout `[batch, nChans, nSegs, dModel]`; output
 * `[batch, nChans, ceil(nSegs / window), window * dModel]`, token `j` of a sensor being tokens
 * `j * window ... j * window + window - 1` side by side. When `window` does not divide
 * `nSegs`, the last `pad` segments are appended again to fill the last group, as Crossformer
 * pads (with fewer than `pad` segments, from the first one on).
 * The layout is segment-minor, so the concatenation is a reshape (no copy) unless padding is
 * needed. No weights: Crossformer's LayerNorm and linear projection back to `dModel` follow as
 * their own layers. A window of 1 returns the input.
 *
 * Serialisable: registered with `tf.serialization.registerClass`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { SegmentMerging } from "./segment_merging.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const tokens = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 1, 3, 2]); // 3 segments of 2 values
 * const merged = new SegmentMerging({ window: 2 }).apply(tokens) as tf.Tensor;
 * assertEquals(merged.arraySync(), [[[[1, 2, 3, 4], [5, 6, 5, 6]]]]); // the last one padded
 * ```
 */
export class SegmentMerging extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = "SegmentMerging";
  /** Adjacent segments concatenated into one token. */
  readonly window: number;

  /**
   * Creates a segment merging.
   *
   * @param args Layer arguments; see {@linkcode SegmentMergingArgs}.
   * @throws {RangeError} when `window` is not a positive integer.
   */
  constructor(args: SegmentMergingArgs = {}) {
    super(args);
    this.window = layerInt("SegmentMerging", "window", args.window ?? 2, 1);
  }

  /** `[batch, nChans, nSegs, dModel]` -> `[batch, nChans, ceil(nSegs / window), window * dModel]`. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = checkShape(singleShape("SegmentMerging", inputShape));
    const nSegs = knownDim("SegmentMerging", shape, 2, "number of segments");
    const dModel = knownDim("SegmentMerging", shape, 3, "token size");
    return [shape[0], shape[1], Math.ceil(nSegs / this.window), this.window * dModel];
  }

  /** Merges the segments of every sensor. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      let x = singleTensor("SegmentMerging", inputs);
      const [batch, nChans, nSegs, dModel] = checkShape(x.shape);
      const pad = (this.window - (nSegs % this.window)) % this.window;
      if (pad > 0) {
        // Crossformer's padding (the last `pad` segments again); fewer segments than that repeat the first
        const indices = Array.from({ length: nSegs + pad }, (_, i) => i < nSegs ? i : Math.max(0, i - pad));
        x = tf.gather(x, indices, 2);
      }
      return tf.reshape(x, [batch, nChans, (nSegs + pad) / this.window, this.window * dModel]);
    });
  }

  /** The layer's configuration, merged with the base layer's. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), window: this.window };
  }
}
tf.serialization.registerClass(SegmentMerging);

function checkShape<S extends tfl.Shape | number[]>(shape: S): S {
  if (shape.length !== 4) {
    throw new TypeError(`SegmentMerging expects [batch, nChans, nSegs, dModel], got shape [${shape.join(", ")}]`);
  }
  return shape;
}
