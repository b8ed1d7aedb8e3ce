/**
 * Runs `run` with a fused path switched off, then on, and counts the fused passes of each run:
 * the shape of the bit-for-bit tests of megflow's fused layers. The switch is left on.
 *
 * @param set the fused path's switch (e.g. `setFusedDenseHead`)
 * @param calls the fused path's pass counter (e.g. `fusedDenseHeadCalls`)
 * @param run what to compare (e.g. the weights' bits after seeded Adam steps)
 * @returns both results, and how many fused passes each run made
 */
export async function offAndOn<T>(
  set: (on: boolean) => unknown,
  calls: () => number,
  run: () => Promise<T> | T,
): Promise<{ off: T; on: T; calls: [number, number] }> {
  try {
    set(false);
    const start = calls();
    const off = await run();
    const middle = calls();
    set(true);
    const on = await run();
    return { off, on, calls: [middle - start, calls() - middle] };
  } finally {
    set(true);
  }
}
