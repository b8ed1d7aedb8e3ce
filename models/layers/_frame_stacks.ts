/**
 * Frame pooling, frame stacks and the first space-to-depth of a frame CNN as one gather:
 * `[batch, nTimes, rows, cols]` -> `[batch * nSteps, ceil(rows / k), ceil(cols / k), k * k *
 * depth]`, where tfjs ran a reshape, `AvgPool`, a slice, two transposes and four reshapes,
 * each a pass over the frames. Element `(i * k + j) * depth + d` of cell `(R, C)` of stack
 * `s` of example `b` is the mean of frames `(s * depth + d) * pool .. + pool - 1` at grid cell
 * `(R * k + i, C * k + j)` (zero beyond the grid): what `SpaceToDepth(k)` after
 * `FramesToBatch(depth)` after an `averagePooling1d(pool)` over time gives. On cpu and wasm it
 * is one loop over the frames (and its gradient one loop back); elsewhere the same tfjs ops.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { onSynchronousBackend } from "../../core/_synchronous_backend.ts";
import { computeTensor } from "./_tensor_values.ts";
import { type ChannelKernels, channelKernels, scratchFor } from "./_channel_kernels_wasm.ts";
import { pendingUpload } from "../../core/_lazy_upload.ts";

/** Sizes of one gather. */
export interface StackDims {
  /** Frames averaged into one. */
  pool: number;
  /** Pooled frames per stack. */
  depth: number;
  /** Height and width of the space-to-depth blocks. */
  block: number;
}

/** Output shape of {@linkcode frameStacks} for input `[batch, nTimes, rows, cols]`. */
export function frameStacksShape(shape: readonly number[], dims: StackDims): number[] {
  const [batch, nTimes, rows, cols] = shape;
  const nSteps = Math.floor(Math.floor(nTimes / dims.pool) / dims.depth);
  const k = dims.block;
  return [batch * nSteps, Math.ceil(rows / k), Math.ceil(cols / k), k * k * dims.depth];
}

/**
 * For every element of a stack's output image, the offset of its first input frame's value
 * from the stack's first frame (`-1` for cells beyond the grid).
 */
function sources(rows: number, cols: number, dims: StackDims): Int32Array {
  const k = dims.block;
  const [outCols, cells] = [Math.ceil(cols / k), rows * cols];
  const source = new Int32Array(Math.ceil(rows / k) * outCols * k * k * dims.depth).fill(-1);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const cell = Math.floor(r / k) * outCols + Math.floor(c / k);
      const offset = cell * k * k * dims.depth + ((r % k) * k + (c % k)) * dims.depth;
      for (let d = 0; d < dims.depth; d++) source[offset + d] = d * dims.pool * cells + r * cols + c;
    }
  }
  return source;
}

/** Stacks `y` from frames `x`: each element the mean of its `pool` frames (see the module's doc). */
function gather(x: Float32Array, y: Float32Array, shape: readonly number[], dims: StackDims): void {
  const [batch, nTimes, rows, cols] = shape;
  const cells = rows * cols;
  const nSteps = Math.floor(Math.floor(nTimes / dims.pool) / dims.depth);
  const source = sources(rows, cols, dims);
  const padded = source.includes(-1);
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < nSteps; s++) {
      const base = (b * nTimes + s * dims.depth * dims.pool) * cells;
      const o = (b * nSteps + s) * source.length;
      if (dims.pool === 2 && padded === false) gatherPairs(x, y, source, base, o, cells);
      else gatherStack(x, y, source, base, o, cells, dims.pool);
    }
  }
}

/** One stack, frames pooled two by two, no cell beyond the grid. */
function gatherPairs(x: Float32Array, y: Float32Array, source: Int32Array, base: number, o: number, cells: number) {
  const n = source.length;
  for (let e = 0, out = o; e < n; e++, out++) {
    const f = base + source[e];
    y[out] = (x[f] + x[f + cells]) * 0.5;
  }
}

/** One stack, any pooling. */
function gatherStack(
  x: Float32Array,
  y: Float32Array,
  source: Int32Array,
  base: number,
  o: number,
  cells: number,
  pool: number,
) {
  const scale = Math.fround(1 / pool);
  for (let e = 0; e < source.length; e++) {
    const from = source[e];
    if (from < 0) {
      y[o + e] = 0;
      continue;
    }
    let sum = x[base + from];
    for (let p = 1; p < pool; p++) sum = Math.fround(sum + x[base + from + p * cells]);
    y[o + e] = pool === 1 ? sum : sum * scale;
  }
}

