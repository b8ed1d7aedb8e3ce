import { assert, assertEquals } from "@std/assert";
import { GROUP, kernelBytes, KernelResampler } from "../../operators/_resample_wasm.ts";
import { designResampleFilter, PolyphaseResampler } from "../../operators/resample.ts";
import { signal } from "./_blocks.ts";

/** Streams channel-major `x` through `resampler` in blocks cycling through `sizes`; returns each output. */
function stream(
  resampler: {
    push(data: Float32Array | Float64Array): Float32Array | Float64Array;
    flush(): Float32Array | Float64Array;
  },
  x: Float32Array | Float64Array,
  nChans: number,
  sizes: number[],
): (Float32Array | Float64Array)[] {
  const nTimes = x.length / nChans;
  const outs: (Float32Array | Float64Array)[] = [];
  for (let t = 0, i = 0; t < nTimes; i++) {
    const n = Math.min(sizes[i % sizes.length], nTimes - t);
    const block = new (x.constructor as Float64ArrayConstructor)(nChans * n);
    for (let c = 0; c < nChans; c++) block.set(x.subarray(c * nTimes + t, c * nTimes + t + n), c * n);
    outs.push(resampler.push(block));
    t += n;
  }
  outs.push(resampler.flush());
  return outs;
}

/** The float32 outputs the kernel must reproduce bit for bit: the JavaScript resampler's, rounded. */
function reference(x: Float32Array | Float64Array, nChans: number, up: number, down: number, sizes: number[]) {
  return stream(new PolyphaseResampler(designResampleFilter(up, down), nChans), x, nChans, sizes)
    .map((part) => new Float32Array(part));
}

function assertBitIdentical(actual: (Float32Array | Float64Array)[], expected: Float32Array[], what: string) {
  assertEquals(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    assert(actual[i] instanceof Float32Array, what);
    assertEquals(actual[i].length, expected[i].length, `${what}, output ${i}`);
    const a = new Uint32Array(actual[i].buffer, actual[i].byteOffset, actual[i].length);
    const e = new Uint32Array(expected[i].buffer);
    const bad = a.findIndex((bits, j) => bits !== e[j]);
    assertEquals(bad, -1, `${what}, output ${i}: first differing sample ${bad}`);
  }
}

Deno.test("the kernel module is valid WebAssembly with eight channels per group", () => {
  assert(WebAssembly.validate(kernelBytes() as BufferSource));
  assertEquals(GROUP, 8);
});

Deno.test("KernelResampler equals PolyphaseResampler rounded to float32, bit for bit, 2034 -> 125 Hz", () => {
  for (const nChans of [1, 5, 8, 13, 248]) {
    const x = signal(nChans, 9000, (c, t) => 1e-12 * (Math.sin(t / (7 + c)) + 0.3 * Math.cos(t * 0.91 + c)));
    for (const sizes of [[4096], [1000, 37, 2500], [9000]]) {
      const what = `${nChans} channels, blocks ${sizes}`;
      const actual = stream(new KernelResampler(designResampleFilter(125, 2034), nChans), x, nChans, sizes);
      assertBitIdentical(actual, reference(x, nChans, 125, 2034, sizes), what);
    }
  }
});

Deno.test("KernelResampler equals PolyphaseResampler for other rates, odd block sizes and float32 input", () => {
  const cases: [number, number][] = [[2, 3], [5, 2], [1, 1], [125, 250], [3, 7]];
  for (const [up, down] of cases) {
    const x = signal(11, 701, (c, t) => Math.sin(t / 5 + c) + (t % 13) / 13);
    const x32 = new Float32Array(x);
    for (const input of [x, x32]) {
      const what = `${up}/${down} ${input.constructor.name}`;
      const actual = stream(new KernelResampler(designResampleFilter(up, down), 11), input, 11, [1, 2, 3, 64, 127]);
      assertBitIdentical(actual, reference(input, 11, up, down, [1, 2, 3, 64, 127]), what);
    }
  }
});

Deno.test("KernelResampler stages a block longer than its staging area in parts", () => {
  const x = signal(3, 20000, (c, t) => Math.sin(t / (11 + c)));
  const actual = stream(new KernelResampler(designResampleFilter(125, 2034), 3), x, 3, [20000]);
  assertBitIdentical(actual, reference(x, 3, 125, 2034, [20000]), "one 20000-sample block");
});

Deno.test("KernelResampler.acquire() reuses a released resampler of the same filter, reset to a new signal", () => {
  const filter = designResampleFilter(125, 2034);
  const x = signal(9, 5000, (c, t) => Math.cos(t / (5 + c)));
  const first = KernelResampler.acquire(filter, 9);
  const once = stream(first, x, 9, [4096]);
  first.release();
  const second = KernelResampler.acquire(filter, 9);
  assert(second === first, "the released resampler is handed out again");
  assertBitIdentical(stream(second, x, 9, [4096]), once.map((part) => new Float32Array(part)), "reused");
  second.release();
  assert(KernelResampler.acquire(filter, 10) !== first, "another channel count gets another resampler");
  assert(KernelResampler.acquire(designResampleFilter(125, 2034), 9) !== first, "another filter object too");
});

Deno.test("KernelResampler.release() keeps only a resampler between signals", () => {
  const filter = designResampleFilter(2, 3);
  const busy = KernelResampler.acquire(filter, 2);
  busy.push(new Float64Array(20));
  busy.release(); // mid-signal: not kept
  assert(KernelResampler.acquire(filter, 2) !== busy);
});
