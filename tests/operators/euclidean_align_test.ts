import { assertAlmostEquals, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { EMPTY, lastValueFrom, NEVER, of, Subject, take, throwError, toArray } from "rxjs";
import {
  alignChannels,
  alignmentMatrix,
  ChannelCovariance,
  channelCovariance,
  euclideanAlign,
} from "../../operators/euclidean_align.ts";
import { Random } from "../../core/random.ts";
import type { Block } from "../../core/types.ts";
import { makeBlocks, makeRecording } from "./_blocks.ts";

/** A [nChans, nTimes] signal: independent noise mixed by a random matrix (correlated channels of unequal power). */
function mixedSignal(nChans: number, nTimes: number, seed: number, mixing?: Float64Array): Float64Array {
  const random = new Random(seed);
  const m = mixing ?? Float64Array.from({ length: nChans * nChans }, () => random.normal());
  const sources = Float64Array.from({ length: nChans * nTimes }, () => random.normal());
  const out = new Float64Array(nChans * nTimes);
  for (let c = 0; c < nChans; c++) {
    for (let k = 0; k < nChans; k++) {
      const w = m[c * nChans + k];
      for (let t = 0; t < nTimes; t++) out[c * nTimes + t] += w * sources[k * nTimes + t];
    }
  }
  return out;
}

Deno.test("ChannelCovariance gives the same covariance block by block as at once", () => {
  const data = mixedSignal(5, 300, 1);
  const whole = channelCovariance(data, 5);
  const acc = new ChannelCovariance(5);
  for (const block of makeBlocks(data, 5, [70, 30, 200])) acc.update(block.data, block.nTimes);
  const streamed = acc.covariance();
  for (let i = 0; i < 25; i++) assertAlmostEquals(streamed[i], whole[i], 1e-9);
  assertEquals(acc.count, 300);
});

Deno.test("euclideanAlign() makes the subject's mean covariance the identity", async () => {
  const nChans = 12, nTimes = 2000;
  const random = new Random(5);
  const mixing = Float64Array.from({ length: nChans * nChans }, () => random.normal());
  // Two recordings of one subject: the same head (mixing), different activity.
  const recordings = [1, 2].map((chunk) => makeRecording("rest", "100307", chunk));
  const signals = recordings.map((_, i) => mixedSignal(nChans, nTimes, 10 + i, mixing));
  const mean = new Float64Array(nChans * nChans);
  for (const s of signals) channelCovariance(s, nChans).forEach((v, i) => (mean[i] += v / signals.length));
  const matrix = alignmentMatrix(mean, nChans, { shrinkage: 0 });
  const aligned = new Float64Array(nChans * nChans);
  for (const [i, recording] of recordings.entries()) {
    const blocks = makeBlocks(signals[i], nChans, 512, { recording, sfreq: 125 });
    const out = await lastValueFrom(of(...blocks).pipe(euclideanAlign({ matrixOf: () => matrix }), toArray()));
    const joined = new Float64Array(nChans * nTimes);
    let offset = 0;
    for (const b of out) {
      for (let c = 0; c < nChans; c++) {
        joined.set(b.data.subarray(c * b.nTimes, (c + 1) * b.nTimes), c * nTimes + offset);
      }
      offset += b.nTimes;
    }
    channelCovariance(joined, nChans).forEach((v, k) => (aligned[k] += v / recordings.length));
  }
  for (let i = 0; i < nChans; i++) {
    for (let j = 0; j < nChans; j++) assertAlmostEquals(aligned[i * nChans + j], i === j ? 1 : 0, 1e-4);
  }
});

Deno.test("alignmentMatrix() shrinks towards the identity and checks its input", () => {
  const exact = alignmentMatrix(Float64Array.of(4, 0, 0, 1), 2, { shrinkage: 0 });
  const shrunk = alignmentMatrix(Float64Array.of(4, 0, 0, 1), 2, { shrinkage: 0.4 }); // ridge 0.4 * 5 / 2 = 1
  assertAlmostEquals(exact[0], 0.5);
  assertAlmostEquals(shrunk[0], 1 / Math.sqrt(5));
  assertAlmostEquals(shrunk[3], 1 / Math.sqrt(2));
  assertThrows(() => alignmentMatrix(new Float64Array(3), 2), TypeError, "2 x 2 covariance");
  assertThrows(() => alignmentMatrix(new Float64Array(4), 2), RangeError, "positive trace");
  assertThrows(() => alignmentMatrix(Float64Array.of(1), 1, { shrinkage: -1 }), RangeError, "got -1");
});

Deno.test("alignChannels() rejects a matrix of the wrong size", () => {
  assertThrows(() => alignChannels(new Float32Array(6), 2, new Float64Array(9)), TypeError, "got 9 values");
});

Deno.test("euclideanAlign() asks for one matrix per recording and keeps block fields", async () => {
  const recording = makeRecording("motor", "7", 3);
  const blocks = makeBlocks(Float64Array.of(1, 2, 3, 4, 5, 6), 2, 1, { recording, sfreq: 125 });
  const asked: string[] = [];
  const out = await lastValueFrom(
    of(...blocks).pipe(
      euclideanAlign({ matrixOf: (r) => (asked.push(r.path), Float64Array.of(2, 0, 0, 1)) }),
      toArray(),
    ),
  );
  assertEquals(asked, [recording.path]);
  assertEquals(out.map((b) => [b.startSample, Array.from(b.data)]), [[0, [2, 4]], [1, [4, 5]], [2, [6, 6]]]);
  assertEquals(blocks[0].data, Float64Array.of(1, 4)); // input not modified
});

Deno.test("euclideanAlign() completes on an empty source and forwards errors", async () => {
  const op = euclideanAlign({ matrixOf: () => Float64Array.of(1) });
  assertEquals(await lastValueFrom(EMPTY.pipe(op, toArray())), []);
  await assertRejects(() => lastValueFrom(throwError(() => new Error("disk")).pipe(op)), Error, "disk");
});

Deno.test("euclideanAlign() fails the stream when matrixOf throws or gives a wrong size", async () => {
  const [block] = makeBlocks(Float64Array.of(1, 2), 2, 1, { sfreq: 125 });
  const failing = euclideanAlign({
    matrixOf: () => {
      throw new RangeError("no covariance");
    },
  });
  await assertRejects(() => lastValueFrom(of(block).pipe(failing)), RangeError, "no covariance");
  await assertRejects(
    () => lastValueFrom(of(block).pipe(euclideanAlign({ matrixOf: () => new Float64Array(9) }))),
    TypeError,
    "got 9 values",
  );
  assertThrows(() => euclideanAlign({} as never), TypeError, "matrixOf");
});

Deno.test("euclideanAlign() stops on early unsubscribe from a never-ending source", async () => {
  const source = new Subject<Block>();
  const [block] = makeBlocks(Float64Array.of(1, 2), 2, 1, { sfreq: 125 });
  const first = lastValueFrom(source.pipe(euclideanAlign({ matrixOf: () => Float64Array.of(1, 0, 0, 1) }), take(1)));
  source.next(block);
  assertEquals(Array.from((await first).data), [1, 2]);
  assertEquals(source.observed, false);
  NEVER.pipe(euclideanAlign({ matrixOf: () => Float64Array.of(1) })).subscribe().unsubscribe();
});

Deno.test("alignChannels() equals a plain matrix product for any number of channels", () => {
  for (const nChans of [1, 3, 5, 6, 7]) {
    const random = new Random(nChans);
    const nTimes = 9;
    const data = Float64Array.from({ length: nChans * nTimes }, () => random.normal());
    const matrix = Float64Array.from({ length: nChans * nChans }, () => random.normal());
    const out = alignChannels(data, nChans, matrix);
    for (let c = 0; c < nChans; c++) {
      for (let t = 0; t < nTimes; t++) {
        let expected = 0;
        for (let k = 0; k < nChans; k++) expected += matrix[c * nChans + k] * data[k * nTimes + t];
        assertAlmostEquals(out[c * nTimes + t], expected, 1e-5);
      }
    }
  }
});