/** The gradient of {@linkcode gather}: each frame gets `1 / pool` of its stack element's, dropped frames 0. */
function scatter(dy: Float32Array, dx: Float32Array, shape: readonly number[], dims: StackDims): void {
  const [batch, nTimes, rows, cols] = shape;
  const cells = rows * cols;
  const nSteps = Math.floor(Math.floor(nTimes / dims.pool) / dims.depth);
  const source = sources(rows, cols, dims);
  const size = source.length;
  const [pool, scale] = [dims.pool, Math.fround(1 / dims.pool)];
  const used = nSteps * dims.depth * pool;
  for (let b = 0, o = 0; b < batch; b++) {
    dx.fill(0, (b * nTimes + used) * cells, (b + 1) * nTimes * cells);
    for (let s = 0; s < nSteps; s++) {
      const base = (b * nTimes + s * dims.depth * pool) * cells;
      for (let e = 0; e < size; e++, o++) {
        const from = source[e];
        if (from < 0) continue;
        const g = pool === 1 ? dy[o] : dy[o] * scale;
        for (let p = 0; p < pool; p++) dx[base + from + p * cells] = g;
      }
    }
  }
}

let inputOrder = true;

/**
 * Whether the wasm gather of two-frame pools reads the frames in order, four pooled frames of four cells at a time
 * (`pairsQuads`, the default, where the grid's cells are a multiple of 4), or gathers every output element
 * (`pairs`); the same bits. Returns the previous setting (tests and A/B runs).
 */
export function setInputOrderGather(on: boolean): boolean {
  const previous = inputOrder;
  inputOrder = on;
  return previous;
}

/**
 * For every grid cell `r * cols + c` (`rows` and `cols` multiples of the block), the byte offset of its first
 * pooled frame in a stack's output, written into `scratch`; returns the table's address.
 */
function destinations(scratch: Float32Array, rows: number, cols: number, dims: StackDims): number {
  const k = dims.block;
  const outCols = cols / k;
  const dest = new Int32Array(scratch.buffer, scratch.byteOffset, rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const cell = Math.floor(r / k) * outCols + Math.floor(c / k);
      dest[r * cols + c] = (cell * k * k + (r % k) * k + (c % k)) * dims.depth * 4;
    }
  }
  return scratch.byteOffset;
}

/**
 * The gather of two-frame pools over a grid of whole blocks in WebAssembly (`pairs` per stack,
 * its gradient `unpairs`), with the source table in a scratch tensor of the heap.
 */
function pairsWasm(kernels: ChannelKernels, input: tf.Tensor, shape: number[], dims: StackDims) {
  const [batch, nTimes, rows, cols] = input.shape;
  const cells = rows * cols;
  const nSteps = shape[0] / batch;
  const size = cells * dims.depth; // whole blocks: no cell beyond the grid
  const each = (run: (base: number, out: number) => void) => {
    for (let b = 0; b < batch; b++) {
      for (let s = 0; s < nSteps; s++) run((b * nTimes + s * dims.depth * 2) * cells * 4, (b * nSteps + s) * size * 4);
    }
  };
  const table = (scratch: Float32Array) => {
    const source = sources(rows, cols, dims);
    const offsets = new Int32Array(scratch.buffer, scratch.byteOffset, size);
    for (let e = 0; e < size; e++) offsets[e] = source[e] * 4;
    return scratch.byteOffset;
  };
  const gradFunc = (dy: tf.Tensor) => {
    const again = scratchFor(0, size);
    return [computeTensor(input.shape, [dy, again], (dx, [dys, tab]) => {
      const at = table(tab);
      const used = nSteps * dims.depth * 2;
      for (let b = 0; b < batch; b++) dx.fill(0, (b * nTimes + used) * cells, (b + 1) * nTimes * cells);
      each((base, out) => kernels.unpairs(dx.byteOffset + base, dys.byteOffset + out, at, size, cells * 4));
    })];
  };
  const quads = inputOrder && cells % 4 === 0;
  const upload = quads ? pendingUpload(tf.backend(), input.dataId) : null;
  if (upload !== null) return { value: stagedQuads(kernels, upload, input.shape, shape, dims), gradFunc };
  const scratch = scratchFor(0, size);
  return {
    value: computeTensor(shape, [input, scratch], (y, [xs, tab]) => {
      if (quads) {
        const at = destinations(tab, rows, cols, dims);
        each((base, out) =>
          kernels.pairsQuads(xs.byteOffset + base, y.byteOffset + out, at, cells, dims.depth, cells * 4)
        );
        return;
      }
      const at = table(tab);
      each((base, out) => kernels.pairs(xs.byteOffset + base, y.byteOffset + out, at, size, cells * 4));
    }),
    gradFunc,
  };
}

