/**
 * A cascade small enough for unit tests on the cpu backend (one frame stage, 8 units): the
 * options the cascade test files share.
 *
 * @module
 */
export const SMALL_CASCADE = {
  framePool: 1,
  featureNorm: false,
  frameDepth: 5,
  filters: [4, 8] as [number, number],
  frameUnits: 8,
  units: 8,
  keyDim: 4,
};
