/**
 * The forward model of the synthetic generator: `out[c, t] = gain[c] *
 * sum_k pattern[k, c] * course[k, t]`, computed in time blocks so the block
 * of every source course stays in cache while all channels are mixed.
 *
 * @module
 */

/** Collects (pattern, time course) pairs, then mixes them into a channel-major array. */
export class SourceMixer {
  readonly nChans: number;
  readonly nTimes: number;
  #patterns: Float64Array;
  #courses: Float64Array;
  #count = 0;

  /** @param capacity Most sources that will be added. */
  constructor(nChans: number, nTimes: number, capacity: number) {
    this.nChans = nChans;
    this.nTimes = nTimes;
    this.#patterns = new Float64Array(nChans * capacity);
    // One spare course for padding to an even source count in mixInto().
    this.#courses = new Float64Array(nTimes * (capacity + 1));
  }

  /** Number of sources added so far. */
  get count(): number {
    return this.#count;
  }

  /**
   * Adds a source with spatial `pattern` (length nChans) scaled by `amplitude`
   * and returns its zeroed time course, for the caller to fill.
   */
  add(pattern: Float64Array, amplitude: number): Float64Array {
    const k = this.#count++;
    if (k * this.nChans >= this.#patterns.length) throw new RangeError(`SourceMixer: capacity ${k} exceeded`);
    const row = this.#patterns.subarray(k * this.nChans, (k + 1) * this.nChans);
    for (let c = 0; c < this.nChans; c++) row[c] = pattern[c] * amplitude;
    const course = this.#courses.subarray(k * this.nTimes, (k + 1) * this.nTimes);
    course.fill(0);
    return course;
  }

  /** Drops the most recently added source (e.g. when its course stayed all zero). */
  dropLast(): void {
    if (this.#count > 0) this.#count--;
  }

  /** Writes the mixture, times `gain[c]` per channel, into `out` (channel-major, overwritten). */
  mixInto(out: Float64Array, gain: Float64Array, blockSamples = 512): void {
    const { nChans, nTimes } = this;
    const courses = this.#courses;
    // Pad to an even number of sources with a zero course so the kernel below
    // can always take sources in pairs.
    const count = this.#count + (this.#count % 2);
    const weights = new Float64Array(nChans * count);
    for (let k = 0; k < this.#count; k++) {
      for (let c = 0; c < nChans; c++) weights[k * nChans + c] = this.#patterns[k * nChans + c] * gain[c];
    }
    if (count > this.#count) courses.fill(0, this.#count * nTimes, count * nTimes);
    out.fill(0, 0, nChans * nTimes);
    for (let t0 = 0; t0 < nTimes; t0 += blockSamples) {
      const t1 = Math.min(nTimes, t0 + blockSamples);
      let c = 0;
      // Four channels x two sources per pass: each course value loaded once
      // feeds four accumulators.
      for (; c + 4 <= nChans; c += 4) {
        const o0 = out.subarray(c * nTimes + t0, c * nTimes + t1);
        const o1 = out.subarray((c + 1) * nTimes + t0, (c + 1) * nTimes + t1);
        const o2 = out.subarray((c + 2) * nTimes + t0, (c + 2) * nTimes + t1);
        const o3 = out.subarray((c + 3) * nTimes + t0, (c + 3) * nTimes + t1);
        const length = t1 - t0;
        for (let k = 0; k < count; k += 2) {
          const a = k * nChans + c, b = a + nChans;
          const a0 = weights[a], a1 = weights[a + 1], a2 = weights[a + 2], a3 = weights[a + 3];
          const b0 = weights[b], b1 = weights[b + 1], b2 = weights[b + 2], b3 = weights[b + 3];
          const x = courses.subarray(k * nTimes + t0, k * nTimes + t1);
          const y = courses.subarray((k + 1) * nTimes + t0, (k + 1) * nTimes + t1);
          for (let i = 0; i < length; i++) {
            const xi = x[i], yi = y[i];
            o0[i] += a0 * xi + b0 * yi;
            o1[i] += a1 * xi + b1 * yi;
            o2[i] += a2 * xi + b2 * yi;
            o3[i] += a3 * xi + b3 * yi;
          }
        }
      }
      for (; c < nChans; c++) {
        const o = out.subarray(c * nTimes + t0, c * nTimes + t1);
        for (let k = 0; k < count; k++) {
          const w = weights[k * nChans + c];
          const x = courses.subarray(k * nTimes + t0, k * nTimes + t1);
          for (let i = 0; i < o.length; i++) o[i] += w * x[i];
        }
      }
    }
  }
}