/**
 * {@linkcode pairsWasm}'s input-order gather from the caller's array of an input whose copy into the heap is
 * pending (`core/_lazy_upload.ts`): each stack's frames copied into a scratch of the heap, then gathered from
 * there (`pairsQuads`, the same values); the input's copy is never made unless something else reads it.
 */
function stagedQuads(
  kernels: ChannelKernels,
  values: Float32Array,
  inShape: number[],
  shape: number[],
  dims: StackDims,
): tf.Tensor {
  const [batch, nTimes, rows, cols] = inShape;
  const cells = rows * cols;
  const nSteps = shape[0] / batch;
  const frames = 2 * dims.depth * cells;
  const scratch = scratchFor(0, cells + frames);
  const size = cells * dims.depth;
  return computeTensor(shape, [scratch], (y, [stage]) => {
    const at = destinations(stage, rows, cols, dims);
    const staged = stage.subarray(cells, cells + frames);
    for (let b = 0; b < batch; b++) {
      for (let s = 0; s < nSteps; s++) {
        const start = (b * nTimes + s * dims.depth * 2) * cells;
        staged.set(values.subarray(start, start + frames));
        const out = y.byteOffset + (b * nSteps + s) * size * 4;
        kernels.pairsQuads(staged.byteOffset, out, at, cells, dims.depth, cells * 4);
      }
    }
  });
}

/** The same gather with tfjs ops (backends whose values cannot be read synchronously; exported for tests). */
export function frameStacksOps(x: tf.Tensor, dims: StackDims): tf.Tensor {
  const [batch, nTimes, rows, cols] = x.shape;
  const frames = Math.floor(nTimes / dims.pool);
  const nSteps = Math.floor(frames / dims.depth);
  const k = dims.block;
  const [outRows, outCols] = [Math.ceil(rows / k), Math.ceil(cols / k)];
  let y = tf.slice(x, [0, 0, 0, 0], [batch, nSteps * dims.depth * dims.pool, rows, cols]);
  if (dims.pool > 1) y = tf.mean(tf.reshape(y, [batch * nSteps * dims.depth, dims.pool, rows * cols]), 1);
  y = tf.transpose(tf.reshape(y, [batch * nSteps, dims.depth, rows, cols]), [0, 2, 3, 1]);
  if (outRows * k !== rows || outCols * k !== cols) {
    y = tf.pad(y, [[0, 0], [0, outRows * k - rows], [0, outCols * k - cols], [0, 0]]);
  }
  y = tf.transpose(tf.reshape(y, [batch * nSteps, outRows, k, outCols, k * dims.depth]), [0, 1, 3, 2, 4]);
  return tf.reshape(y, frameStacksShape(x.shape, dims));
}

/**
 * `[batch, nTimes, rows, cols]` -> `[batch * nSteps, ceil(rows / block), ceil(cols / block),
 * block * block * depth]` (see the module's doc), with its gradient.
 */
export function frameStacks(x: tf.Tensor, dims: StackDims): tf.Tensor {
  if (!onSynchronousBackend() || x.dtype !== "float32") return frameStacksOps(x, dims);
  const kernels = channelKernels();
  const [rows, cols] = x.shape.slice(2);
  const wasm = kernels !== null && dims.pool === 2 && rows % dims.block === 0 && cols % dims.block === 0;
  const op = tf.customGrad((...args: (tf.Tensor | ((ts: tf.Tensor[]) => void))[]) => {
    const input = args[0] as tf.Tensor;
    const shape = frameStacksShape(input.shape, dims);
    if (wasm) return pairsWasm(kernels, input, shape, dims);
    return {
      value: computeTensor(shape, [input], (y, [xs]) => gather(xs, y, input.shape, dims)),
      gradFunc: (dy: tf.Tensor) => [computeTensor(input.shape, [dy], (dx, [g]) => scatter(g, dx, input.shape, dims))],
    };
  });
  return op(x);
}
